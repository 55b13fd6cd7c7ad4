"""An ensemble: the mean of its members' calibrated log-probabilities, calibrated again.

Models that err differently (character n-grams, frozen sentence embeddings, SetFit, the
fine-tuned transformer) average out each other's confident mistakes. Members are the models
the pipeline already trained (``ensemble.members``), found beside the ensemble's folder;
their content hashes are recorded when the ensemble is built and checked when it is loaded,
so an ensemble never silently runs on members that changed under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.calibrate import log_softmax
from dprk_stance.fsutil import read_json, write_json
from dprk_stance.models.base import (
    MODEL_FILE,
    ModelLoadError,
    StanceModel,
    content_hash,
    load_model,
)

MEMBERS_FILE = "members.json"


class EnsembleModel(StanceModel):
    kind = "ensemble"

    def __init__(self, params: Any, seed: int = 42, models_dir: str | Path | None = None):
        super().__init__(params, seed)
        self.models_dir = None if models_dir is None else Path(models_dir)
        self.members: dict[str, StanceModel] = {}

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        """Load the trained members; the train stage then fits the ensemble's temperature."""
        if self.models_dir is None:
            raise ValueError("an ensemble needs the folder of its trained members (models_dir)")
        self.members = {m: load_model(self.models_dir / m) for m in self.params.members}
        return {"members": {m: {"temperature": x.temperature} for m, x in self.members.items()}}

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Mean of members' calibrated log-probabilities, (n, 4)."""
        logps = [
            log_softmax(np.asarray(m.scores(texts), dtype=np.float64) / m.temperature)
            for m in self.members.values()
        ]
        return np.mean(logps, axis=0)

    @property
    def inference_batch_size(self) -> int:
        return self._batch_size

    @inference_batch_size.setter
    def inference_batch_size(self, value: int) -> None:
        self._batch_size = value
        for member in getattr(self, "members", {}).values():
            member.inference_batch_size = value

    def _save_files(self, path: Path) -> None:
        write_json(
            path / MEMBERS_FILE,
            {
                name: {"path": f"../{name}", "sha256": content_hash(self.models_dir / name)}
                for name in self.members
            },
        )

    def _load_files(self, path: Path) -> None:
        """Load the members; each must carry the content hash recorded at build time.

        The hash compared is the one each member recorded when it was saved (its sidecar),
        not recomputed from its files: a retrained member is caught at no cost, and the
        weights themselves are hashed again whenever an ONNX graph is built from them.
        """
        self.members = {}
        for name, entry in read_json(path / MEMBERS_FILE).items():
            member_dir = (path / entry["path"]).resolve()
            member = load_model(member_dir) if (member_dir / MODEL_FILE).is_file() else None
            if member is None or member.content_sha256 != entry["sha256"]:
                raise ModelLoadError(
                    f"{path}: member {name!r} at {member_dir} is missing or has changed since "
                    "the ensemble was built; rebuild it (dvc repro)"
                )
            self.members[name] = member
