"""One typed configuration, loaded from params.yaml and validated at the boundary.

Every stage and the CLI read their knobs from here; nothing else parses params.yaml.
Unknown keys and wrongly typed values fail loudly, naming the key, so a typo in an
experiment (``dvc exp run -S train.learnig_rate=…``) cannot silently do nothing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

BUNDLED_BACKBONE = "bundled:all-MiniLM-L6-v2"


class ConfigError(ValueError):
    """params.yaml is missing a key, has an unknown one, or a value of the wrong type."""


@dataclass(frozen=True)
class PathsConfig:
    raw_dir: str = "data/raw"
    processed_dir: str = "data/processed"
    splits_dir: str = "data/splits"
    models_dir: str = "models"
    metrics_dir: str = "metrics"
    plots_dir: str = "plots"
    predictions_dir: str = "predictions"
    reports_dir: str = "reports"
    dvclive_dir: str = "dvclive"
    checkpoints_dir: str = ".cache/checkpoints"


@dataclass(frozen=True)
class IngestConfig:
    min_chars: int = 20
    min_year: int = 1945
    max_year: int = 2030


@dataclass(frozen=True)
class SplitConfig:
    mode: Literal["grouped", "temporal"] = "grouped"
    test_size: float = 0.15
    dev_size: float = 0.15
    temporal_train_max_year: int = 2019


@dataclass(frozen=True)
class TrainConfig:
    """The fine-tuned transformer (``transformer`` in ``models``)."""

    backbone: str = BUNDLED_BACKBONE
    max_length: int = 256
    learning_rate: float = 5e-5
    epochs: int = 8
    batch_size: int = 16
    eval_batch_size: int = 64
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    class_weighted_loss: bool = False
    early_stopping_patience: int = 3
    max_steps: int = -1


@dataclass(frozen=True)
class TfidfConfig:
    ngram_max: int = 2
    min_df: int = 1
    max_features: int = 50000
    sublinear_tf: bool = True
    C: float = 10.0
    class_weight: Literal["balanced", "none"] = "balanced"


@dataclass(frozen=True)
class EmbedConfig:
    backbone: str = BUNDLED_BACKBONE
    max_length: int = 256
    batch_size: int = 32
    C: float = 1.0
    class_weight: Literal["balanced", "none"] = "balanced"


@dataclass(frozen=True)
class KeywordsConfig:
    C: float = 1.0


@dataclass(frozen=True)
class CalibrationConfig:
    temperature: bool = True
    abstain_threshold: float = 0.55
    relevance_quantile: float = 0.02  # 0 = no relevance gate


@dataclass(frozen=True)
class EvaluateConfig:
    n_bins: int = 10
    batch_size: int = 16


@dataclass(frozen=True)
class CompareConfig:
    bootstrap_samples: int = 2000
    confidence: float = 0.95
    leakage_reference: str = "keywords"
    leakage_target: str = "transformer"
    leakage_margin: float = 0.10


@dataclass(frozen=True)
class CrossvalConfig:
    folds: int = 5
    # The transformer is left out on purpose: k-fold fine-tuning multiplies training time by
    # k, and keeping its params out of this stage's deps keeps train experiments cheap.
    models: tuple[str, ...] = ("keywords", "tfidf-logreg", "embed-logreg")


# Model name (as listed in ``models``) -> its params.yaml section.
MODEL_SECTIONS: dict[str, str] = {
    "keywords": "keywords",
    "tfidf-logreg": "tfidf_logreg",
    "embed-logreg": "embed_logreg",
    "transformer": "train",
}
MODEL_NAMES: tuple[str, ...] = tuple(MODEL_SECTIONS)


@dataclass(frozen=True)
class Config:
    seed: int = 42
    threads: int = 0
    models: dict[str, str] = field(default_factory=lambda: dict(MODEL_SECTIONS))
    paths: PathsConfig = field(default_factory=PathsConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    tfidf_logreg: TfidfConfig = field(default_factory=TfidfConfig)
    embed_logreg: EmbedConfig = field(default_factory=EmbedConfig)
    keywords: KeywordsConfig = field(default_factory=KeywordsConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    crossval: CrossvalConfig = field(default_factory=CrossvalConfig)

    def __post_init__(self) -> None:
        unknown = [m for m in (*self.models, *self.crossval.models) if m not in MODEL_NAMES]
        if unknown:
            raise ConfigError(f"unknown model(s) {unknown}; known: {list(MODEL_NAMES)}")
        wrong = {m: s for m, s in self.models.items() if s != MODEL_SECTIONS[m]}
        if wrong:
            raise ConfigError(
                f"models: params section of {wrong} must be "
                f"{ {m: MODEL_SECTIONS[m] for m in wrong} }"
            )
        if "transformer" in self.crossval.models:
            raise ConfigError(
                "crossval.models: the transformer is not cross-validated in the "
                "pipeline (k fine-tunings); use the baselines, or a temporal split"
            )
        if not 0 < self.split.test_size < 0.5 or not 0 < self.split.dev_size < 0.5:
            raise ConfigError("split.test_size and split.dev_size must lie in (0, 0.5)")
        if not 0 <= self.calibration.abstain_threshold <= 1:
            raise ConfigError("calibration.abstain_threshold must lie in [0, 1]")
        if self.crossval.folds == 1 or self.crossval.folds < 0:
            raise ConfigError("crossval.folds must be 0 (off) or at least 2")

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> Config:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: not found (run from the project root)") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "params") -> Config:
        return _build(cls, data, source)

    def model_params(self, name: str) -> Any:
        """The params section of one model, by its name in ``models``."""
        return getattr(self, MODEL_SECTIONS[name])

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(names)}")
    kwargs = {key: _coerce(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: {value!r} is not one of {list(typing.get_args(tp))}")
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        key_tp, value_tp = typing.get_args(tp)
        return {
            _coerce(key_tp, k, f"{where} key"): _coerce(value_tp, v, f"{where}.{k}")
            for k, v in value.items()
        }
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_tp, _) = typing.get_args(tp)
        return tuple(_coerce(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: union types are not supported in config")
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)  # YAML 1.1 reads "5e-5" as a string
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from exc
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported config type {tp}")
