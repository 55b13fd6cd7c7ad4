"""The common model interface and the on-disk model directory format.

A model directory holds the model's own files (safetensors + tokenizer for transformers,
JSON + NPZ for scikit-learn parts) and ``stance_model.json``: kind, label order, fitted temperature,
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
from dprk_stance.errors import DprkStanceError
from dprk_stance.fsutil import read_json, write_json
from dprk_stance.stances import LABELS, NO_STANCE_ID

MODEL_FILE = "stance_model.json"
SUMMARY_FILE = "training_summary.json"  # facts of the training run, written by train
CARD_FILE = "README.md"  # the model card (dprk_stance.card), written by train
FORMAT_VERSION = 2
# Written beside the model but not part of its identity: timings, the sidecar itself (with
# the provenance of the training run) and the model card.
_NOT_HASHED = {MODEL_FILE, SUMMARY_FILE, CARD_FILE}


def content_hash(model_dir: str | Path) -> str:
    """SHA-256 of what a model computes with: every file's relative name and content.

    NPZ archives are hashed by their arrays (name, dtype, shape, bytes), not their zip bytes,
    which carry timestamps; the sidecar, the training summary and the model card (README.md)
    are left out. A retrain with the same seed and data therefore gets the same hash, and a
    citation of it survives a fresh clone.
    """
    import hashlib

    root = Path(model_dir)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = file.relative_to(root).as_posix()
        if relative in _NOT_HASHED or relative.startswith("members/"):
            continue
        digest.update(relative.encode() + b"\0")
        if file.suffix == ".npz":
            with np.load(file, allow_pickle=False) as data:
                for key in sorted(data.files):
                    array = np.ascontiguousarray(data[key])
                    digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
                    digest.update(array.tobytes())
        else:
            digest.update(file.read_bytes())
    return digest.hexdigest()


_KINDS: dict[str, str] = {
    "keywords": "dprk_stance.models.keywords:KeywordModel",
    "tfidf-logreg": "dprk_stance.models.tfidf:TfidfLogRegModel",
    "embed-logreg": "dprk_stance.models.embed:EmbedLogRegModel",
    "setfit": "dprk_stance.models.setfit_model:SetFitStanceModel",
    "ensemble": "dprk_stance.models.ensemble:EnsembleModel",
    "transformer": "dprk_stance.models.transformer:TransformerModel",
}


@dataclass(frozen=True)
class Assessment:
    """What a model says about n passages: every array has length n (``probs``: (n, 4))."""

    probs: np.ndarray  # (n, 4) calibrated, LABELS order (three stances, then "none")
    confidence: np.ndarray  # max probability over the four classes
    relevance: np.ndarray  # relevance-gate score (nan without a gate)
    off_topic: np.ndarray  # relevance below the gate's threshold
    no_stance: np.ndarray  # the most probable class is "none"
    uncertain: np.ndarray  # no stance, low confidence or off topic

    @property
    def predicted(self) -> np.ndarray:
        """Class ids (n,), LABELS order: "none" where the model finds no stance."""
        return self.probs.argmax(axis=1)

    @property
    def stance(self) -> np.ndarray:
        """Most probable of the three stances (n,), whatever the no-stance probability."""
        return self.probs[:, :NO_STANCE_ID].argmax(axis=1)


def class_scores(estimator: Any, features: Any) -> np.ndarray:
    """(n, 4) log-probabilities of a fitted scikit-learn classifier, in LABELS order.

    A corpus may lack a class (a user's corpus without "none" rows): such a column gets a
    log-probability of -1e4, so every model still speaks about all four classes. For a
    multinomial logistic regression these are its logits up to a per-row shift, which
    softmax and temperature scaling ignore.
    """
    logp = np.maximum(estimator.predict_log_proba(features), -1e4)
    out = np.full((logp.shape[0], len(LABELS)), -1e4)
    out[:, np.asarray(estimator.classes_, dtype=np.int64)] = logp
    return out


class ModelLoadError(DprkStanceError):
    """A directory is not a dprk-stance model, or was written for other labels."""


class StanceModel(abc.ABC):
    """fit / scores / predict_proba / save / load, with temperature scaling built in."""

    kind: ClassVar[str]

    def __init__(self, params: Any, seed: int = 42) -> None:
        self.params = params
        self.seed = seed
        self.temperature = 1.0
        # Set by the train stage from calibration.abstain_threshold and stored with the model;
        # NaN until then, so an unset threshold is an error, never a silent default.
        self.abstain_threshold = float("nan")
        self.inference_batch_size = int(
            getattr(params, "eval_batch_size", getattr(params, "batch_size", 32))
        )
        # Set by the train stage for models that train in steps: where resumable state goes
        # and a dvclive.Live to log curves to. None: no checkpoints/curves (tests, CV).
        self.checkpoint_dir: Path | None = None
        self.live: Any = None
        self.relevance: Any = None  # a RelevanceGate fitted by the train stage, or None
        self.content_sha256: str | None = None  # recorded at save time (content_hash)
        # Set by the train stage (commit, corpus, training data, time); saved in the sidecar,
        # outside the hashed content. None for models built outside the pipeline.
        self.provenance: dict[str, Any] | None = None

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
        """Uncalibrated logits, shape (n, 4), columns in LABELS order."""

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
        """Calibrated probabilities plus the reasons to distrust a stance.

        ``no_stance`` is set when "none" is the most probable class; ``uncertain`` when there
        is no stance, the calibrated confidence is below the abstention threshold, or the
        relevance gate finds the passage unlike any training passage.
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
        if np.isnan(limit):
            raise ValueError("no abstention threshold: set one when building the model")
        no_stance = probs.argmax(axis=1) == NO_STANCE_ID if n else np.zeros(0, dtype=bool)
        uncertain = no_stance | (confidence < limit) | off_topic
        return Assessment(probs, confidence, relevance, off_topic, no_stance, uncertain)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_files(path)
        if self.relevance is not None:
            self.relevance.save(path)
        params = asdict(self.params) if is_dataclass(self.params) else dict(self.params)
        # Hashed before the sidecar is written; the sidecar, the training summary and the
        # model card (README.md) are outside the hash, so writing them later changes nothing.
        self.content_sha256 = content_hash(path)
        write_json(
            path / MODEL_FILE,
            {
                "format": FORMAT_VERSION,
                "content_sha256": self.content_sha256,
                "kind": self.kind,
                "labels": list(LABELS),
                "temperature": self.temperature,
                "abstain_threshold": self.abstain_threshold,
                "max_tokens": self.max_tokens,
                "relevance": None if self.relevance is None else self.relevance.describe(),
                "seed": self.seed,
                "params": params,
                "dprk_stance_version": __version__,
                "provenance": self.provenance,
            },
        )


def _model_class(kind: str) -> type[StanceModel]:
    try:
        module, _, name = _KINDS[kind].partition(":")
    except KeyError as exc:
        raise ModelLoadError(f"unknown model kind {kind!r}; known: {sorted(_KINDS)}") from exc
    return getattr(importlib.import_module(module), name)


def build_model(kind: str, params: Any, seed: int, **kwargs: Any) -> StanceModel:
    """An unfitted model of ``kind`` configured by its params section (a dataclass)."""
    return _model_class(kind)(params, seed=seed, **kwargs)


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
    try:
        model = cls(params, seed=int(meta["seed"]))
        model.temperature = float(meta["temperature"])
        model.abstain_threshold = float(meta["abstain_threshold"])
    except KeyError as exc:
        raise ModelLoadError(f"{path / MODEL_FILE}: missing {exc.args[0]!r}") from None
    model.content_sha256 = meta.get("content_sha256")
    model.provenance = meta.get("provenance")
    model._load_files(path)
    from dprk_stance.models.relevance import RelevanceGate

    model.relevance = RelevanceGate.load(path)
    return model.quantize() if int8 else model


# Settings added after a model kind was first released, with the value that describes what
# models saved before them did (not a default: those models really did this).
_ADDED_SETTINGS: dict[str, dict[str, Any]] = {
    "tfidf-logreg": {"negation_scope": False, "char_ngram_range": [], "char_max_features": 0},
    "ensemble": {"weighting": "equal"},
}


def _params_for(kind: str, params: dict[str, Any]) -> Any:
    from dprk_stance.config import ConfigError, model_section

    try:
        return model_section(kind, {**_ADDED_SETTINGS.get(kind, {}), **params})
    except ConfigError as exc:
        raise ModelLoadError(f"stored params of a {kind!r} model: {exc}") from None
