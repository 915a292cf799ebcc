"""Fast CPU encoders built offline from the packaged MiniLM: ``static`` and ``minilm-onnx[-int8]``.

* ``static``: a model2vec static embedding model distilled from the MiniLM folder (one token
  vector lookup + mean per text; no transformer at encode time).
* ``minilm-onnx``: the same MiniLM transformer exported to ONNX and run with ONNX Runtime, with
  sentence-transformers' mean pooling and L2 normalisation (``-int8``: dynamic int8 quantisation).

Each is built on first use from the source model folder into a content-addressed folder
``$SYNTHRR_HOME/encoders/<kind>-<key>`` (written atomically; the key hashes the source model's
identity, the build settings and the builder's version), and reused from there afterwards. They
share :class:`synthrr.encoders.sentence.Encoder`'s interface (``identity``, ``dim``, ``model``, ``encode``), so
the dense retriever, the encode pools and Ray actors use them like the torch encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from synthrr.core.assets import minilm_dir
from synthrr.core.errors import require
from synthrr.core.io import atomic_dir
from synthrr.core.log import Bar, quiet
from synthrr.core.paths import subdir
from synthrr.core.text import stable_hash

#: the dense retriever's ``encoder`` option: the torch MiniLM (today's path) and the fast ones
ENCODER_KINDS = ("minilm", "static", "minilm-onnx", "minilm-onnx-int8")
#: model2vec distillation settings (part of the ``static`` key)
STATIC_SETTINGS: dict[str, Any] = {"pca_dims": 256, "sif_coefficient": 1e-4, "pooling": "mean", "dtype": "float32"}
#: ONNX export settings (part of the ``minilm-onnx`` key)
ONNX_SETTINGS: dict[str, Any] = {"opset": 17, "exporter": "torchscript"}
#: texts per ONNX Runtime call (measured on 2 cores: 16 is faster than 64 and needs half the memory)
ONNX_BATCH = 16
_MARKER = "encoder.json"
_HASHED_FILE_LIMIT = 1 << 20

Builder = Callable[[Path, Path], None]


def model_identity(model_dir: Path) -> str:
    """Hash of a model folder's file names and sizes, plus the contents of its small files.

    Independent of where the folder lives, so the same model installed elsewhere gives the
    same identity (and reuses the same indexes); weights are identified by name and size.
    """
    parts: list[str] = []
    for p in sorted(q for q in model_dir.rglob("*") if q.is_file() and "__pycache__" not in q.parts):
        size = p.stat().st_size
        parts += [p.relative_to(model_dir).as_posix(), str(size)]
        if size <= _HASHED_FILE_LIMIT:
            parts.append(hashlib.blake2b(p.read_bytes(), digest_size=8).hexdigest())
    return stable_hash(*parts)


def built_dir(kind: str, source: Path, source_identity: str, settings: dict[str, Any], builder: Builder) -> Path:
    """``$SYNTHRR_HOME/encoders/<kind>-<key>``, built by ``builder(source, tmp)`` unless already there.

    The key hashes ``source_identity`` and ``settings``; the folder is complete once it holds
    ``encoder.json`` (written last, inside an atomic rename), so an interrupted build is redone."""
    key = stable_hash(kind, source_identity, json.dumps(settings, sort_keys=True))
    path = subdir("encoders") / f"{kind}-{key}"
    if (path / _MARKER).is_file():
        return path
    with atomic_dir(path) as tmp:
        builder(source, tmp)
        info = {"kind": kind, "key": key, "settings": settings, "source_identity": source_identity}
        (tmp / _MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


class FastEncoder:
    """Shared part of the fast encoders: identity from the source model + settings, the encode loop."""

    kind = "fast"

    def __init__(self, model_dir: str | Path | None = None, *, max_seq_length: int = 256, threads: int | None = None):
        if model_dir is None:
            model_dir = minilm_dir()
        self.model_dir = Path(model_dir).expanduser()
        self.max_seq_length = max_seq_length
        self.threads = threads or os.cpu_count() or 1
        self.batch_size = 64

    def settings(self) -> dict[str, Any]:
        raise NotImplementedError

    @cached_property
    def source_identity(self) -> str:
        return model_identity(self.model_dir)

    @cached_property
    def identity(self) -> str:
        """Everything that changes the vectors: kind, source model, build settings, max_seq_length."""
        settings = json.dumps(self.settings(), sort_keys=True)
        return stable_hash(self.kind, self.source_identity, settings, str(self.max_seq_length))

    @property
    def model(self) -> Any:
        raise NotImplementedError

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, bar: Bar | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in input order (length-sorted batches);
        ``bar`` advances by the texts encoded."""
        self.model  # noqa: B018 - build or load before the bar starts
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        bs = max(batch_size or self.batch_size, 1)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), bs):
            idx = order[start : start + bs]
            vecs = np.asarray(self._encode_batch([texts[i] for i in idx]), dtype=np.float32)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            out[idx] = vecs / np.maximum(norms, 1e-12)
            if bar is not None:
                bar.update(len(idx))
        return out


