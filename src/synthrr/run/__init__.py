"""A run: its identity (fingerprint and directory), its forecast before any LLM call, and the files of its
directory (manifest, rows, provenance, export)."""
