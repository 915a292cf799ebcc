"""LLM backends, one module per engine, each registered by name in ``synthrr.llm.BACKENDS``."""
