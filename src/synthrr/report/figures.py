"""The report's figures, drawn with plotly: label mix, text lengths, diversity (Self-BLEU-1..5,
distinct-n), the filter funnel and a 2-D map of MiniLM embeddings (PCA), each synthetic set next to
the real texts. Every function returns a ``plotly.graph_objects.Figure``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synthrr.core.text import count_tokens
from synthrr.encoders.sentence import get_encoder
from synthrr.report.data import ReportData, RunView

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

REAL = "real"


def _kept(run: RunView) -> pd.DataFrame:
    return run.rows[run.rows["verdict"] == "kept"]


def _sets(data: ReportData) -> list[tuple[str, pd.DataFrame]]:
    """(name, kept rows) per run, then the real sample."""
    return [(r.name, _kept(r)) for r in data.runs] + [(REAL, data.real)]


def label_mix(data: ReportData) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, rows in _sets(data):
        counts = rows["label"].value_counts()
        total = max(1, len(rows))
        fig.add_bar(name=name, x=data.labels, y=[100 * counts.get(lab, 0) / total for lab in data.labels])
    fig.update_layout(title="Label mix (% of each set)", barmode="group", yaxis_title="%")
    return fig


def lengths(data: ReportData) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, rows in _sets(data):
        fig.add_box(name=name, y=[count_tokens(t) for t in rows["text"]], boxmean=True)
    fig.update_layout(title="Text length (tokens)", yaxis_title="tokens", showlegend=False)
    return fig


def diversity(data: ReportData) -> go.Figure:
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Self-BLEU-n (lower: more diverse)", "distinct-n (higher: more diverse)")
    )
    for r in data.runs:
        measured = r.metrics.metrics if r.metrics is not None else {}
        sb, dn = measured.get("self_bleu", {}), measured.get("distinct", {})
        xs = [n for n in range(1, 6) if f"self_bleu_{n}" in sb]
        fig.add_scatter(x=xs, y=[sb[f"self_bleu_{n}"] for n in xs], name=r.name, mode="lines+markers", row=1, col=1)
        xd = [n for n in range(1, 4) if f"distinct_{n}" in dn]
        fig.add_scatter(x=xd, y=[dn[f"distinct_{n}"] for n in xd], name=r.name, mode="lines+markers", row=1, col=2,
                        showlegend=False)  # fmt: skip
    fig.update_xaxes(title_text="n")
    fig.update_layout(title="Diversity (from synthrr evaluate; empty until the run is evaluated)")
    return fig


def entities(data: ReportData) -> go.Figure:
    """Entity entropy per entity type (bits; higher: more varied people, places, titles, ...)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for r in data.runs:
        measured = r.metrics.metrics if r.metrics is not None else {}
        per_type = measured.get("entity_entropy", {}).get("per_type", {})
        kinds = sorted(per_type)
        fig.add_bar(name=r.name, x=kinds, y=[per_type[k] for k in kinds])
    fig.update_layout(title="Entity entropy per type (from synthrr evaluate)", barmode="group", yaxis_title="bits")
    return fig


def funnel(data: ReportData) -> go.Figure:
    """Prompts -> completions -> parsed -> each drop reason -> kept, per run."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for r in data.runs:
        counts, drops = r.manifest.counts, r.manifest.drops
        stages = [("prompts", counts.get("prompts", 0)), ("completions", counts.get("completions", 0)),
                  ("parsed", counts.get("parsed", 0))]  # fmt: skip
        stages += [(f"dropped: {k}", v) for k, v in sorted(drops.items(), key=lambda kv: -kv[1])]
        stages.append(("kept", counts.get("kept", 0)))
        fig.add_bar(name=r.name, x=[s for s, _ in stages], y=[v for _, v in stages])
    fig.update_layout(title="Funnel: prompts to kept examples", barmode="group", yaxis_title="rows")
    return fig


def embedding_map(data: ReportData, per_set: int = 300, seed: int = 0) -> go.Figure:
    """PCA of MiniLM embeddings: each set's kept texts and the real ones, coloured by label."""
    import plotly.graph_objects as go
    from sklearn.decomposition import PCA

    sets = [
        (name, rows.sample(n=min(per_set, len(rows)), random_state=seed)) for name, rows in _sets(data) if len(rows)
    ]
    texts = [t for _, rows in sets for t in rows["text"]]
    vecs = get_encoder().encode(texts)
    xy = PCA(n_components=2, random_state=seed).fit_transform(vecs) if len(texts) >= 2 else np.zeros((len(texts), 2))
    fig = go.Figure()
    start = 0
    symbols = ["circle", "diamond", "square", "x", "triangle-up", "cross"]
    for i, (name, rows) in enumerate(sets):
        part = xy[start : start + len(rows)]
        for lab in data.labels:
            mask = (rows["label"] == lab).to_numpy()
            if mask.any():
                fig.add_scatter(x=part[mask, 0], y=part[mask, 1], mode="markers", name=f"{name}: {lab}",
                                marker={"symbol": symbols[i % len(symbols)], "size": 6, "opacity": 0.7},
                                text=[t[:120] for t in rows["text"][mask]], hoverinfo="text")  # fmt: skip
        start += len(rows)
    fig.update_layout(
        title="MiniLM embeddings, PCA to 2-D (synthetic vs real, by label)", xaxis_title="PC1", yaxis_title="PC2"
    )
    return fig
