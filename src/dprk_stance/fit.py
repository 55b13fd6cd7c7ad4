"""Build, fit and calibrate one model: shared by the train stage and cross-validation.

Temperature scaling and the relevance gate are fitted on dev here and stored with the model,
so every consumer of a model directory gets the same calibrated probabilities.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.calibrate import fit_temperature
from dprk_stance.config import Config
from dprk_stance.data import encode_labels
from dprk_stance.models import StanceModel, build_model
from dprk_stance.stats import macro_f1


def seed_everything(seed: int) -> None:
    """Seeds set once per stage, before any model is built."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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
        "dev_macro_f1_at_fit": macro_f1(dev_y, dev_logits.argmax(axis=1)),
        **relevance,
        **info,
    }
    return model, summary
