"""Imports sit at the top of each module, where the dependency graph can be read (and checked by
import-linter, see pyproject.toml); only the heavy engines below are imported inside the functions
that use them, so ``import synthrr`` and ``synthrr --help`` stay quick and never load them."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from synthrr.cli import COMMANDS, SUMMARIES, cli

SRC = Path(__file__).resolve().parents[2] / "src" / "synthrr"

#: top-level packages imported only where used: each costs from ~0.1 s (tqdm, tokenizers) to seconds
#: (torch, nltk, transformers) or drags in a native runtime; measured with ``python -X importtime``
HEAVY = frozenset(
    {
        "accelerate",
        "bm25s",
        "datasets",
        "faiss",
        "gguf",
        "httpx",
        "huggingface_hub",
        "joblib",
        "mauve",
        "model2vec",
        "nltk",
        "onnx",
        "onnxruntime",
        "pandas",
        "plotly",
        "pyarrow",
        "ray",
        "scipy",
        "sentence_transformers",
        "skeletoken",
        "sklearn",
        "spacy",
        "Stemmer",
        "tokenizers",
        "torch",
        "tqdm",
        "transformers",
        "xllamacpp",
    }
)


def _top_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    return {"synthrr"} if node.level else {(node.module or "").split(".")[0]}


def local_imports(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """``(line, top-level packages)`` of every import inside a function body of ``tree``."""
    found: list[tuple[int, set[str]]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child.lineno, _top_names(child)))
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return found


def light_local_imports(root: Path) -> list[str]:
    """``file:line`` of each function-local import of a module outside :data:`HEAVY`."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, names in local_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if names - HEAVY:
                out.append(f"src/synthrr/{rel}:{line} imports {', '.join(sorted(names - HEAVY))}")
    return out


def test_light_modules_are_imported_at_the_top() -> None:
    found = light_local_imports(SRC)
    assert not found, "function-local imports of light modules (move them to the top):\n" + "\n".join(found)


def test_the_scan_finds_a_local_import(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "import torch\n\n"
        "def f():\n    import numpy as np\n    from synthrr.core.io import read_table\n    import pandas\n\n"
        "class C:\n    def m(self):\n        if True:\n            from . import text\n"
    )
    assert light_local_imports(tmp_path) == [
        "src/synthrr/mod.py:4 imports numpy",
        "src/synthrr/mod.py:5 imports synthrr",
        "src/synthrr/mod.py:11 imports synthrr",
    ]


_LOADED = "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\n" + _LOADED], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import synthrr",
        "import synthrr.cli\ntry:\n    synthrr.cli.main(['--help'])\nexcept SystemExit:\n    pass",
        # every module (so every command's own --help): heavy engines load only inside the functions using them
        "import importlib, pkgutil, synthrr\n"
        "for m in pkgutil.walk_packages(synthrr.__path__, 'synthrr.'):\n"
        "    if not m.name.endswith('__main__'):\n        importlib.import_module(m.name)",
    ],
    ids=["import", "help", "every-module"],
)
def test_import_and_help_load_no_heavy_engine(code: str) -> None:
    loaded = _loaded_after(code)
    assert "synthrr" in loaded
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_help_lists_each_command_with_its_own_first_sentence() -> None:
    """``synthrr --help`` reads the summaries from a table instead of importing every command;
    each must be the command's own short help."""
    ctx = click.Context(cli)
    assert sorted(SUMMARIES) == sorted(COMMANDS)
    for name in COMMANDS:
        cmd = cli.get_command(ctx, name)
        assert cmd is not None and not cmd.hidden, name
        assert SUMMARIES[name] == cmd.get_short_help_str(limit=1000), name
