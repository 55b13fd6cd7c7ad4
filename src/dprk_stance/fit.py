"""Build, fit and calibrate one model: shared by the train stage and cross-validation.

Temperature scaling, the relevance gate and (when asked) the abstention threshold are fitted
on dev here and stored with the model, so every consumer of a model directory gets the same
calibrated probabilities and the same ``uncertain`` flags.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.calibrate import fit_abstain_threshold, fit_temperature, probabilities
from dprk_stance.config import Config
from dprk_stance.data import encode_labels
from dprk_stance.models import StanceModel, build_model
from dprk_stance.stances import NO_STANCE_ID
from dprk_stance.stats import macro_f1

log = logging.getLogger(__name__)


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
    nll_temperature = None
    if cfg.calibration.temperature:
        # The NLL optimum, bounded below: a temperature under 1 sharpens the model on the
        # dev set, and sharpened models are confidently wrong under a shift.
        nll_temperature = fit_temperature(dev_logits, dev_y)
        model.temperature = max(nll_temperature, cfg.calibration.min_temperature)
    relevance: dict[str, Any] = {}
    if cfg.calibration.relevance_quantile > 0:
        from dprk_stance.models.relevance import RelevanceGate

        model.relevance = RelevanceGate(cfg.calibration.relevance_quantile).fit(
            train_df["text"].tolist(), dev_df["text"].tolist()
        )
        relevance = {"relevance_threshold": model.relevance.threshold}
    model.abstain_threshold, rule = _abstain_threshold(cfg, model, dev_df, dev_logits, dev_y)
    summary = {
        "model": name,
        "train_passages": len(train_df),
        "dev_passages": len(dev_df),
        "train_seconds": round(fit_seconds, 3),
        "temperature": model.temperature,
        "temperature_nll_optimum": nll_temperature,
        "abstain_threshold": model.abstain_threshold,
        "abstain_threshold_rule": rule,
        "dev_accuracy_at_fit": float((dev_logits.argmax(axis=1) == dev_y).mean()),
        "dev_macro_f1_at_fit": macro_f1(dev_y, dev_logits.argmax(axis=1)),
        "dev_parts_at_fit": _dev_parts(dev_df, dev_y, dev_logits),
        **relevance,
        **info,
    }
    return model, summary


def _dev_parts(dev_df: pd.DataFrame, dev_y: np.ndarray, dev_logits: np.ndarray) -> dict:
    """Passages, accuracy and macro-F1 (four classes) per ``dev_part`` of the dev set."""
    if "dev_part" not in dev_df:
        return {}
    parts = dev_df["dev_part"].to_numpy()
    predicted = dev_logits.argmax(axis=1)
    return {
        str(part): {
            "passages": int((parts == part).sum()),
            "accuracy": float((predicted[parts == part] == dev_y[parts == part]).mean()),
            "macro_f1": macro_f1(dev_y[parts == part], predicted[parts == part]),
        }
        for part in dict.fromkeys(parts)
    }


def _abstain_threshold(
    cfg: Config, model: StanceModel, dev_df: pd.DataFrame, dev_logits: np.ndarray, dev_y: Any
) -> tuple[float, str]:
    """The abstention threshold and, in words, how it was set (for the summary and card)."""
    fixed = cfg.calibration.abstain_threshold
    budget = cfg.calibration.abstain_max_flagged
    if budget <= 0:
        return fixed, "fixed (calibration.abstain_threshold)"
    dev = model.assess(
        dev_df["text"].tolist(), threshold=0.0, probs=probabilities(dev_logits, model.temperature)
    )
    stance = dev_y != NO_STANCE_ID
    anyway = dev.no_stance | dev.off_topic
    fitted = fit_abstain_threshold(dev.confidence, anyway, stance, budget)
    if fitted is None:
        share = float(anyway[stance].mean())
        log.warning(
            "%s: %.1f %% of dev stance passages are flagged no-stance or off-topic, over the "
            "%.0f %% budget; using the fixed threshold %.2f",
            model.kind,
            100 * share,
            100 * budget,
            fixed,
        )
        return fixed, (
            f"fixed (calibration.abstain_threshold): {share:.1%} of dev stance passages are "
            f"flagged no-stance or off-topic, over the {budget:.0%} budget"
        )
    return fitted, f"fitted on dev: the highest flagging at most {budget:.0%} of stance passages"
