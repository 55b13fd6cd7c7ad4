import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dprk_stance.evaluate import evaluate
from dprk_stance.labels import LABELS, PROB_COLUMNS


@pytest.fixture(scope="module")
def evaluated(trained):
    return {name: evaluate(trained, name) for name in trained.models}


def test_metrics_in_range_and_consistent_with_predictions(trained, evaluated):
    for name, metrics in evaluated.items():
        assert 0 <= metrics["macro_f1"] <= 1 and 0 <= metrics["accuracy"] <= 1
        assert metrics["ece_calibrated"] >= 0 and metrics["size_on_disk_mb"] > 0
        assert set(metrics["per_class"]) == set(LABELS)
        pred = pd.read_csv(Path(trained.paths.predictions_dir) / f"{name}.csv")
        assert (pred["predicted"] == pred["label"]).mean() == pytest.approx(metrics["accuracy"])
        np.testing.assert_allclose(pred[list(PROB_COLUMNS)].sum(axis=1), 1.0, rtol=1e-6)
        assert len(pred) == metrics["test_passages"]
        stored = json.loads((Path(trained.paths.metrics_dir) / f"{name}.json").read_text())
        assert stored["macro_f1"] == metrics["macro_f1"]


def test_plots_written(trained, evaluated):
    for name in evaluated:
        d = Path(trained.paths.plots_dir) / name
        for f in ("confusion.csv", "confusion.png", "reliability.csv", "reliability.png"):
            assert (d / f).stat().st_size > 0
        assert (d / "confusion.png").read_bytes()[:4] == b"\x89PNG"
        confusion = pd.read_csv(d / "confusion.csv")
        assert list(confusion.columns) == ["actual", "predicted"]
