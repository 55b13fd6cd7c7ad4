"""An ensemble: a weighted mean of its members' calibrated log-probabilities, calibrated again.

Models that err differently (character n-grams, frozen sentence embeddings, SetFit, the
fine-tuned transformer) average out each other's confident mistakes. An equal vote lets a
weak member drag a strong one down, so by default (``ensemble.weighting: dev-nll``) the
weights are fitted on dev (:func:`dprk_stance.calibrate.fit_pool_weights`), and a
member weighted 0 is not scored at all. Members are the models
the pipeline already trained (``ensemble.members``), found beside the ensemble's folder;
their content hashes are recorded when the ensemble is built and checked when it is loaded,
so an ensemble never silently runs on members that changed under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.calibrate import fit_pool_weights, log_softmax
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
        self.weights: dict[str, float] = {}  # member -> weight; they sum to 1
        self._dev_scores: tuple[list[str] | None, np.ndarray | None] = (None, None)

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        """Load the trained members and weight them; the train stage then fits the temperature.

        With ``weighting: dev-nll`` the weights minimise dev NLL of the pool (the members'
        own temperatures were fitted on the same dev set, so this adds m - 1 parameters).
        """
        if self.models_dir is None:
            raise ValueError("an ensemble needs the folder of its trained members (models_dir)")
        self.members = {m: load_model(self.models_dir / m) for m in self.params.members}
        dev_logps = None
        if self.params.weighting == "dev-nll":
            dev_logps = [self._member_logp(m, dev_texts) for m in self.members.values()]
            weights = fit_pool_weights(np.stack(dev_logps), dev_y)
        else:
            weights = np.full(len(self.members), 1.0 / len(self.members))
        self.weights = dict(zip(self.members, (float(w) for w in weights), strict=True))
        # The train stage scores dev again right after fit (temperature, threshold): reuse.
        self._dev_scores = (
            (list(dev_texts), self._pool(dict(zip(self.members, dev_logps, strict=True))))
            if dev_logps is not None
            else (None, None)
        )
        return {
            "members": {
                m: {"temperature": x.temperature, "weight": self.weights[m]}
                for m, x in self.members.items()
            }
        }

    @staticmethod
    def _member_logp(member: StanceModel, texts: Sequence[str]) -> np.ndarray:
        return log_softmax(np.asarray(member.scores(texts), dtype=np.float64) / member.temperature)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Weighted mean of members' calibrated log-probabilities, (n, 4)."""
        cached_texts, cached = self._dev_scores
        if cached is not None and list(texts) == cached_texts:
            return cached.copy()
        return self._pool(
            {name: self._member_logp(self.members[name], texts) for name in self._scored()}
        )

    @property
    def max_tokens(self) -> int:
        """The smallest window among the scored members: a passage must fit every one
        (SetFit's 128 word pieces, not tf-idf's 256 words), or a member would read only
        its start."""
        scored = self._scored()
        if not scored:
            return super().max_tokens
        return min(self.members[name].max_tokens for name in scored)

    def count_tokens(self, text: str) -> int:
        """The length against :attr:`max_tokens` that keeps a passage within every scored
        member's window: each member's count in its own units (word pieces, words), scaled
        from its window to the smallest, ``ceil(count * min_window / window)``, and the
        largest of these. So a passage fits exactly when it fits every member."""
        scored = self._scored()
        if not scored:
            return super().count_tokens(text)
        smallest = self.max_tokens
        return max(
            -(-self.members[name].count_tokens(text) * smallest // self.members[name].max_tokens)
            for name in scored
        )

    def _scored(self) -> list[str]:
        """Members with a positive weight: the only ones worth scoring."""
        return [name for name, weight in self.weights.items() if weight > 0]

    def _pool(self, logps: dict[str, np.ndarray]) -> np.ndarray:
        return sum(self.weights[name] * logps[name] for name in self._scored())

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
                name: {
                    "path": f"../{name}",
                    "sha256": content_hash(self.models_dir / name),
                    "weight": self.weights[name],
                }
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
        entries = read_json(path / MEMBERS_FILE)
        # Ensembles saved before weighting was added averaged their members equally.
        self.weights = {name: e.get("weight", 1.0 / len(entries)) for name, e in entries.items()}
        for name, entry in entries.items():
            member_dir = (path / entry["path"]).resolve()
            member = load_model(member_dir) if (member_dir / MODEL_FILE).is_file() else None
            if member is None or member.content_sha256 != entry["sha256"]:
                raise ModelLoadError(
                    f"{path}: member {name!r} at {member_dir} is missing or has changed since "
                    "the ensemble was built; rebuild it (dvc repro)"
                )
            self.members[name] = member