def _distill(source: Path, out: Path) -> None:
    from model2vec.distill import distill

    s = STATIC_SETTINGS
    with quiet():  # transformers' per-tensor "Loading weights" bar
        model = distill(
            str(source), pca_dims=s["pca_dims"], sif_coefficient=s["sif_coefficient"], pooling=s["pooling"],
            quantize_to=s["dtype"], device="cpu",
        )  # fmt: skip
    model.save_pretrained(str(out))


class StaticEncoder(FastEncoder):
    """model2vec static embeddings distilled from the source model (built once, then loaded)."""

    kind = "static"

    def settings(self) -> dict[str, Any]:
        import model2vec

        return {**STATIC_SETTINGS, "model2vec": model2vec.__version__}

    @cached_property
    def model(self) -> Any:
        require("the static encoder", "fast", "model2vec")
        from model2vec import StaticModel

        path = built_dir(self.kind, self.model_dir, self.source_identity, self.settings(), _distill)
        return StaticModel.from_pretrained(str(path))

    @property
    def dim(self) -> int:
        return int(self.model.embedding.shape[1])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        vecs: np.ndarray = self.model.encode(texts, max_length=self.max_seq_length, batch_size=len(texts))
        return vecs


def _export_onnx(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    with quiet():  # transformers' per-tensor "Loading weights" bar
        model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.m(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings (the graph is checked by the tests)
        torch.onnx.export(
            Hidden(), (ids, ids, torch.zeros_like(ids)), str(out / "model.onnx"), input_names=names,
            output_names=["hidden"], dynamic_axes=axes, opset_version=ONNX_SETTINGS["opset"], dynamo=False,
        )  # fmt: skip
    shutil.copy(source / "tokenizer.json", out / "tokenizer.json")


def _quantize_int8(fp32: Path) -> Builder:
    def build(source: Path, out: Path) -> None:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32 / "model.onnx"), str(out / "model.onnx"), weight_type=QuantType.QInt8)
        shutil.copy(fp32 / "tokenizer.json", out / "tokenizer.json")

    return build


class OnnxEncoder(FastEncoder):
    """The source MiniLM exported to ONNX (fp32, or int8 dynamic quantisation), mean-pooled and normalised."""

    kind = "minilm-onnx"
    int8 = False

    def settings(self) -> dict[str, Any]:
        import onnxruntime

        return {**ONNX_SETTINGS, "int8": self.int8, "ort": onnxruntime.__version__}

    @cached_property
    def model(self) -> Any:
        ort = require("the ONNX encoder", "fast", "onnxruntime")
        from tokenizers import Tokenizer

        fp32_settings = {**self.settings(), "int8": False}
        path = built_dir("minilm-onnx", self.model_dir, self.source_identity, fp32_settings, _export_onnx)
        if self.int8:
            path = built_dir(self.kind, path, self.source_identity, self.settings(), _quantize_int8(path))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # the arena keeps the largest batch's activations for good
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on shared cores
        session = ort.InferenceSession(str(path / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        tok.enable_truncation(self.max_seq_length)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        return session, tok

    @property
    def dim(self) -> int:
        session, _ = self.model
        return int(session.get_outputs()[0].shape[-1])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        step = ONNX_BATCH  # small batches: the attention activations of long passages stay in cache
        return np.concatenate([self._run(texts[i : i + step]) for i in range(0, len(texts), step)])

    def _run(self, texts: list[str]) -> np.ndarray:
        session, tok = self.model
        enc = tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        wanted = {i.name for i in session.get_inputs()}
        (hidden,) = session.run(["hidden"], {k: v for k, v in feeds.items() if k in wanted})
        m = mask[:, :, None].astype(np.float32)
        pooled: np.ndarray = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return pooled


class OnnxInt8Encoder(OnnxEncoder):
    kind = "minilm-onnx-int8"
    int8 = True


FAST_ENCODERS: dict[str, type[FastEncoder]] = {
    "static": StaticEncoder,
    "minilm-onnx": OnnxEncoder,
    "minilm-onnx-int8": OnnxInt8Encoder,
}
