"""The comparison table (one row per run or Gold, as Markdown): the compare stage writes it
(:mod:`synthrr.stages.compare`); the report shows it with the same columns and cells."""

from synthrr.stages.compare import COLUMNS, CompareRow, cell, format_markdown, get, table_row

__all__ = ["COLUMNS", "CompareRow", "cell", "format_markdown", "get", "table_row"]
