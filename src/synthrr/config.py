"""Run configuration: one validated model per run, composed of one section per stage.

Every section forbids unknown keys, so a typo is an error naming the field. ``RunConfig``
round-trips YAML (``from_yaml`` / ``to_yaml``) and accepts dotted overrides from the CLI
(``--set retrieval.k=20`` or a flag mapped onto a dotted key).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synthrr.core.errors import ConfigError, InputError, config_error
from synthrr.core.io import atomic_open, read_yaml_mapping
from synthrr.core.overrides import NULL, apply_overrides, expand_path_env, parse_set_option
from synthrr.core.redact import redact

log = logging.getLogger(__name__)

__all__ = ["NULL", "RunConfig", "parse_set_option"]


class Section(BaseModel):
    """Base for config sections: unknown keys rejected, assignments validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SeedConfig(Section):
    """How the seed set is drawn from the task's seed pool."""

    per_label: int | None = Field(
        None, ge=1, le=100_000, description="seeds per label; default 100 for binary tasks, 50 otherwise"
    )
    seed: int = Field(42, description="random seed of the label-balanced sample")
    split: str = Field("train", description="split the seeds are drawn from")


class CorpusConfig(Section):
    """Which corpus to ingest and how to cut it into passages."""

    name: str = Field(
        "movie_plots",
        description="built-in corpus name or a path (JSONL/CSV/Parquet/.txt folder); join several with +",
    )
    text_column: str | None = Field(
        None, min_length=1, description="text column/key for JSONL/CSV/Parquet (default: 'text')"
    )
    id_field: str | None = Field(None, min_length=1, description="optional source-document id column/key")
    min_tokens: int | None = Field(None, ge=0, description="drop passages shorter than this (default 20)")
    max_tokens: int | None = Field(None, ge=1, description="drop passages longer than this (default 400)")
    chunk_tokens: int | None = Field(None, ge=8, description="split documents into windows of this many tokens")
    chunk_overlap: int = Field(0, ge=0, description="tokens shared by consecutive windows")

    @field_validator("name", mode="before")
    @classmethod
    def _expand_name(cls, value: Any) -> Any:
        return expand_path_env(value)

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: Any) -> Any:
        """Accept the old name ``text_field`` for ``text_column`` (one warning when it is set)."""
        if not isinstance(data, dict) or "text_field" not in data:
            return data
        data = dict(data)
        old = data.pop("text_field")
        if old is None:
            return data
        if data.get("text_column") not in (None, old):
            raise ValueError("text_field is the old name of text_column; give only text_column")
        log.warning("config key corpus.text_field is deprecated; use corpus.text_column (--text-column)")
        data["text_column"] = old
        return data

    @model_validator(mode="after")
    def _check_ranges(self) -> CorpusConfig:
        if self.min_tokens is not None and self.max_tokens is not None and self.min_tokens > self.max_tokens:
            raise ValueError(f"min_tokens ({self.min_tokens}) is greater than max_tokens ({self.max_tokens})")
        if self.chunk_tokens is not None and self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        return self


class RetrievalConfig(Section):
    """Retriever choice and top-K."""

    retriever: str = Field("dense", description="registered retriever name (bm25, dense)")
    k: int = Field(50, ge=1, le=10_000, description="passages retrieved per seed")
    batch_size: int = Field(64, ge=1, le=4096, description="encoding batch size (dense)")
    options: dict[str, Any] = Field(default_factory=dict, description="retriever-specific options")


