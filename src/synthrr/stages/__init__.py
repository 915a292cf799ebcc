"""The pipeline, one module per stage, in the order a run goes through them:

1. :mod:`~synthrr.stages.seeds` — draw the label-balanced seed set from the task;
2. :mod:`~synthrr.stages.retrieve` — content sourcing: top-K corpus passages per seed;
3. :mod:`~synthrr.stages.generate` — prompts, LLM calls, filters and quotas -> a run directory;
4. :mod:`~synthrr.stages.evaluate` — intrinsic metrics and students of one run -> ``metrics.json``;
5. :mod:`~synthrr.stages.compare` — several runs and Gold in one table.

Each stage takes the typed :class:`~synthrr.config.RunConfig` (its own section) and returns a typed
result; the stages compose the pluggable parts (tasks, corpora, retrievers, LLM backends, methods,
students, executors) through their registries and do not know where they run. The CLI
(:mod:`synthrr.cli`) and the Python API call these functions; nothing else composes them.
The files of a run directory are read and written by :mod:`synthrr.run.rundir` only.
"""
