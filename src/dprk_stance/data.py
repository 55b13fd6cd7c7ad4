"""Reading the pipeline's split tables: the one place that knows where they live and how
labels become class ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dprk_stance.config import Config
from dprk_stance.stances import LABEL2ID


def read_split(cfg: Config, name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(cfg.paths.splits_dir) / f"{name}.parquet")


def encode_labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["label"].map(LABEL2ID).to_numpy(dtype=np.int64)
