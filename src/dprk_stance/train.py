"""Stage 3 — train: fit one model on the train split, calibrate it on dev, save it.

Dev is the corpus dev split plus the shifted dev set (``calibration.shifted_dev``).

Run once per entry of ``models`` in params.yaml (a DVC ``foreach``). Temperature scaling is
fitted here, on dev, and stored with the model, so every consumer of the model directory
(evaluate, label, compare) gets the same calibrated probabilities.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from dprk_stance.card import write_model_card
from dprk_stance.config import Config
from dprk_stance.data import (
    NEAR_DUPLICATE_REJECT,
    SHIFTED_DEV,
    read_dev,
    read_split,
    real_text_training,
)
from dprk_stance.fit import fit_model, seed_everything
from dprk_stance.fsutil import write_json
from dprk_stance.models.base import SUMMARY_FILE
from dprk_stance.provenance import corpus_facts, git_state, utc_now
from dprk_stance.stances import LABELS

log = logging.getLogger(__name__)


class _NoLive:
    """Stand-in for dvclive.Live where DVCLive cannot run; logs nothing."""

    step = 0

    def __enter__(self) -> _NoLive:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def log_metric(self, *args: Any, **kwargs: Any) -> None:
        return None

    def make_summary(self) -> None:
        return None


def _open_live(directory: Path) -> Any:
    """A dvclive.Live writing to ``directory`` (never editing dvc.yaml).

    DVCLive crashes in a git repository that has no commit yet; training must not fail for
    that, so curves are then skipped with a warning.
    """
    import subprocess

    from dvclive import Live

    inside = (
        subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True
        ).stdout.strip()
        == "true"
    )
    has_head = (
        subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"], capture_output=True
        ).returncode
        == 0
    )
    if inside and not has_head:
        log.warning(
            "git repository without commits: DVCLive cannot log; no curves in %s "
            "(commit once to enable them)",
            directory,
        )
        return _NoLive()
    return Live(dir=str(directory), dvcyaml=False, save_dvc_exp=False)


def provenance(cfg: Config, splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """What a model was trained from: commit, corpus version, passages per split and label."""
    return {
        "trained_at": utc_now(),
        "git": git_state(),
        "corpus": corpus_facts(Path(cfg.paths.processed_dir) / "ingest_report.json"),
        "training_data": {
            split: {
                "passages": len(frame),
                "labels": {label: int((frame["label"] == label).sum()) for label in LABELS},
            }
            for split, frame in splits.items()
        },
    }


def train(cfg: Config, name: str) -> dict[str, Any]:
    """Train ``name`` (one of ``models``) and write ``models/<name>/``.

    The model fits on the train split plus, when ``name`` is in ``real_text.models`` and the
    archive is present, the real-text training rows (``data.real_text_training``); it is
    calibrated on the dev split plus the shifted dev set (``data.read_dev``). The directory
    holds the model, ``stance_model.json`` (with the provenance of this run),
    ``training_summary.json`` and the train-time model card ``README.md``.
    """
    if name not in cfg.models and name != "ensemble":
        raise ValueError(f"model {name!r} is not listed in params 'models' {list(cfg.models)}")
    seed_everything(cfg.seed)
    corpus_train, dev_df = read_split(cfg, "train"), read_dev(cfg)
    real, rejects = real_text_training(cfg, name)
    near = 0  # expected (the archive reprints gold paragraphs): one line, not a warning each
    for reject in rejects:
        expected = reject.get("kind") == NEAR_DUPLICATE_REJECT
        near += expected
        level = logging.DEBUG if expected else logging.WARNING
        log.log(level, "%s, line %s: %s", reject["file"], reject["line"], reject["reason"])
    if near:
        log.info(
            "%d real-text rows left out as near-duplicates of gold paragraphs (listed in "
            "%s, real_text_rejects)",
            near,
            Path(cfg.paths.models_dir) / name / SUMMARY_FILE,
        )
    train_df = pd.concat([corpus_train, real], ignore_index=True) if len(real) else corpus_train
    checkpoint_dir = Path(cfg.paths.checkpoints_dir) / name
    with _open_live(Path(cfg.paths.dvclive_dir) / name) as live:
        model, summary = fit_model(cfg, name, train_df, dev_df, live, checkpoint_dir)
        live.log_metric("summary/train_seconds", summary["train_seconds"], plot=False)
        live.log_metric("summary/temperature", model.temperature, plot=False)
        live.log_metric("summary/dev_accuracy", summary["dev_accuracy_at_fit"], plot=False)
    out = Path(cfg.paths.models_dir) / name
    splits = {"train": train_df}
    if len(real):
        splits["of which real KCNA text"] = real
    splits["dev"] = dev_df
    shifted = dev_df[dev_df["dev_part"] == SHIFTED_DEV]
    if len(shifted):
        splits[f"of which {SHIFTED_DEV} ({cfg.calibration.shifted_dev})"] = shifted
    model.provenance = provenance(cfg, splits)
    model.save(out)
    summary["real_text_train_passages"] = len(real)
    summary["real_text_rejects"] = rejects
    write_json(out / SUMMARY_FILE, summary)
    write_model_card(out, name)
    return summary


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(train, argv, name="train", takes_model=True)


if __name__ == "__main__":
    sys.exit(main())