class SamplingConfig(Section):
    """Decoding parameters; defaults follow the paper (nucleus sampling, top_p 0.9, T 0.95)."""

    temperature: float = Field(0.95, ge=0.0, le=5.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    max_tokens: int | None = Field(None, ge=1, le=32_768, description="default: the task's max new tokens")
    stop: list[str] = Field(default_factory=list)
    seed: int = Field(0, description="base sampling seed; sample i of a prompt uses seed + i")
    n: int = Field(1, ge=1, le=64, description="completions per prompt")


class BudgetConfig(Section):
    """Hard limits; a run stops cleanly before exceeding any of them."""

    max_calls: int | None = Field(None, ge=1)
    max_tokens: int | None = Field(None, ge=1)
    max_cost: float | None = Field(None, gt=0, description="in the currency of the prices below")


class LLMConfig(Section):
    """LLM backend, its options, sampling, pricing and budget."""

    backend: str = Field("llamacpp", description="registered backend name (llamacpp, transformers, openai, fake)")
    model: str | None = Field(
        None,
        description="the model, whatever the backend: a name from `synthrr assets` (qwen-coder-0.5b, ...), a GGUF "
        "file, a model folder or hub id, or a server's model name; sets the backend's own option (llamacpp: "
        "options.model_path, others: options.model) [the backend's default]",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="backend options, validated by the backend")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    price_in: float = Field(0.0, ge=0, description="price per million prompt tokens")
    price_out: float = Field(0.0, ge=0, description="price per million completion tokens")
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    cache: bool = Field(True, description="use the content-addressed LLM cache")

    def backend_options(self, model_option: str) -> dict[str, Any]:
        """``options`` with :attr:`model` put in the backend's own ``model_option``; both given differently
        is an error naming them."""
        options = dict(self.options)
        given = options.get(model_option)
        if self.model is not None and given is not None and given != self.model:
            raise ConfigError(
                "llm.model", f"'{self.model}' disagrees with llm.options.{model_option}='{given}'; give one of them"
            )
        return options if self.model is None else {**options, model_option: self.model}


class FilterConfig(Section):
    """Post-generation filters; each drop is counted by reason in the manifest."""

    min_tokens: int = Field(3, ge=0, description="drop generations shorter than this (tokens)")
    max_tokens: int | None = Field(None, ge=1, description="drop generations longer than this")
    dedup: Literal["none", "exact", "near"] = Field("near", description="duplicate removal within the set")
    near_threshold: float = Field(0.7, gt=0, le=1, description="Jaccard of word 3-shingles above which two are dupes")
    copy_ngram: int = Field(8, ge=2, description="n-gram size for the copy / contamination checks")
    copy_threshold: float = Field(0.5, gt=0, le=1, description="drop if this share of n-grams occur in the source")
    contamination: bool = Field(True, description="drop generations that copy the task's test split")
    label_consistency: Literal["none", "seed_classifier", "cartography"] = Field(
        "seed_classifier", description="keep only generations a classifier agrees with their label"
    )
    require_agreement: bool = Field(
        True,
        description="seed_classifier: drop a generation whose label is not the classifier's first choice, as it "
        "arrives, so the quota is topped up for it (drop reason label_disagrees)",
    )
    keep_fraction: float = Field(0.83, gt=0, le=1, description="most-confident share kept per label")
    consistency_features: Literal["tfidf", "minilm", "tfidf+minilm"] = Field(
        "tfidf+minilm", description="features of the label-consistency classifier (minilm needs the dense extra)"
    )

    @model_validator(mode="after")
    def _check_lengths(self) -> FilterConfig:
        if self.max_tokens is not None and self.min_tokens > self.max_tokens:
            raise ValueError(f"min_tokens ({self.min_tokens}) is greater than max_tokens ({self.max_tokens})")
        return self


#: methods whose demonstrations are the passages at ranks ``synthesis.icl_ranks`` and whose inputs
#: start below them (the rules that tie ``retrieval.k`` to those ranks apply to these)
RETRICL_METHODS = frozenset({"synthesizrr"})


class SynthesisConfig(Section):
    """How synthetic examples are produced (``method``: any name in :data:`synthrr.synth.methods.METHODS`), how many."""

    method: str = Field(
        "synthesizrr",
        description="registered method: synthesizrr, fewgen, zerogen, supergen, attrprompt, progen, regen",
    )
    method_options: dict[str, Any] = Field(
        default_factory=dict, description="options of the method (docs/synthesis.md lists each method's)"
    )
    n: int = Field(1000, ge=1, description="target number of examples after filtering")
    label_distribution: Literal["balanced", "train"] = "balanced"
    shots: int = Field(3, ge=0, le=64, description="in-context demonstrations per prompt")
    icl_ranks: tuple[int, int] = Field((1, 2), description="ranks whose passages become RetrICL demonstrations")
    icl_band: tuple[float, float] | None = Field(None, description="score band of demonstrations (None: per retriever)")
    input_band: tuple[float, float] | None = Field(None, description="score band of synthesis inputs")
    widen: bool = Field(
        True,
        description="when a label's in-band passages run out, go on below the band by rank (never above it); "
        "the manifest counts these prompts per label",
    )
    context_tokens: tuple[int, int] = Field(
        (1, 400),
        description="passages cut to at most this many tokens at a sentence end, and skipped below the minimum "
        "(default 1: the corpus's own min_tokens decides, so short passages such as headlines are used)",
    )
    demo_tokens: int | None = Field(
        None,
        ge=8,
        description="seed texts in demonstrations are cut to this many tokens (default: the task's max new tokens)",
    )
    demo_block: int = Field(
        8,
        ge=1,
        le=100_000,
        description="consecutive prompts of a label that share one draw of demonstrations (a shared prompt prefix "
        "the engine computes once); draws rotate through the demonstration pool block by block",
    )
    prompt_form: Literal["auto", "chat", "completion"] = "auto"
    fence_passages: bool = Field(
        False,
        description="quote retrieved passages and say they are source material, not instructions (for untrusted "
        "corpora; chat-template control strings are always removed from passages)",
    )
    truncated: Literal["trim", "drop", "keep"] = Field(
        "trim",
        description="completions cut at max_tokens: trim to the last sentence end (the last whole word in text without "
        "one), drop, or keep as is",
    )
    max_prompts: int | None = Field(None, ge=1, description="hard cap on prompts (default: 4x the target)")
    seed: int = Field(0, description="seed for demonstration sampling and input order")
    filters: FilterConfig = Field(default_factory=FilterConfig)

    @field_validator("icl_ranks")
    @classmethod
    def _ranks_in_order(cls, ranks: tuple[int, int]) -> tuple[int, int]:
        lo, hi = ranks
        if lo < 1 or lo > hi:
            raise ValueError(
                f"[{lo}, {hi}] is not a range of ranks: give [FIRST, LAST] with 1 <= FIRST <= LAST "
                "(e.g. [1, 2]: the passages at ranks 1 and 2 become demonstrations)"
            )
        return ranks

    @field_validator("icl_band", "input_band", "context_tokens")
    @classmethod
    def _ordered_pair(cls, pair: tuple[float, float] | None) -> tuple[float, float] | None:
        if pair is not None and pair[0] > pair[1]:
            raise ValueError(f"[{pair[0]}, {pair[1]}] is not in order: give [LOW, HIGH] with LOW <= HIGH")
        return pair


class EvalConfig(Section):
    """How ``evaluate`` and ``compare`` measure runs: intrinsic metrics, students, the real test set."""

    metrics: list[str] | None = Field(
        None,
        description="metric names (default: all; [] for none): self_bleu, distinct, entity_entropy, cosine, "
        "mauve, label_preservation",
    )
    students: list[str] = Field(
        default_factory=lambda: ["tfidf"], description="students trained on a run and scored on real data ([]: none)"
    )
    seeds: int = Field(3, ge=1, le=100, description="independent fits per student (deterministic students fit once)")
    student_options: dict[str, Any] = Field(
        default_factory=dict, description="options of the student(s), e.g. {epochs: 2} for minilm"
    )
    test_split: str = Field("test", description="real split students are scored on (and MAUVE's reference)")
    test_limit: int | None = Field(None, ge=1, description="score on a stratified, seeded subsample of this many")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="device of the embedder")
    self_bleu_sample: int | None = Field(None, ge=2, description="score only this many Self-BLEU hypotheses")
    ner: str = Field("auto", description="NER for entity entropy: auto, spacy, heuristic or a spaCy package name")
    oracle: str = Field("tfidf", description="student type of the label-preservation oracle")
    save_student: bool = Field(True, description="save the first seed's student under RUN_DIR/students/<name>/")
    seed: int = Field(0, description="seed of the test subsample, Gold's real sample and the student fits")

    def options_for(self, student: str) -> dict[str, Any]:
        """The options ``student`` is fitted with, the same from the CLI and from Python:
        ``student_options``, and for ``minilm`` the evaluation's ``device`` unless those name their own
        (the other students have no device, so it is not passed to them)."""
        if student == "minilm" and "device" not in self.student_options:
            return {**self.student_options, "device": self.device}
        return dict(self.student_options)

    def metric_options(self, *, real_sample: bool = False) -> dict[str, Any]:
        """The metrics' options (``MetricInput.options``). A real sample (the Gold row) gets only the
        NER: its Self-BLEU scores every text, and it has no oracle or reference split to compare with."""
        if real_sample:
            return {"ner": self.ner}
        return {
            "self_bleu_sample": self.self_bleu_sample,
            "ner": self.ner,
            "oracle": self.oracle,
            "reference_split": self.test_split,
        }


