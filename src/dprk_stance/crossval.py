"""Stage — crossval: grouped, stratified k-fold cross-validation (optional).

With a test split of a hundred-odd passages one number is noisy; k folds over the whole
corpus give mean ± sd per model. Off when ``crossval.folds`` is 0. The transformer is not in
the default list because it multiplies training time by k.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.data import encode_labels
from dprk_stance.fit import fit_model, seed_everything
from dprk_stance.fsutil import write_json
from dprk_stance.split import grouped_folds, holdout_mask
from dprk_stance.stats import macro_f1


def crossval(cfg: Config) -> dict[str, Any]:
    out = Path(cfg.paths.reports_dir) / "cv.json"
    if cfg.crossval.folds == 0:
        report: dict[str, Any] = {"enabled": False}
        write_json(out, report)
        return report
    seed_everything(cfg.seed)
    table = pd.read_parquet(Path(cfg.paths.processed_dir) / "passages.parquet")
    folds = grouped_folds(table, cfg.crossval.folds, cfg.seed)
    results: dict[str, Any] = {}
    for name in cfg.crossval.models:
        per_fold = []
        for k, held in enumerate(folds):
            test = table.iloc[held]
            rest = table.drop(index=table.index[held]).reset_index(drop=True)
            dev_mask = holdout_mask(rest, cfg.split.dev_size, cfg.seed + k)
            model, _ = fit_model(cfg, name, rest[~dev_mask], rest[dev_mask])
            pred = model.predict_proba(test["text"].tolist()).argmax(axis=1)
            y = encode_labels(test)
            per_fold.append(
                {
                    "fold": k,
                    "test_passages": len(test),
                    "macro_f1": macro_f1(y, pred),
                    "accuracy": float((pred == y).mean()),
                }
            )
        scores = np.array([f["macro_f1"] for f in per_fold])
        results[name] = {
            "macro_f1_mean": float(scores.mean()),
            "macro_f1_sd": float(scores.std(ddof=1)),
            "folds": per_fold,
        }
    report = {
        "enabled": True,
        "folds": cfg.crossval.folds,
        "seed": cfg.seed,
        "grouped_by": "doc_id",
        "models": results,
    }
    write_json(out, report)
    return report


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(crossval, argv, name="crossval")


if __name__ == "__main__":
    sys.exit(main())
