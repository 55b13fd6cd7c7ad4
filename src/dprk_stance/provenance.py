"""Where a result came from: the commit, the corpus version and the time.

The train stage records these in every model's ``stance_model.json`` (``provenance``), and
every labelling run report repeats them with the model's content hash, so a published
figure can be traced to the code, the corpus and the model that produced it.

The commit is that of the git working tree the command runs in; ``dirty`` says whether the
package source, ``params.yaml`` or ``dvc.yaml`` differed from it. Pipeline outputs (models,
metrics, ``dvc.lock``) are not counted: a ``dvc repro`` rewrites them while it runs, and the
corpus is identified by its own version, not by the commit.
"""

from __future__ import annotations

import datetime
import logging
import subprocess
from pathlib import Path
from typing import Any

from dprk_stance.fsutil import read_json

log = logging.getLogger(__name__)

# What decides a trained model besides the corpus: the code and the pipeline's settings.
_SOURCES = ("src", "params.yaml", "dvc.yaml", "pyproject.toml")
_MAX_CHANGED = 20


def utc_now() -> str:
    """The current time, UTC, ISO 8601 to the second (``2026-11-30T06:30:00Z``)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


def _git(directory: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_state(directory: str | Path = ".") -> dict[str, Any] | None:
    """The commit of the git working tree at ``directory`` and whether its sources differ.

    Returns ``{"commit": 40 hex digits, "dirty": bool, "changed": [paths]}`` (at most 20
    changed paths, relative to the repository root, over ``src/``, ``params.yaml``,
    ``dvc.yaml`` and ``pyproject.toml``, untracked files included), or None outside a git
    repository, without a commit, or without git.
    """
    directory = Path(directory)
    top = _git(directory, "rev-parse", "--show-toplevel")
    commit = _git(directory, "rev-parse", "--verify", "-q", "HEAD")
    if top is None or commit is None:
        return None
    root = Path(top.strip())
    present = [name for name in _SOURCES if (root / name).exists()]
    status = (
        _git(root, "status", "--porcelain=v1", "--untracked-files=all", "--", *present)
        if present
        else ""
    )
    if status is None:
        return None
    changed = sorted({line[3:].split(" -> ")[-1] for line in status.splitlines() if line})
    return {"commit": commit.strip(), "dirty": bool(changed), "changed": changed[:_MAX_CHANGED]}


def corpus_facts(ingest_report: str | Path) -> dict[str, Any] | None:
    """The corpus a model is trained from, from the ingest stage's report.

    Returns ``{"version", "passages", "documents", "labels", "files"}`` (``version``: the
    12-hex-digit hash of the kept passages, see :func:`dprk_stance.ingest.corpus_version`),
    or None with a warning when the report is absent (a split written by hand).
    """
    path = Path(ingest_report)
    if not path.is_file():
        log.warning("%s not found: the corpus version is not recorded with the model", path)
        return None
    report = read_json(path)
    return {
        "version": report.get("corpus_version"),
        "passages": report.get("rows_kept"),
        "documents": report.get("documents"),
        "labels": report.get("labels"),
        "files": report.get("files"),
    }
