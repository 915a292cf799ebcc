"""``synthrr tasks``: list the tasks, or show one (built-in, hub or custom YAML) in detail."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from synthrr.core.errors import SynthrrError
from synthrr.tasks import get_task, list_tasks
from synthrr.tasks.base import Task
from synthrr.tasks.scaffold import new_task

if TYPE_CHECKING:
    from synthrr.tasks.scaffold import NewTask


def _sizes(task: Task) -> tuple[dict[str, int] | None, str | None]:
    """Split sizes, or ``(None, why)`` for hub tasks (never loaded here) and missing assets."""
    if task.online:
        return None, "online"
    try:
        return task.split_sizes(), None
    except SynthrrError as e:
        return None, f"unavailable: {e}"


def task_summary(task: Task) -> dict[str, Any]:
    sizes, note = _sizes(task)
    info = task.describe()
    info["description"] = task.spec.description
    info["splits"] = task.split_names()
    info["sizes"] = sizes
    if note:
        info["note"] = note
    return info


def task_detail(task: Task) -> dict[str, Any]:
    """Everything about one task; loads its data (hub tasks too)."""
    info = task.describe()
    info["splits"] = task.split_names()
    info["spec"] = task.spec.model_dump(mode="json")
    info["label_counts"] = {s: task.label_counts(s) for s in task.split_names()}
    info["sizes"] = {s: sum(c.values()) for s, c in info["label_counts"].items()}
    return info


def _table(rows: list[list[str]], header: list[str], right: tuple[int, ...] = ()) -> str:
    """Plain-text table; columns whose index is in ``right`` are right-aligned (numbers)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def cell(i: int, c: str) -> str:
        return c.rjust(widths[i]) if i in right else c.ljust(widths[i])

    lines = ["  ".join(cell(i, c) for i, c in enumerate(r)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _size_cell(info: dict[str, Any], split: str) -> str:
    if split not in info["splits"]:
        return "-"
    if info["sizes"] is None:
        return "online" if info.get("online") else "n/a"
    n = info["sizes"].get(split)
    return "-" if n is None else f"{n:,}"


def render_list(infos: list[dict[str, Any]]) -> str:
    header = ["NAME", "KIND", "LABELS", "TRAIN", "VALIDATION", "TEST", "SOURCE"]
    rows = [
        [
            i["name"],
            i["kind"],
            ", ".join(i["labels"]),
            *(_size_cell(i, s) for s in ("train", "validation", "test")),
            i["source"],
        ]
        for i in infos
    ]
    notes = [f"{i['name']}: {i['note']}" for i in infos if i.get("note", "").startswith("unavailable")]
    out = _table(rows, header, right=(3, 4, 5))
    out += "\n\n'online' tasks load from the Hugging Face Hub on first use (network needed)."
    out += "\nShow one task: synthrr tasks --task NAME_OR_TASK_YAML"
    if notes:
        out += "\n" + "\n".join(notes)
    return out


def render_detail(info: dict[str, Any]) -> str:
    spec = info["spec"]
    splits = list(info["label_counts"])
    lines = [
        f"task:            {info['name']}",
        f"kind:            {spec['kind']}",
        f"description:     {spec['description']}",
        f"source:          {info['source']}",
        f"context header:  {spec['context_header']}",
        f"answer prefix:   {spec['answer_prefix']}",
        f"max new tokens:  {spec['max_new_tokens']}",
        "",
    ]
    rows = [
        [lab["name"], *(f"{info['label_counts'][s][lab['name']]:,}" for s in splits), lab["verbalization"]]
        for lab in spec["labels"]
    ]
    rows.append(["(total)", *(f"{info['sizes'][s]:,}" for s in splits), ""])
    header = ["LABEL", *(s.upper() for s in splits), "VERBALIZATION"]
    lines.append(_table(rows, header, right=tuple(range(1, len(splits) + 1))))
    lines.append("")
    lines.append("templates:")
    lines.extend(f"  {method}: {template}" for method, template in spec["templates"].items())
    return "\n".join(lines)


@click.group("tasks", invoke_without_command=True)
@click.option("--task", "task_name", metavar="NAME_OR_PATH", help="show one task (a name or a task YAML) in detail")
@click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
@click.pass_context
def tasks(ctx: click.Context, task_name: str | None, as_json: bool) -> None:
    """List the classification tasks: labels, split sizes and data source.

    Hub tasks are shown as 'online' and are not loaded. With --task, one task is shown with
    its label verbalisations, prompt templates and the label count of every split.
    `synthrr tasks new --from FILE` writes a task YAML for your own labelled data.
    """
    if ctx.invoked_subcommand is not None:
        return

    if task_name:
        info = task_detail(get_task(task_name))
        click.echo(json.dumps(info, indent=2) if as_json else render_detail(info))
        return
    infos = [task_summary(get_task(name)) for name in list_tasks()]
    click.echo(json.dumps(infos, indent=2) if as_json else render_list(infos))


def render_new(made: NewTask) -> str:
    """What ``tasks new`` found and wrote: the columns, the labels with their rows per split, the next step."""
    lines = []
    for what, col in (("text", made.text_column), ("label", made.label_column)):
        how = f"guessed; --{what}-column NAME to choose another" if what in made.guessed else "given"
        lines.append(f"{what} column:  {col} ({how})")
    splits = list(made.split_counts)
    rows = [[lab, f"{n:,}", *(f"{made.split_counts[s][lab]:,}" for s in splits)] for lab, n in made.counts.items()]
    lines += ["", _table(rows, ["LABEL", "ROWS", *(s.upper() for s in splits)], right=tuple(range(1, len(splits) + 2)))]
    lines += [
        "",
        f"wrote {made.path}: task '{made.name}', {len(made.counts)} labels, {made.rows:,} rows from {made.data_file}",
        f"next: edit the lines marked EDIT (verbalizations, templates), then: synthrr tasks --task {made.path}",
    ]
    return "\n".join(lines)


@tasks.command("new", short_help="write a task YAML for a labelled data file (CSV, TSV, JSONL, Parquet)")
@click.option("--from", "data", required=True, metavar="FILE", help="labelled data: CSV, TSV, JSONL or Parquet")
@click.option("--text-column", metavar="NAME", help="column of the texts [guessed: text, body, message, ...]")
@click.option("--label-column", metavar="NAME", help="column of the labels [guessed: label, category, ...]")
@click.option("--out", metavar="FILE.yaml", help="task file to write [<file stem>.yaml in this folder]")
@click.option("--name", metavar="NAME", help="task name [the file stem]")
@click.option("--force", is_flag=True, help="overwrite an existing task file")
def new(
    data: str, text_column: str | None, label_column: str | None, out: str | None, name: str | None, force: bool
) -> None:
    """Write a task YAML for your own labelled data file, with the labels found.

    Verbalizations and templates are placeholders marked '# EDIT'; the data is split into
    train/validation/test deterministically (content hash, stratified by label). The task is
    loaded before the file is written, so every problem in the data is reported first.

    \b
    Example:
      synthrr tasks new --from tickets.csv --text-column body --label-column team --out tickets.yaml
    """
    made = new_task(data, out, text_column=text_column, label_column=label_column, name=name, force=force)
    click.echo(render_new(made))
    if made.short:
        listed = ", ".join(f"{lab} ({n})" for lab, n in made.short.items())
        click.echo(
            f"warning: {len(made.short)} label(s) have fewer train rows than the {made.per_label} seeds per label "
            f"a run asks for by default: {listed}; a run takes all of them (for balanced seeds: "
            f"--per-label {max(min(made.short.values()), 1)})",
            err=True,
        )