class RayConfig(Section):
    """The Ray executor: where to connect, how worker actors (LLM, encoder, index search) and student-fit
    tasks are sized, and how often Ray restarts a worker whose process died."""

    address: str | None = Field(
        None, description="Ray cluster address (default: RAY_ADDRESS; with neither, start a local Ray instance)"
    )
    actors: int = Field(2, ge=1, le=4096, description="LLM worker actors (each loads the model once)")
    cpus_per_actor: float = Field(1.0, ge=0, le=1024, description="CPUs reserved per actor")
    gpus_per_actor: float = Field(0.0, ge=0, le=64, description="GPUs reserved per actor (fractions share a GPU)")
    num_cpus: int | None = Field(None, ge=1, description="CPUs of a local Ray instance started by synthrr")
    max_restarts: int = Field(
        3, ge=-1, description="times Ray restarts a worker actor whose process died (-1: no limit, 0: never)"
    )
    max_task_retries: int = Field(
        3, ge=-1, description="times a shard interrupted by a dead actor is retried on its restart (-1: no limit)"
    )


class RunConfig(Section):
    """Everything one synthrr run needs. The CLI only fills this in."""

    task: str = Field("imdb", description="built-in task name or path to a task YAML")
    seeds: SeedConfig = Field(default_factory=SeedConfig)
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    synthesis: SynthesisConfig = Field(default_factory=SynthesisConfig)
    out: Path | None = Field(None, description="output folder")
    hits_from: Path | None = Field(
        None,
        description="a `synthrr retrieve --out` folder whose seeds and hits generate reuses instead of retrieving "
        "again (its task, seeds, corpus and retrieval settings must equal this config's)",
    )
    threads: int | None = Field(None, ge=1, le=1024, description="CPU threads for engines (default: all cores)")
    executor: Literal["local", "ray"] = "local"
    shard_size: int | None = Field(
        None, ge=1, description="prompts per shard (default: one shard per round locally, one per actor on ray)"
    )
    ray: RayConfig = Field(default_factory=RayConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)

    @field_validator("task", "out", "hits_from", mode="before")
    @classmethod
    def _expand_paths(cls, value: Any) -> Any:
        return expand_path_env(value)

    @model_validator(mode="after")
    def _ranks_within_k(self) -> RunConfig:
        """SynthesizRR's inputs start below the demonstration ranks: ``retrieval.k`` must reach past them."""
        last = self.synthesis.icl_ranks[1]
        if self.synthesis.method in RETRICL_METHODS and self.retrieval.k <= last:
            raise ConfigError(
                "retrieval.k",
                f"{self.retrieval.k} leaves {self.synthesis.method} no passages to rewrite: ranks up to {last} are "
                f"demonstrations (synthesis.icl_ranks {list(self.synthesis.icl_ranks)}) and inputs start at rank "
                f"{last + 1}; set retrieval.k above {last} (e.g. --k {max(50, last + 1)}) or lower synthesis.icl_ranks",
            )
        return self

    @model_validator(mode="after")
    def _budget_is_local(self) -> RunConfig:
        """A budget is enforced per LLM client, so it cannot bound the many clients of Ray workers."""
        b = self.llm.budget
        if self.executor == "ray" and (b.max_calls is not None or b.max_tokens is not None or b.max_cost is not None):
            raise ConfigError(
                "llm.budget", "a budget is enforced per client and is not supported with executor 'ray'; use local"
            )
        return self

    # ---- construction -------------------------------------------------------------------
    def __init__(self, **data: Any) -> None:
        """As pydantic's constructor, but a bad value raises the :class:`ConfigError` naming the
        field that the CLI shows (``RunConfig(task=3)``)."""
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise config_error(e, model=RunConfig) from e  # from_dict names the source with the same cause

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None) -> RunConfig:
        try:
            return cls.model_validate(data)  # (pydantic calls __init__ above)
        except ConfigError as e:
            if isinstance(e.__cause__, ValidationError):
                raise config_error(e.__cause__, source=source, model=cls) from None
            if source and str(e).startswith("config field"):  # a cross-field rule: name the source too
                raise ConfigError(e.field, e.detail, source=source) from None
            raise
        except ValidationError as e:
            raise config_error(e, source=source, model=cls) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> RunConfig:
        p = Path(path)
        if p.is_dir():
            raise InputError(p, "is a folder; --config takes a YAML file (e.g. one written by `synthrr generate`)")
        if not p.is_file():
            raise InputError(p, "config file not found")
        data = read_yaml_mapping(p, "config file")
        return cls.from_dict(data, source=str(p))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def public_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` with credentials masked (URL userinfo and query values, secret-named
        options): what run directories, manifests and fingerprints are made of."""
        data: dict[str, Any] = redact(self.to_dict())
        return data

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The config as YAML, credentials masked (:meth:`public_dict`); written atomically to ``path``."""
        text: str = yaml.safe_dump(self.public_dict(), sort_keys=False)
        if path is not None:
            with atomic_open(path) as fh:
                fh.write(text)
        return text

    def with_overrides(self, overrides: Mapping[str, Any], source: str | None = None) -> RunConfig:
        """Apply dotted-key overrides (``{"retrieval.k": 20}``); ``None`` values are ignored (not
        given), :data:`NULL` sets a field to ``None``, and an empty string is an error naming the key.
        Errors name the field, after ``source`` when given (the CLI says ``--set``)."""
        return RunConfig.from_dict(apply_overrides(self.to_dict(), overrides, source), source=source)
