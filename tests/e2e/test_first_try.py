"""A new user's first try, on the real default model: the README's "bring your own data" walk-through.

The test writes what such a user brings (a labelled CSV of support tickets and a folder-free JSONL
corpus of help-centre articles), then runs every step of the walk-through as the README shows it:
``tasks new`` -> edit the verbalisations -> the ``--llm fake`` plumbing check -> ``generate`` on
SmolLM2 through llama.cpp -> ``evaluate`` -> ``report`` -> ``export --columns text,label``.
Each step must exit 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from synthrr.cli import cli

pytestmark = pytest.mark.e2e

# what each team's tickets talk about: (subject, problem) pairs combined into distinct tickets
TICKETS = {
    "billing": (
        [
            "my March invoice",
            "the annual plan",
            "my credit card",
            "the last payment",
            "my refund",
            "the subscription fee",
            "a duplicate charge",
            "the receipt for order 4411",
        ],
        [
            "was charged twice",
            "shows the wrong amount",
            "never arrived",
            "was declined at checkout",
            "is still pending after ten days",
            "needs a VAT number on it",
        ],
    ),
    "technical": (
        [
            "the mobile app",
            "the desktop editor",
            "the export to PDF",
            "the sync between devices",
            "the search box",
            "the photo upload",
            "the dark mode setting",
            "the offline mode",
        ],
        [
            "crashes on start",
            "freezes after the update",
            "shows a blank screen",
            "loses my changes",
            "returns error 500",
            "is very slow since yesterday",
        ],
    ),
    "account": (
        [
            "my password",
            "my login",
            "my profile e-mail",
            "two-factor authentication",
            "my username",
            "my account",
            "the team invitation",
            "my security questions",
        ],
        [
            "cannot be reset",
            "is locked after three tries",
            "does not accept the code",
            "should be deleted with all my data",
            "was changed by someone else",
            "needs a new owner",
        ],
    ),
}

ARTICLES = {
    "billing": [
        "Refunds are issued to the original payment method within five to seven working days. If you "
        "were charged twice for the same order, open the billing page, select the duplicate charge and "
        "ask for a refund; the second payment is reversed automatically once our team confirms it.",
        "Invoices are created on the first day of each billing period and sent to the billing e-mail "
        "address. You can download every past invoice as a PDF from the billing page, add a VAT number "
        "for business accounts, and change the currency before the next renewal of your subscription.",
        "A card can be declined when the bank blocks an online payment, the card has expired or the "
        "billing address does not match. Update the card details under payment methods and retry the "
        "charge; pending payments disappear from your statement within a few days if they fail.",
        "Annual plans are billed once a year and renew automatically. When you switch from a monthly to "
        "an annual plan we credit the unused part of the month, and when you cancel, the plan stays "
        "active until the end of the paid period without any further charge.",
    ],
    "technical": [
        "If the mobile app crashes on start, update it to the latest version, restart the phone and "
        "clear the app cache. Crashes after an update are usually caused by an old offline database, "
        "which the app rebuilds when you sign out and sign in again.",
        "Sync between devices runs every few minutes when you are online. If changes made on one device "
        "do not appear on another, check that both use the same account, that the clock of each device "
        "is correct, and force a sync from the settings menu of the desktop editor.",
        "Error 500 means the server could not finish your request. Wait a minute and try again; if the "
        "error continues, check the status page and send us the time of the error, the browser you use "
        "and the steps that led to it, so the engineers can find it in the server logs.",
        "Exports to PDF can be slow for documents with many large photos. Reduce the image quality in "
        "the export dialog, close other tabs, or use the desktop editor, which exports locally and does "
        "not depend on the speed of your network connection.",
    ],
    "account": [
        "To reset your password, click forgot password on the login page and follow the link we send to "
        "your e-mail. The link expires after one hour. After three failed login attempts the account is "
        "locked for fifteen minutes to protect it from someone guessing the password.",
        "Two-factor authentication asks for a six-digit code from your authenticator app at every new "
        "login. If the code is not accepted, check that the time on your phone is set automatically, or "
        "use one of the backup codes you saved when you turned the feature on.",
        "You can change the e-mail address and username of your profile in the account settings. A "
        "confirmation is sent to the old and the new address, and the change takes effect only after "
        "you confirm it from the new address within twenty-four hours.",
        "Deleting your account removes your profile, your documents and your team memberships for good. "
        "Before deleting, transfer ownership of shared workspaces to another member, download your data "
        "from the privacy page, and cancel any paid plan so that no further charge is made.",
    ],
}


def write_user_files(folder: Path) -> tuple[Path, Path]:
    """The labelled CSV and the corpus a user brings: tickets.csv (message, team) and articles.jsonl."""
    rows = [
        {"message": f"Hello, {subject} {problem}. Can you help?", "team": team}
        for team, (subjects, problems) in TICKETS.items()
        for i, subject in enumerate(subjects)
        for problem in problems[i % 3 :: 3]
    ]
    csv = folder / "tickets.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    corpus = folder / "articles.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for team, texts in ARTICLES.items():
            for i, text in enumerate(texts):
                for variant, lead in enumerate(("", "Help centre: ", "From the FAQ: ")):
                    fh.write(json.dumps({"id": f"{team}-{i}-{variant}", "text": lead + text}) + "\n")
    return csv, corpus


def run(*argv: str) -> str:
    result = CliRunner().invoke(cli, list(argv), catch_exceptions=False)
    assert result.exit_code == 0, f"synthrr {' '.join(argv)} exited {result.exit_code}:\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def run_dir_of(output: str) -> Path:
    match = re.search(r"run directory: (\S+)", output)
    assert match, output
    return Path(match.group(1))


VERBALISATIONS = {
    "billing": "a charge, an invoice, a refund or a payment problem",
    "technical": "a bug, a crash or a feature of the app that does not work",
    "account": "logging in, passwords, profile settings or closing the account",
}


def test_the_readme_walk_through_on_the_real_model(tmp_path: Path) -> None:
    csv, corpus = write_user_files(tmp_path)
    task = tmp_path / "tickets.yaml"

    # 1. a task from the CSV, then the user fills in what each label means
    out = run("tasks", "new", "--from", str(csv), "--text-column", "message", "--label-column", "team",
              "--out", str(task))  # fmt: skip
    for label in VERBALISATIONS:
        assert label in out
    spec = yaml.safe_load(task.read_text(encoding="utf-8"))
    assert sorted(lab["name"] for lab in spec["labels"]) == sorted(VERBALISATIONS)
    for lab in spec["labels"]:
        lab["verbalization"] = VERBALISATIONS[lab["name"]]
    task.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    run("tasks", "--task", str(task))

    small = ["--n", "6", "--per-label", "5", "-k", "8", "--retriever", "bm25", "--no-progress"]
    # 2. the plumbing check: the fake backend, default filters, exit 0
    run("generate", "--task", str(task), "--corpus", str(corpus), "--llm", "fake", *small,
        "--out", str(tmp_path / "check"))  # fmt: skip

    # 3. the real run: SmolLM2-135M through llama.cpp
    out = run("generate", "--task", str(task), "--corpus", str(corpus), *small, "--out", str(tmp_path / "runs"))
    run_dir = run_dir_of(out)
    data = pd.read_parquet(run_dir / "data.parquet")
    assert len(data) >= 6 and set(data["label"]) == set(VERBALISATIONS)

    # 4. evaluate, 5. report, 6. export
    run("evaluate", str(run_dir), "--student", "tfidf", "--seeds", "1", "--no-progress")
    report = tmp_path / "report.html"
    run("report", str(run_dir), "--out", str(report), "--no-map")
    assert report.stat().st_size > 0
    export = tmp_path / "dataset"
    run("export", str(run_dir), str(export), "--format", "csv", "--columns", "text,label")
    exported = pd.read_csv(export / "train.csv")
    assert list(exported.columns) == ["text", "label"] and len(exported) == len(data)
    card = (export / "README.md").read_text(encoding="utf-8")
    assert str(tmp_path) not in card
