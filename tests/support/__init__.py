"""Test helpers shared across tiers (import as ``support.<module>``; tests/ is on sys.path)."""
