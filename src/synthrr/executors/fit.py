"""Student fits on Ray: :class:`RayFitPool` implements :class:`~synthrr.students.distill.FitPool`.

:func:`~synthrr.students.distill.fit_and_score` is the one job body (fit one student with one seed on
the run's examples, score it on the real test examples). Pools only schedule it:
:class:`~synthrr.students.distill.LocalFitPool` runs the jobs one after another in this process (the
default); :class:`RayFitPool` runs each job as a Ray task (``ray.cpus_per_actor`` CPUs and
``ray.gpus_per_actor`` GPUs each; retried ``ray.max_task_retries`` times if its worker dies) and
the driver gathers the scores. The training and test texts go into Ray's object store once per
student, not once per seed. A pool is chosen by executor name (:func:`synthrr.executors.make_fit_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from synthrr.core.log import progress_switch
from synthrr.executors.ray import ensure_ray, import_ray, release
from synthrr.students.distill import FitData, FitJob, FitPool, FitResult, LocalFitPool, fit_and_score

if TYPE_CHECKING:
    from synthrr.config import RayConfig

__all__ = ["LocalFitPool", "RayFitPool", "local_fit_pool"]


def local_fit_pool(rc: RayConfig) -> LocalFitPool:
    """Fits one after another in this process (the Ray settings do not apply)."""
    return LocalFitPool()


class RayFitPool(FitPool):
    """Every job a Ray task, all submitted at once; Ray is joined or started at the first job and
    shut down on :meth:`close` if this pool started it."""

    name = "ray"

    def __init__(self, rc: RayConfig) -> None:
        self.rc = rc
        self._started = False

    def map(self, data: FitData, jobs: Sequence[FitJob]) -> list[FitResult]:
        ray = import_ray()
        self._started = ensure_ray(self.rc) or self._started
        task = ray.remote(
            num_cpus=self.rc.cpus_per_actor, num_gpus=self.rc.gpus_per_actor, max_retries=self.rc.max_task_retries
        )(_fit_quietly)
        shared = ray.put(data)
        refs = [task.remote(job, shared) for job in jobs]
        return list(ray.get(refs))

    def close(self) -> None:
        release([], self._started)
        self._started = False


def _fit_quietly(job: FitJob, data: FitData) -> FitResult:
    """:func:`fit_and_score` in a Ray worker: its bars would only reach the worker's log."""
    with progress_switch(False):
        return fit_and_score(job, data)
