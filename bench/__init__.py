"""synthrr's benchmarks: each runs from the repository root as ``python -m bench.NAME`` (see its ``--help``)."""
