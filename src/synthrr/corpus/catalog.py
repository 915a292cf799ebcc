"""Find or build the ingested corpus for a built-in name or a path, cached under ``$SYNTHRR_HOME/corpora``.

The cache folder is ``<name>-<key>``, where the key hashes the source fingerprint (absolute path,
size and mtime of the file(s)) and the resolved ingestion settings. A folder is built under a
temporary name and renamed into place, so a folder that exists is complete.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.core.errors import UsageError, did_you_mean
from synthrr.core.io import atomic_dir
from synthrr.core.paths import safe_name, subdir
from synthrr.core.text import stable_hash
from synthrr.corpus.base import Corpus
from synthrr.corpus.builtin import BUILTIN_CORPORA
from synthrr.corpus.chain import SEPARATOR, ChainSource
from synthrr.corpus.ingest import IngestSettings, drop_warning, ingest
from synthrr.corpus.sources import HubSource, Source, source_for_path

if TYPE_CHECKING:
    from synthrr.config import CorpusConfig

log = logging.getLogger(__name__)


def _explicit_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.startswith((".", "~"))


def resolve_source(name_or_path: str, config: CorpusConfig | None = None) -> tuple[Source, IngestSettings]:
    """The source reader and the resolved ingestion settings for a built-in name or a path.

    A bare built-in name wins over a file of the same name in the working folder (write ``./wiki``).
    Names joined by ``+`` (``abc_news+wiki``) are one corpus of their parts' passages (see
    :mod:`synthrr.corpus.chain`), unless the whole name is an existing path.
    """
    if SEPARATOR in name_or_path and not Path(name_or_path).expanduser().exists():
        names = name_or_path.split(SEPARATOR)
        if not all(n.strip() for n in names):
            raise UsageError(f"corpus '{name_or_path}': an empty name between '{SEPARATOR}' signs")
        parts = [resolve_source(n.strip(), config) for n in names]
        return ChainSource(parts), ChainSource.settings(parts)
    builtin = BUILTIN_CORPORA.get(name_or_path)
    if builtin is not None and not _explicit_path(name_or_path):
        return builtin.source(), IngestSettings.resolve(config, builtin.defaults)
    if name_or_path.startswith("hub:"):
        settings = IngestSettings.resolve(config)
        return HubSource(name_or_path, settings.text_column, settings.id_field), settings
    path = Path(name_or_path).expanduser()
    if not (_explicit_path(name_or_path) or path.suffix or path.exists()):
        known = ", ".join(sorted(BUILTIN_CORPORA))
        raise UsageError(
            f"unknown corpus '{name_or_path}'{did_you_mean(name_or_path, BUILTIN_CORPORA)}; built-in corpora: {known} "
            "(or give the path of a JSONL/CSV/TSV/Parquet file or of a folder of .txt files, "
            "or hub:OWNER/NAME[:SPLIT] for a Hugging Face Hub dataset)"
        )
    settings = IngestSettings.resolve(config)
    return source_for_path(path, settings.text_column, settings.id_field), settings


def cache_dir(source: Source, settings: IngestSettings) -> Path:
    """Where the ingested form of ``source`` under ``settings`` lives (it may not exist yet)."""
    key = stable_hash(source.name, source.fingerprint(), settings.key())
    slug = safe_name(re.sub(r"[^A-Za-z0-9_.-]+", "_", source.name)[:60], "corpus")
    return subdir("corpora") / f"{slug}-{key}"


def get_corpus(name_or_path: str, config: CorpusConfig | None = None) -> Corpus:
    """The ingested corpus for a built-in name or a path, ingesting it on first use.

    ``config`` supplies the ingestion settings (text/id field, token range, chunking); its
    ``name`` is ignored in favour of ``name_or_path``. A built-in's own defaults apply to the
    fields the config leaves unset. ``Corpus.from_cache`` tells whether the cache was reused.
    """
    source, settings = resolve_source(name_or_path, config)
    folder = cache_dir(source, settings)
    if (folder / "meta.json").is_file():
        log.info("corpus %s: reusing %s", source.name, folder)
        corpus = Corpus(folder, from_cache=True)
    else:
        with atomic_dir(folder) as tmp:
            meta = ingest(source, settings, tmp)
        log.info("corpus %s: ingested %d passages into %s", source.name, meta["counts"]["kept"], folder)
        corpus = Corpus(folder, from_cache=False)
    warning = drop_warning(corpus.meta)
    if warning:
        log.warning("%s", warning)
    return corpus


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    """One built-in corpus as listed by ``synthrr corpora``."""

    name: str
    description: str
    package: str
    file: str
    defaults: dict[str, Any]
    #: passages after ingestion with the default settings, when already cached (else None)
    passages: int | None


def list_corpora() -> list[CorpusInfo]:
    """The built-in corpora, with passage counts for those already ingested with default settings."""
    out = []
    for name in sorted(BUILTIN_CORPORA):
        spec = BUILTIN_CORPORA[name]
        passages = None
        try:
            path = str(spec.file())
            folder = cache_dir(spec.source(), IngestSettings.resolve(None, spec.defaults))
            if (folder / "meta.json").is_file():
                passages = len(Corpus(folder))
        except UsageError:  # asset package not installed
            path = "(not installed)"
        out.append(CorpusInfo(name, spec.description, spec.package, path, dict(spec.defaults), passages))
    return out
