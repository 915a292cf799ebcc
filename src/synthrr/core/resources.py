"""Machine resources: the CPU cores not kept busy by other processes right now (measured once, or
followed through a long loop by :class:`CoreFollower`), and the :class:`Closeable` base of everything
that holds workers (pools of processes or actors)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Self


class Closeable:
    """Something holding workers: :meth:`close` releases them, also at the end of a ``with`` block."""

    def close(self) -> None:
        """Release workers (actors, processes)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return list(range(os.cpu_count() or 1))


def _busy_jiffies(cpus: list[int]) -> tuple[int, int]:
    """(busy, total) jiffies of ``cpus`` from /proc/stat."""
    wanted = {f"cpu{i}" for i in cpus}
    busy = total = 0
    with open("/proc/stat", encoding="ascii") as fh:
        for line in fh:
            parts = line.split()
            if parts and parts[0] in wanted:
                vals = [int(v) for v in parts[1:8]]  # user nice system idle iowait irq softirq
                total += sum(vals)
                busy += sum(vals) - vals[3] - vals[4]
    return busy, total


def free_cores(window: float = 0.25) -> int:
    """Cores of this process's CPU set not kept busy by *other* processes, measured over ``window``
    seconds while this process sleeps (at least 1; all of them where /proc/stat is unavailable).

    This is the default thread count of every engine (llama.cpp, torch, FAISS). An engine with more
    threads than free cores does not just slow down, it collapses: each layer waits for the
    descheduled thread (2-thread engines ran ~10-50x slower on 2 cores while another process held
    one). Unlike the load average, the measurement does not count this process's own recent work.
    """
    cpus = _cpus()
    try:
        b0, t0 = _busy_jiffies(cpus)
        time.sleep(window)
        b1, t1 = _busy_jiffies(cpus)
    except (OSError, ValueError):
        return len(cpus)
    if t1 <= t0:
        return len(cpus)
    busy_share = (b1 - b0) / (t1 - t0)  # this process sleeps meanwhile: the busy time is others'
    return max(1, min(len(cpus), round(len(cpus) * (1.0 - busy_share))))


class CoreFollower:
    """Keeps a thread pool sized to the free cores while a long loop runs: call :meth:`tick` once per
    step; every ``every`` seconds it measures :func:`free_cores` and, when the count changed, passes
    it to ``resize`` (e.g. ``torch.set_num_threads``).

    A count chosen once at start goes wrong when a neighbour starts later: a MiniLM student fit
    sized to 2 threads on an idle 2-core machine averaged 2.2 examples/s once another job took a
    core, while the same fits started at 1 thread beside it averaged 9-10 examples/s. Each
    measurement sleeps for :func:`free_cores`' window (0.25 s every 20 s: ~1 % of the loop)."""

    def __init__(
        self,
        resize: Callable[[int], object],
        current: int,
        *,
        every: float = 20.0,
        measure: Callable[[], int] = free_cores,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resize, self.current, self.every, self.measure, self.clock = resize, current, every, measure, clock
        self._last = clock()
        self.resizes = 0

    def tick(self) -> int:
        """The thread count after this step (re-measured when ``every`` seconds have passed)."""
        now = self.clock()
        if now - self._last >= self.every:
            wanted = self.measure()
            self._last = self.clock()  # the measurement's own sleep does not count toward the next
            if wanted != self.current:
                self.resize(wanted)
                self.current, self.resizes = wanted, self.resizes + 1
        return self.current
