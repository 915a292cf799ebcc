"""The content-addressed LLM answer cache: the SQLite store, its integrity checks and its repair."""
