"""One voice in the source: library code speaks through the ``synthrr`` logger and draws bars through
:func:`synthrr.core.log.progress`; only the command line (``cli/``) prints, only ``core/log.py``
imports tqdm, and nothing calls ``warnings.warn`` (a warning is ``logger.warning``, one line)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "synthrr"

#: ``warnings.warn`` calls allowed on purpose (a DeprecationWarning for API users): "file:function"
WARN_ALLOWED: frozenset[str] = frozenset()


def _calls(tree: ast.AST) -> list[tuple[ast.Call, str]]:
    """Every call in ``tree`` with the name of the function it is in (``<module>`` at the top)."""
    found: list[tuple[ast.Call, str]] = []

    def walk(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            here = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else where
            if isinstance(child, ast.Call):
                found.append((child, where))
            walk(child, here)

    walk(tree, "<module>")
    return found


def offences(root: Path) -> list[str]:
    """``file:line what`` of each print outside cli/, tqdm import outside core/log.py and warnings.warn."""
    out: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and rel != "core/log.py":
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n == "tqdm" or n.startswith("tqdm.") for n in names):
                    out.append(f"{rel}:{node.lineno} imports tqdm (use synthrr.core.log.progress)")
        for call, where in _calls(tree):
            f = call.func
            if isinstance(f, ast.Name) and f.id == "print" and not rel.startswith("cli/"):
                out.append(f"{rel}:{call.lineno} print (use synthrr.core.log.step or a logger)")
            warn = isinstance(f, ast.Attribute) and f.attr == "warn" and isinstance(f.value, ast.Name)
            if warn and ast.unparse(f) == "warnings.warn" and f"{rel}:{where}" not in WARN_ALLOWED:
                out.append(f"{rel}:{call.lineno} warnings.warn (use logger.warning)")
    return out


def test_the_library_speaks_with_one_voice() -> None:
    found = offences(SRC)
    assert not found, "\n".join(found)


def test_the_scan_finds_each_kind(tmp_path: Path) -> None:
    (tmp_path / "cli").mkdir()
    (tmp_path / "core").mkdir()
    (tmp_path / "cli" / "cmd.py").write_text("print('fine')\n")
    (tmp_path / "core" / "log.py").write_text("import tqdm\n")
    (tmp_path / "mod.py").write_text(
        "import warnings\nfrom tqdm.auto import tqdm\n\ndef f():\n    print('x')\n    warnings.warn('y')\n"
    )
    assert offences(tmp_path) == [
        "mod.py:2 imports tqdm (use synthrr.core.log.progress)",
        "mod.py:5 print (use synthrr.core.log.step or a logger)",
        "mod.py:6 warnings.warn (use logger.warning)",
    ]
