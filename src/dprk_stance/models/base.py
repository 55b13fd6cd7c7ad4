"""The common model interface and the on-disk model directory format.

A model directory holds the model's own files (safetensors + tokenizer for transformers,
skops for scikit-learn) and ``stance_model.json``: kind, label order, fitted temperature,
abstention threshold and the params it was trained with. No pickle anywhere.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dprk_stance import __version__
from dprk_stance.calibrate import probabilities
from dprk_stance.fsutil import read_json, write_json
from dprk_stance.labels import LABELS

MODEL_FILE = "stance_model.json"
FORMAT_VERSION = 1

_KINDS: dict[str, str] = {
    "keywords": "dprk_stance.models.keywords:KeywordModel",
    "tfidf-logreg": "dprk_stance.models.tfidf:TfidfLogRegModel",
    "embed-logreg": "dprk_stance.models.embed:EmbedLogRegModel",
    "transformer": "dprk_stance.models.transformer:TransformerModel",
}


@dataclass(frozen=True)
class Assessment:
    probs: np.ndarray  # (n, 3) calibrated, LABELS order
    confidence: np.ndarray  # max probability
    relevance: np.ndarray  # relevance-gate score (nan without a gate)
    off_topic: np.ndarray  # relevance below the gate's threshold
    uncertain: np.ndarray  # low confidence or off topic


class ModelLoadError(RuntimeError):
    """A directory is not a dprk-stance model, or was written for other labels."""


class StanceModel(abc.ABC):
    """fit / scores / predict_proba / save / load, with temperature scaling built in."""

    kind: ClassVar[str]

    def __init__(self, params: Any, seed: int = 42) -> None:
        self.params = params
        self.seed = seed
        self.temperature = 1.0
        self.abstain_threshold = 0.5
        self.inference_batch_size = int(
            getattr(params, "eval_batch_size", getattr(params, "batch_size", 32))
        )
        # Set by the train stage for models that train in steps: where resumable state goes
        # and a dvclive.Live to log curves to. None: no checkpoints/curves (tests, CV).
        self.checkpoint_dir: Path | None = None
        self.live: Any = None
        self.relevance: Any = None  # a RelevanceGate fitted by the train stage, or None

    # --- to implement -------------------------------------------------------------------
    @abc.abstractmethod
    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        """Fit on train (dev only for early stopping); return facts for the training summary."""

    @abc.abstractmethod
    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated logits, shape (n, 3), columns in LABELS order."""

    @abc.abstractmethod
    def _save_files(self, path: Path) -> None: ...

    @abc.abstractmethod
    def _load_files(self, path: Path) -> None: ...

    @property
    def max_tokens(self) -> int:
        """Window size used when segmenting documents for this model."""
        return int(getattr(self.params, "max_length", 256))

    def count_tokens(self, text: str) -> int:
        """Length in the model's own units (word pieces for transformers, words otherwise)."""
        return len(text.split())

    def quantize(self) -> StanceModel:
        raise NotImplementedError(
            f"the int8 path is only available for transformer models, not {self.kind!r}"
        )

    # --- shared ------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str], calibrated: bool = True) -> np.ndarray:
        return probabilities(self.scores(texts), self.temperature if calibrated else 1.0)

    def assess(
        self,
        texts: Sequence[str],
        threshold: float | None = None,
        probs: np.ndarray | None = None,
    ) -> Assessment:
        """Calibrated probabilities plus the two reasons to distrust them.

        ``uncertain`` is set when the calibrated confidence is below the abstention threshold
        or the relevance gate finds the passage unlike any stance-bearing training passage.
        ``probs``: calibrated probabilities already computed for ``texts`` (not scored again).
        """
        n = len(texts)
        if probs is None:
            probs = self.predict_proba(list(texts)) if n else np.zeros((0, len(LABELS)))
        confidence = probs.max(axis=1) if n else np.zeros(0)
        if self.relevance is not None:
            relevance = self.relevance.scores(texts)
            off_topic = self.relevance.off_topic(relevance)
        else:
            relevance, off_topic = np.full(n, np.nan), np.zeros(n, dtype=bool)
        limit = self.abstain_threshold if threshold is None else threshold
        return Assessment(probs, confidence, relevance, off_topic, (confidence < limit) | off_topic)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_files(path)
        if self.relevance is not None:
            self.relevance.save(path)
        params = asdict(self.params) if is_dataclass(self.params) else dict(self.params)
        write_json(
            path / MODEL_FILE,
            {
                "format": FORMAT_VERSION,
                "kind": self.kind,
                "labels": list(LABELS),
                "temperature": self.temperature,
                "abstain_threshold": self.abstain_threshold,
                "max_tokens": self.max_tokens,
                "relevance": None if self.relevance is None else self.relevance.describe(),
                "seed": self.seed,
                "params": params,
                "dprk_stance_version": __version__,
            },
        )


def _model_class(kind: str) -> type[StanceModel]:
    try:
        module, _, name = _KINDS[kind].partition(":")
    except KeyError as exc:
        raise ModelLoadError(f"unknown model kind {kind!r}; known: {sorted(_KINDS)}") from exc
    return getattr(importlib.import_module(module), name)


def build_model(kind: str, params: Any, seed: int) -> StanceModel:
    return _model_class(kind)(params, seed=seed)


def load_model(path: str | Path, *, int8: bool = False) -> StanceModel:
    """Load any model directory written by :meth:`StanceModel.save`."""
    path = Path(path)
    meta_file = path / MODEL_FILE
    if not meta_file.is_file():
        raise ModelLoadError(f"{path}: not a dprk-stance model directory (no {MODEL_FILE})")
    meta = read_json(meta_file)
    if tuple(meta.get("labels", ())) != LABELS:
        raise ModelLoadError(
            f"{path}: trained for labels {meta.get('labels')}, expected {list(LABELS)}"
        )
    cls = _model_class(meta["kind"])
    params = _params_for(meta["kind"], meta.get("params", {}))
    model = cls(params, seed=int(meta.get("seed", 42)))
    model.temperature = float(meta.get("temperature", 1.0))
    model.abstain_threshold = float(meta.get("abstain_threshold", 0.5))
    model._load_files(path)
    from dprk_stance.relevance import RelevanceGate

    model.relevance = RelevanceGate.load(path)
    return model.quantize() if int8 else model


def _params_for(kind: str, params: dict[str, Any]) -> Any:
    from dprk_stance.config import MODEL_SECTIONS, Config

    return Config.from_dict({MODEL_SECTIONS[kind]: params}).model_params(kind)
