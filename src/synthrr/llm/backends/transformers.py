"""``transformers``: any Hugging Face causal LM (a folder, a hub id, or a GGUF file), on CPU or GPU.

Requests are generated in left-padded batches of ``batch_size`` rows (one row per sample),
grouped by decoding parameters and sorted by prompt length to waste little padding. Chat
requests go through the tokenizer's chat template; completion requests are tokenized raw.

GGUF files are dequantised by transformers on load, which takes ~16 s for SmolLM2-135M; the
backend therefore converts a GGUF once into a plain fp32 model folder under
``synthrr.core.paths.subdir("models")``, keyed by the file's content hash, and loads that afterwards.

Reproducibility: HF ``generate`` draws from one global RNG per batch, so each batch is seeded
with a hash of its rows' seeds (``sampling.seed + sample index``). Results are deterministic for
the same requests, batch size, device and library versions; a sample can differ when it lands
in a batch with other rows. The cache makes reruns exact regardless.

``Sampling.logprobs``: each sampled token's log-probability under the raw logits (before
temperature and top-p, as llama.cpp reports them); :attr:`Completion.logprob` is their mean over
the generated tokens up to and including the end-of-text token, padding excluded (unlike
llama.cpp, the tokens of a matched stop string count).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from synthrr.core.assets import smollm2_gguf
from synthrr.core.errors import BackendError, require
from synthrr.core.io import atomic_dir
from synthrr.core.paths import subdir
from synthrr.core.resources import free_cores
from synthrr.llm.base import BackendOptions, Capabilities, Completion, LLMBackend, LLMRequest, LLMResponse
from synthrr.llm.identity import dir_sha256, file_sha256
from synthrr.llm.logprobs import mean
from synthrr.llm.models import MODELS, resolve_model


class TransformersOptions(BackendOptions):
    model: str | None = Field(
        None, description="model folder, GGUF file, hub id or installed model name (default: SmolLM2-135M GGUF)"
    )
    gguf_file: str | None = Field(None, description="GGUF file name inside the `model` folder or hub repo")
    revision: str | None = Field(None, description="hub revision (branch, tag or commit) for hub ids")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: cuda when available")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="auto: float32 on CPU, bfloat16 (or float16) on GPU"
    )
    batch_size: int = Field(8, ge=1, le=4096, description="rows (prompt samples) per generate() call")
    threads: int | None = Field(None, ge=1, le=1024, description="torch CPU threads (default: the cores we may use)")


class TransformersBackend(LLMBackend):
    name = "transformers"
    Options = TransformersOptions
    capabilities = Capabilities(chat=True, completion=True, native_n=False, concurrent=True, logprobs=True)
    options: TransformersOptions

    def __init__(self, options: TransformersOptions) -> None:
        super().__init__(options)
        self.source, self.kind = self._resolve(options)
        self.calls = 0  # completions generated
        self._model: Any = None
        self._tok: Any = None
        self._device: str | None = None
        self._dtype: str | None = None
        self._identity: str | None = None
        self._lock = threading.Lock()

    # ---- where the model is ----------------------------------------------------------------
    def _resolve(self, o: TransformersOptions) -> tuple[str, Literal["gguf", "dir", "hub"]]:
        """(source, kind): a GGUF file path, a local HF folder, or a hub id."""
        if o.model is None:
            return str(smollm2_gguf()), "gguf"

        if o.model in MODELS:
            return str(resolve_model(o.model, "llm.options.model")), "gguf"
        p = Path(o.model).expanduser()
        if p.is_dir() and o.gguf_file:
            p = p / o.gguf_file
        if p.is_file():
            if p.suffix != ".gguf":
                raise BackendError(
                    self.name, f"{p} is a file but not .gguf; give a model folder or a GGUF", config=True
                )
            return str(p), "gguf"
        if p.is_dir():
            if not (p / "config.json").is_file():
                raise BackendError(self.name, f"{p} is not a Hugging Face model folder (no config.json)", config=True)
            return str(p), "dir"
        if o.model.startswith(("/", ".", "~")) or o.model.endswith(".gguf") or o.model.count("/") > 1:
            raise BackendError(self.name, f"model not found: {p} (set llm.options.model)", config=True)
        return o.model, "hub"

    def model_identity(self) -> str:
        if self._identity is None:
            if self.kind == "gguf":
                base = f"gguf-sha256:{file_sha256(self.source)}"
            elif self.kind == "dir":
                base = f"hf-dir-sha256:{dir_sha256(self.source)}"
            else:
                base = f"hf-hub:{self.source}@{self.options.revision or 'main'}"
                if self.options.gguf_file:
                    base += f"/{self.options.gguf_file}"
            self._identity = f"{base}|{self._resolved_dtype()}"
        return self._identity

    def model_label(self) -> str:
        return Path(self.source).name if self.kind != "hub" else self.source

    # ---- loading ---------------------------------------------------------------------------
    def _resolved_device(self) -> str:
        if self._device is None:
            import torch

            want = self.options.device
            if want == "cuda" and not torch.cuda.is_available():
                raise BackendError(self.name, "device 'cuda' requested but torch sees no CUDA GPU", config=True)
            self._device = "cuda" if want == "cuda" or (want == "auto" and torch.cuda.is_available()) else "cpu"
        return self._device

    def _resolved_dtype(self) -> str:
        if self._dtype is None:
            if self.options.dtype != "auto":
                self._dtype = self.options.dtype
            elif self._resolved_device() == "cpu":
                self._dtype = "float32"
            else:
                import torch

                self._dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return self._dtype

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                self._model, self._tok = self._load_model()
            return self._model, self._tok

    def _load_model(self) -> tuple[Any, Any]:
        require("the transformers backend", "transformers", "torch", "transformers")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device, dtype = self._resolved_device(), self._resolved_dtype()
        if device == "cpu":
            torch.set_num_threads(self.options.threads or free_cores())
        path: str = self._converted_gguf() if self.kind == "gguf" else self.source
        kwargs: dict[str, Any] = {}
        if self.kind == "hub":
            kwargs = {"revision": self.options.revision, "gguf_file": self.options.gguf_file}
        try:
            tok = AutoTokenizer.from_pretrained(path, **kwargs)
            model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), **kwargs)
        except OSError as e:
            where = "the Hugging Face hub cache (offline?)" if self.kind == "hub" else path
            raise BackendError(self.name, f"could not load '{self.source}' from {where}: {e}", config=True) from None
        model.to(device).eval()
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        return model, tok

    def _converted_gguf(self) -> str:
        """A plain fp32 HF folder made once from the GGUF (dequantising on every load costs ~16 s)."""
        src = Path(self.source)
        out = subdir("models") / f"{src.stem}-{file_sha256(src)[:16]}-fp32"
        if (out / "config.json").is_file():
            return str(out)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
            loaded = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name, dtype=torch.float32)
        except Exception as e:  # gguf / accelerate missing, unsupported architecture, corrupt file
            raise BackendError(
                self.name, f"could not load the GGUF {src} with transformers: {e}", config=True
            ) from None
        cfg = loaded.config
        if hasattr(cfg, "quantization_config"):
            delattr(cfg, "quantization_config")
        fresh = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
        fresh.load_state_dict(loaded.state_dict(), strict=False)
        fresh.tie_weights()
        with atomic_dir(out) as tmp:
            fresh.save_pretrained(tmp)
            tok.save_pretrained(tmp)
        return str(out)

    def close(self) -> None:
        with self._lock:
            self._model = self._tok = None

    # ---- generation ------------------------------------------------------------------------
    def _encode(self, tok: Any, request: LLMRequest) -> list[int]:
        if request.messages is not None:
            if not getattr(tok, "chat_template", None):
                raise BackendError(
                    self.name, f"{self.model_label()} has no chat template; use completion prompts", config=True
                )
            text = tok.apply_chat_template(list(request.messages), add_generation_prompt=True, tokenize=False)
            return list(tok(text, add_special_tokens=False)["input_ids"])
        return list(tok(request.text)["input_ids"])

    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        if not requests:
            return
        model, tok = self._load()
        limit = getattr(model.config, "max_position_embeddings", None)
        ids = []
        for req in requests:
            enc = self._encode(tok, req)
            if limit is not None and len(enc) + req.sampling.max_tokens > limit:
                raise BackendError(
                    self.name,
                    f"a prompt of {len(enc)} tokens plus max_tokens {req.sampling.max_tokens} exceeds the "
                    f"model's context of {limit} tokens; shorten the prompts or lower max_tokens",
                    config=True,
                )
            ids.append(enc)
        groups: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
        for i, req in enumerate(requests):
            s = req.sampling
            key = (s.temperature, s.top_p, s.max_tokens, s.stop, s.logprobs)
            groups.setdefault(key, []).extend((i, j) for j in range(s.n))
        results: dict[int, dict[int, Completion]] = {}
        seconds: dict[int, float] = {}
        for rows in groups.values():
            rows.sort(key=lambda r: len(ids[r[0]]))
            for b in range(0, len(rows), self.options.batch_size):
                batch = rows[b : b + self.options.batch_size]
                t0 = time.perf_counter()
                outs = self._generate_batch(
                    model, tok, [ids[i] for i, _ in batch], [requests[i] for i, _ in batch], batch
                )
                dt = (time.perf_counter() - t0) / len(batch)
                for (i, j), comp in zip(batch, outs, strict=True):
                    results.setdefault(i, {})[j] = comp
                    seconds[i] = seconds.get(i, 0.0) + dt
                    if len(results[i]) == requests[i].sampling.n:
                        got = results.pop(i)
                        yield (
                            i,
                            LLMResponse(
                                completions=tuple(got[k] for k in range(len(got))),
                                prompt_tokens=len(ids[i]),
                                seconds=seconds.pop(i),
                            ),
                        )

    def _generate_batch(
        self, model: Any, tok: Any, prompts: list[list[int]], reqs: list[LLMRequest], rows: list[tuple[int, int]]
    ) -> list[Completion]:
        import torch

        s = reqs[0].sampling
        width = max(len(p) for p in prompts)
        pad = tok.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)
        seeds = ",".join(str(r.sampling.seed + j) for r, (_, j) in zip(reqs, rows, strict=True))
        torch.manual_seed(int.from_bytes(hashlib.sha256(seeds.encode()).digest()[:8], "little") >> 1)
        kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens, "pad_token_id": pad}
        if s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if s.stop:
            kwargs.update(stop_strings=list(s.stop), tokenizer=tok)
        if s.logprobs:
            kwargs.update(return_dict_in_generate=True, output_logits=True)
        lps: list[list[float] | None] = [None] * len(prompts)
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
            new = (out.sequences if s.logprobs else out)[:, width:]
            if s.logprobs:
                lps = list(_sampled_logprobs(out.logits, new))
        with self._lock:
            self.calls += len(prompts)
        ends = _eos_ids(model, tok) | {pad}
        generated = zip(new.tolist(), lps, strict=True)
        return [self._completion(tok, row, ends, s.stop, s.max_tokens, lp) for row, lp in generated]

    @staticmethod
    def _completion(
        tok: Any, new: list[int], ends: set[int], stop: tuple[str, ...], max_new: int, lps: list[float] | None
    ) -> Completion:
        """Decode one row's new tokens: up to the first EOS / padding, cut before a stop string.
        ``lps`` (the tokens' log-probabilities) are averaged up to and including a sampled EOS; a
        row ended by a stop string has only padding after it."""
        end = next((k for k, t in enumerate(new) if t in ends), len(new))
        tokens = new[:end]
        text = tok.decode(tokens, skip_special_tokens=True)
        cut = min((text.find(x) for x in stop if x and x in text), default=-1)
        if cut >= 0:
            text = text[:cut]
        finish: Literal["stop", "length"] = "length" if cut < 0 and len(tokens) >= max_new else "stop"
        logprob = None if lps is None else mean(lps[: end + 1 if cut < 0 else end])
        return Completion(text=text, finish_reason=finish, completion_tokens=len(tokens), logprob=logprob)


def _sampled_logprobs(logits: Sequence[Any], new: Any) -> list[list[float]]:
    """Each row's log-probability of every generated token under the raw logits of its step."""
    import torch

    steps = [torch.log_softmax(step.float(), dim=-1).gather(1, new[:, t : t + 1]) for t, step in enumerate(logits)]
    return list(torch.cat(steps, dim=1).tolist())


def _eos_ids(model: Any, tok: Any) -> set[int]:
    ids = model.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tok.eos_token_id is not None:
        found.add(tok.eos_token_id)
    return found


__all__ = ["TransformersBackend", "TransformersOptions"]
