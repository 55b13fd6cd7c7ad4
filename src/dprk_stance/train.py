"""Stage 3 — train: fit one model on the train split, calibrate it on dev, save it.

Run once per entry of ``models`` in params.yaml (a DVC ``foreach``). Temperature scaling is
fitted here, on dev, and stored with the model, so every consumer of the model directory
(evaluate, label, compare) gets the same calibrated probabilities.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.calibrate import fit_temperature
from dprk_stance.config import Config
from dprk_stance.fsutil import write_json
from dprk_stance.labels import LABEL2ID
from dprk_stance.models import StanceModel, build_model

SUMMARY_FILE = "training_summary.json"


def seed_everything(seed: int) -> None:
    """Seeds set once per stage, before any model is built."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def read_split(cfg: Config, name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(cfg.paths.splits_dir) / f"{name}.parquet")


def encode_labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["label"].map(LABEL2ID).to_numpy(dtype=np.int64)


def fit_model(
    cfg: Config,
    name: str,
    train_df: pd.DataFrame,
    dev_df: pd.DataFrame,
    live: Any = None,
    checkpoint_dir: Path | None = None,
) -> tuple[StanceModel, dict[str, Any]]:
    """Build, fit and calibrate one model; shared by the train stage and cross-validation."""
    from dprk_stance.models.hf import set_threads

    set_threads(cfg.threads)
    extra = {}
    if name == "ensemble":
        extra["models_dir"] = cfg.paths.models_dir
    model = build_model(name, cfg.model_params(name), seed=cfg.seed, **extra)
    model.live, model.checkpoint_dir = live, checkpoint_dir
    started = time.perf_counter()
    info = model.fit(
        train_df["text"].tolist(),
        encode_labels(train_df),
        dev_df["text"].tolist(),
        encode_labels(dev_df),
    )
    fit_seconds = time.perf_counter() - started
    dev_y = encode_labels(dev_df)
    dev_logits = model.scores(dev_df["text"].tolist())
    if cfg.calibration.temperature:
        model.temperature = fit_temperature(dev_logits, dev_y)
    model.abstain_threshold = cfg.calibration.abstain_threshold
    relevance: dict[str, Any] = {}
    if cfg.calibration.relevance_quantile > 0:
        from dprk_stance.models.relevance import RelevanceGate

        model.relevance = RelevanceGate(cfg.calibration.relevance_quantile).fit(
            train_df["text"].tolist(), dev_df["text"].tolist()
        )
        relevance = {"relevance_threshold": model.relevance.threshold}
    summary = {
        "model": name,
        "train_passages": len(train_df),
        "dev_passages": len(dev_df),
        "train_seconds": round(fit_seconds, 3),
        "temperature": model.temperature,
        "dev_accuracy_at_fit": float((dev_logits.argmax(axis=1) == dev_y).mean()),
        **relevance,
        **info,
    }
    return model, summary


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
        print(
            f"warning: git repository without commits: DVCLive cannot log; no curves in "
            f"{directory} (commit once to enable them)",
            file=sys.stderr,
        )
        return _NoLive()
    return Live(dir=str(directory), dvcyaml=False, save_dvc_exp=False)


def train(cfg: Config, name: str) -> dict[str, Any]:
    """Train ``name`` (one of ``models``) and write ``models/<name>/``."""
    if name not in cfg.models and name != "ensemble":
        raise ValueError(f"model {name!r} is not listed in params 'models' {list(cfg.models)}")
    seed_everything(cfg.seed)
    train_df, dev_df = read_split(cfg, "train"), read_split(cfg, "dev")
    checkpoint_dir = Path(cfg.paths.checkpoints_dir) / name
    with _open_live(Path(cfg.paths.dvclive_dir) / name) as live:
        model, summary = fit_model(cfg, name, train_df, dev_df, live, checkpoint_dir)
        live.log_metric("summary/train_seconds", summary["train_seconds"], plot=False)
        live.log_metric("summary/temperature", model.temperature, plot=False)
        live.log_metric("summary/dev_accuracy", summary["dev_accuracy_at_fit"], plot=False)
    out = Path(cfg.paths.models_dir) / name
    model.save(out)
    write_json(out / SUMMARY_FILE, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.cli import run_stage

    return run_stage(train, argv, name="train", takes_model=True)


if __name__ == "__main__":
    sys.exit(main())
