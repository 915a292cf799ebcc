"""Fast encoders (built once under $SYNTHRR_HOME, keyed by their settings) and approximate FAISS indexes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from synthrr.config import CorpusConfig
from synthrr.core.errors import ConfigError
from synthrr.corpus import get_corpus
from synthrr.encoders.fast import built_dir
from synthrr.retrieval import open_index
from synthrr.retrieval.ann import AUTO_EXACT_BELOW, NPROBE_MAX, AnnSettings, build_ann, default_nprobe, resolve_kind
from synthrr.retrieval.dense import DenseRetriever

TEXTS = [
    "The volcano erupted overnight and lava reached the coastal village.",
    "A late goal won the football final in the pouring rain.",
    "The violin concerto was praised by every critic in town.",
    "Shares fell sharply after the bank reported weak quarterly profits.",
    "short",
]


def _counting_builder(calls: list[Path]) -> Any:
    def build(source: Path, out: Path) -> None:
        calls.append(out)
        (out / "weights.bin").write_bytes(b"x")

    return build


def test_an_encoder_build_is_reused_and_a_changed_setting_rebuilds(tmp_path: Path) -> None:
    calls: list[Path] = []
    first = built_dir("static", tmp_path, "src-1", {"pca_dims": 256}, _counting_builder(calls))
    again = built_dir("static", tmp_path, "src-1", {"pca_dims": 256}, _counting_builder(calls))
    assert first == again and len(calls) == 1 and (first / "weights.bin").is_file()
    other = built_dir("static", tmp_path, "src-1", {"pca_dims": 128}, _counting_builder(calls))
    new_source = built_dir("static", tmp_path, "src-2", {"pca_dims": 256}, _counting_builder(calls))
    assert len({first, other, new_source}) == 3 and len(calls) == 3
    assert json.loads((other / "encoder.json").read_text())["settings"] == {"pca_dims": 128}


def test_an_interrupted_encoder_build_leaves_nothing_and_is_redone(tmp_path: Path) -> None:
    def broken(source: Path, out: Path) -> None:
        (out / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        built_dir("minilm-onnx", tmp_path, "src", {}, broken)
    calls: list[Path] = []
    path = built_dir("minilm-onnx", tmp_path, "src", {}, _counting_builder(calls))
    assert len(calls) == 1 and not (path / "half.bin").exists()


def test_an_unknown_encoder_is_a_config_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.options\.encoder.*did you mean 'static'"):
        DenseRetriever(encoder="statc")


def test_an_approximate_index_with_exact_shards_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.options\.index"):
        DenseRetriever(index="ivf", index_shards=2)


def test_encoder_and_index_settings_are_in_the_index_key() -> None:
    base = DenseRetriever().fingerprint()
    assert DenseRetriever(index="auto").fingerprint() == base  # today's default key is unchanged
    keys = {
        base,
        DenseRetriever(index="flat").fingerprint(),
        DenseRetriever(index="ivf").fingerprint(),
        DenseRetriever(index="ivf", ivf_nprobe=8).fingerprint(),
        DenseRetriever(index="hnsw").fingerprint(),
        DenseRetriever(encoder="minilm-onnx").fingerprint(),
        DenseRetriever(encoder="minilm-onnx-int8").fingerprint(),
    }
    assert len(keys) == 7


def test_auto_is_exact_below_the_threshold() -> None:
    assert resolve_kind("auto", 10) == "flat"
    assert resolve_kind("auto", AUTO_EXACT_BELOW - 1) == "flat"
    assert resolve_kind("auto", AUTO_EXACT_BELOW) == "ivf-sq8"
    r = DenseRetriever(threads=1)
    r.index_vectors(_unit(500, 16), [f"p{i}" for i in range(500)])
    assert r.describe()["index"] == {"kind": "flat"}


def test_the_default_nprobe_is_capped_for_ivf_sq8_only() -> None:
    assert default_nprobe("ivf", 4000) == 500 and default_nprobe("ivf-sq8", 4000) == NPROBE_MAX == 256
    assert default_nprobe("ivf", 64) == default_nprobe("ivf-sq8", 64) == 16  # at least 16 lists
    assert default_nprobe("ivf-sq8", 1600) == 200  # 1/8 below the cap
    keys = {AnnSettings().key(kind) for kind in ("ivf", "ivf-sq8", "hnsw")}
    assert len(keys) == 3  # the kind and its default rule are part of the index key


def test_an_ivf_sq8_index_holds_a_quarter_of_the_bytes_and_keeps_the_neighbours() -> None:
    vectors = _unit(4000, 32)
    sq8, _ = build_ann(vectors, "ivf-sq8", AnnSettings(nlist=16, nprobe=16))
    flat, _ = build_ann(vectors, "ivf", AnnSettings(nlist=16, nprobe=16))
    assert sq8.code_size * 4 == flat.code_size == 32 * 4  # bytes per stored vector
    _, got = sq8.search(vectors[:50], 10)
    _, want = flat.search(vectors[:50], 10)  # all lists scanned: exact for the flat one
    overlap = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got.tolist(), want.tolist(), strict=True)])
    assert overlap >= 0.9 and (got[:, 0] == np.arange(50)).all()


def test_an_approximate_index_is_built_a_chunk_at_a_time_with_the_same_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import faiss

    from synthrr.retrieval import ann

    vectors = _unit(1000, 16, seed=3)
    np.save(tmp_path / "v.npy", vectors)
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")  # what a build passes: the memory-mapped file
    whole, _ = build_ann(vectors, "ivf-sq8", AnnSettings(nlist=8, nprobe=8))
    monkeypatch.setattr(ann, "ADD_CHUNK", 37)
    chunked, _ = build_ann(mapped, "ivf-sq8", AnnSettings(nlist=8, nprobe=8))
    assert chunked.ntotal == 1000
    assert (chunked.search(vectors[:20], 10)[1] == whole.search(vectors[:20], 10)[1]).all()
    _, truth = faiss.knn(vectors[:20], vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    assert (ann.exact_top_k(vectors[:20], mapped, 10) == truth).all()


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("options", "kind"),
    [
        ({"index": "ivf", "ivf_nlist": 8}, "ivf"),
        ({"index": "ivf-sq8", "ivf_nlist": 8}, "ivf-sq8"),
        ({"index": "hnsw"}, "hnsw"),
    ],
)
def test_an_approximate_index_measures_its_recall(options: dict[str, Any], kind: str) -> None:
    vectors = _unit(2000, 16)
    r = DenseRetriever(threads=1, **options)
    r.index_vectors(vectors, [f"p{i}" for i in range(2000)])
    info = r.describe()["index"]
    assert info["kind"] == kind and info["recall_queries"] == 200 and info["recall_k"] == 50
    assert 0.3 <= info["recall@50"] <= 1.0
    top = r.search_vectors(vectors[:3], 1)
    assert [hits[0][0] for hits in top] == ["p0", "p1", "p2"]  # a passage is its own nearest neighbour


class _FakeEncoder:
    """Hashes words into 32 dimensions: cheap, deterministic vectors for index plumbing tests."""

    identity = "fake-encoder"
    dim = 32
    model = None

    def encode(self, texts: Any, *, batch_size: int | None = None, bar: Any = None) -> Any:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % self.dim] += 1.0
        if bar is not None:
            bar.update(len(texts))
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def test_the_recall_is_stored_in_the_index_and_shown_by_synthrr_corpora(tmp_path: Path) -> None:
    from synthrr.cli import cli

    src = tmp_path / "docs.jsonl"
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
    lines = [
        {"id": f"d{i}", "text": " ".join(words[(i * j) % len(words)] for j in range(1, 12)) + f" item {i}"}
        for i in range(300)
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    corpus = get_corpus(str(src), CorpusConfig(id_field="id", min_tokens=1))
    r = DenseRetriever(threads=1, index="ivf", ivf_nlist=4)
    r.__dict__["encoder"] = _FakeEncoder()
    open_index(corpus, r)
    meta = json.loads((r.index_dir / "index.json").read_text())  # type: ignore[operator]
    assert meta["retriever"]["index"]["kind"] == "ivf" and "recall@50" in meta["retriever"]["index"]
    again = DenseRetriever(threads=1, index="ivf", ivf_nlist=4)
    again.__dict__["encoder"] = _FakeEncoder()
    open_index(corpus, again)
    assert again.index_status == "loaded" and again.describe()["index"] == meta["retriever"]["index"]
    out = CliRunner().invoke(cli, ["corpora", "--corpus", str(src), "--id-field", "id", "--min-tokens", "1", "-q"])
    assert out.exit_code == 0, out.output
    assert "index=ivf" in out.output and "recall@50=" in out.output


@pytest.mark.e2e  # exports MiniLM to ONNX and loads the torch model (15-45 s)
def test_onnx_fp32_matches_the_torch_encoder_and_int8_is_close(
    synthrr_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("onnxruntime")
    from synthrr.encoders.sentence import get_encoder

    torch_vecs = get_encoder(threads=2).encode(TEXTS)
    for kind, floor in (("minilm-onnx", 0.99), ("minilm-onnx-int8", 0.8)):
        enc = get_encoder(threads=2, kind=kind)
        vecs = enc.encode(TEXTS, batch_size=2)
        assert vecs.shape == (len(TEXTS), 384) and vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
        assert (vecs * torch_vecs).sum(axis=1).min() >= floor, kind
    assert "Loading weights" not in capfd.readouterr().err  # the export loads MiniLM without transformers' bar


@pytest.mark.e2e
def test_static_encoder_is_distilled_offline_once_and_gives_unit_vectors(
    synthrr_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("model2vec")
    from synthrr.encoders.fast import StaticEncoder

    enc = StaticEncoder(threads=2)
    vecs = enc.encode(TEXTS)
    assert vecs.shape == (len(TEXTS), 256) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] < 0.99  # different texts, different vectors
    np.testing.assert_array_equal(StaticEncoder(threads=1).encode(TEXTS), vecs)  # reloaded, not rebuilt
    assert "Loading weights" not in capfd.readouterr().err  # distilled without transformers' bar
