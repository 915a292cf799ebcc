"""Stages that compose the pluggable pieces (tasks, corpora, retrievers, LLMs) into runs."""
