"""The common tail of the benchmarks: a Markdown table printed, and written to the ``--md`` file when one is given."""

from __future__ import annotations

import sys
from pathlib import Path


def heading(script: str) -> str:
    """The table's title line: the script and the options it ran with (``# bench/NAME.py: `ARGS` ``)."""
    return f"# bench/{script}.py: `{' '.join(sys.argv[1:])}`"


def add_row(lines: list[str], row: str) -> None:
    """Append ``row`` to the table's ``lines`` and print it at once: a long benchmark shows its rows as they come."""
    lines.append(row)
    print(row, flush=True)


def emit(text: str, md: Path | None, *, blank_line: bool = False) -> None:
    """Print ``text`` (after an empty line if ``blank_line``: the rows were printed as they came) and
    write it to ``md`` if given."""
    print("\n" + text if blank_line else text)
    if md is not None:
        md.write_text(text, encoding="utf-8")
