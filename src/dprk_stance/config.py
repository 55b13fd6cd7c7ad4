"""One typed configuration, loaded from params.yaml and validated at the boundary.

Every stage and the CLI read their knobs from here; nothing else parses params.yaml.
Unknown keys and wrongly typed values fail loudly, naming the key, so a typo in an
experiment (``dvc exp run -S train.learnig_rate=…``) cannot silently do nothing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from dprk_stance.errors import DprkStanceError

BUNDLED_BACKBONE = "bundled:all-MiniLM-L6-v2"


class ConfigError(DprkStanceError, ValueError):
    """params.yaml is missing a key, has an unknown one, or a value of the wrong type."""


@dataclass(frozen=True)
class PathsConfig:
    raw_dir: str
    processed_dir: str
    splits_dir: str
    models_dir: str
    metrics_dir: str
    plots_dir: str
    predictions_dir: str
    reports_dir: str
    dvclive_dir: str
    checkpoints_dir: str


@dataclass(frozen=True)
class IngestConfig:
    min_chars: int
    min_year: int
    max_year: int


@dataclass(frozen=True)
class SplitConfig:
    mode: Literal["grouped", "temporal"]
    test_size: float
    dev_size: float
    temporal_train_max_year: int


@dataclass(frozen=True)
class TrainConfig:
    """The fine-tuned transformer (``transformer`` in ``models``)."""

    backbone: str
    max_length: int
    learning_rate: float
    epochs: int
    batch_size: int
    eval_batch_size: int
    weight_decay: float
    warmup_ratio: float
    class_weighted_loss: bool
    early_stopping_patience: int
    max_steps: int


@dataclass(frozen=True)
class TfidfConfig:
    ngram_max: int
    min_df: int
    max_features: int
    sublinear_tf: bool
    negation_scope: bool
    # Character n-grams within words (scikit-learn's ``char_wb``) beside the word n-grams:
    # [low, high] lengths, [] = none. They match a stem across inflections and spellings
    # ("decentralised", "decentralization") that word features keep apart.
    char_ngram_range: tuple[int, ...]
    char_max_features: int
    C: float
    class_weight: Literal["balanced", "none"]

    def __post_init__(self) -> None:
        r = self.char_ngram_range
        if r and (len(r) != 2 or not 1 <= r[0] <= r[1]):
            raise ConfigError(
                f"tfidf_logreg.char_ngram_range: expected [] or [low, high] with "
                f"1 <= low <= high, got {list(r)}"
            )
        if r and self.char_max_features < 1:
            raise ConfigError("tfidf_logreg.char_max_features must be at least 1")


@dataclass(frozen=True)
class EmbedConfig:
    backbone: str
    max_length: int
    batch_size: int
    C: float
    class_weight: Literal["balanced", "none"]


@dataclass(frozen=True)
class SetFitConfig:
    """SetFit: contrastive fine-tuning of the sentence encoder, then a logistic head."""

    backbone: str
    max_length: int
    batch_size: int
    num_iterations: int
    max_steps: int
    learning_rate: float
    C: float
    class_weight: Literal["balanced", "none"]


@dataclass(frozen=True)
class EnsembleConfig:
    """Weighted mean of the trained members' calibrated log-probabilities, re-calibrated on dev.

    Built by its own stage (``train-ensemble``) after the members; empty = no ensemble.
    """

    members: tuple[str, ...]
    # dev-nll: weights on the simplex fitted on dev (calibrate.fit_pool_weights); equal: 1/m
    weighting: Literal["dev-nll", "equal"]


@dataclass(frozen=True)
class KeywordsConfig:
    C: float


@dataclass(frozen=True)
class CalibrationConfig:
    temperature: bool
    # Lower bound on the fitted temperature: 1.0 lets scaling soften a model but never
    # sharpen it (sharpening on in-domain dev multiplied confident errors; fit.py)
    min_temperature: float
    abstain_threshold: float  # used as is when abstain_max_flagged is 0
    # > 0: fit the threshold on dev instead, the highest that flags at most this share of the
    # dev stance passages (calibrate.fit_abstain_threshold; dev = data.read_dev)
    abstain_max_flagged: float
    relevance_quantile: float  # 0 = no relevance gate
    # Passages by other writers than the corpus's, appended to the dev split wherever models
    # are calibrated (data.read_dev); "" = the corpus dev split alone
    shifted_dev: str


@dataclass(frozen=True)
class EvaluateConfig:
    n_bins: int
    batch_size: int
    confident: float  # an error at or above this confidence counts as a confident error
    sets: dict[str, str]  # name -> gold file (JSONL/CSV with text and label)
    kinds: str  # skipped when absent


@dataclass(frozen=True)
class RealTextConfig:
    """Hand-labelled paragraphs of the real KCNA archive: labels in the repo, text read from
    the archive at run time (``dprk_stance.realtext``); every use is skipped when it is absent.
    """

    archive: str
    gold: str  # evaluation labels: never trained, tuned or calibrated on
    train: str  # training labels from other stories than the gold's; "" = none
    # Models whose training split gets the real-text training rows (the ensemble: its
    # relevance gate); the others train on the corpus alone
    models: tuple[str, ...]


@dataclass(frozen=True)
class CompareConfig:
    bootstrap_samples: int
    confidence: float
    leakage_reference: str
    leakage_target: str
    leakage_margin: float
    default_by: str  # evaluation set on which the default model is chosen


@dataclass(frozen=True)
class CrossvalConfig:
    folds: int
    # The transformer is left out on purpose: k-fold fine-tuning multiplies training time by
    # k, and keeping its params out of this stage's deps keeps train experiments cheap.
    models: tuple[str, ...]


# Model name (as listed in ``models``) -> its params.yaml section.
MODEL_SECTIONS: dict[str, str] = {
    "keywords": "keywords",
    "tfidf-logreg": "tfidf_logreg",
    "embed-logreg": "embed_logreg",
    "setfit": "setfit",
    "ensemble": "ensemble",
    "transformer": "train",
}
MODEL_NAMES: tuple[str, ...] = tuple(MODEL_SECTIONS)
SLOW_MODELS = ("transformer", "setfit")


@dataclass(frozen=True)
class Config:
    """Every setting of the pipeline. Values live in params.yaml only: no key has a default
    here, so a key missing from the file is an error that names it."""

    seed: int
    threads: int
    models: dict[str, str]
    paths: PathsConfig
    ingest: IngestConfig
    split: SplitConfig
    train: TrainConfig
    tfidf_logreg: TfidfConfig
    embed_logreg: EmbedConfig
    setfit: SetFitConfig
    ensemble: EnsembleConfig
    keywords: KeywordsConfig
    calibration: CalibrationConfig
    evaluate: EvaluateConfig
    real_text: RealTextConfig
    compare: CompareConfig
    crossval: CrossvalConfig

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
        slow = [m for m in self.crossval.models if m in SLOW_MODELS]
        if slow:
            raise ConfigError(
                f"crossval.models: {slow} are not cross-validated in the pipeline "
                "(k fine-tunings); use the baselines, or a temporal split"
            )
        if "ensemble" in self.models:
            raise ConfigError(
                "models: 'ensemble' is built by its own stage from ensemble.members; "
                "list the base models here"
            )
        bad_members = [m for m in self.ensemble.members if m not in self.models]
        if bad_members:
            raise ConfigError(f"ensemble.members: {bad_members} are not listed in 'models'")
        bad_real = [m for m in self.real_text.models if m not in (*self.models, "ensemble")]
        if bad_real:
            raise ConfigError(
                f"real_text.models: {bad_real} are not listed in 'models' (or 'ensemble')"
            )
        if self.real_text.train and self.real_text.train == self.real_text.gold:
            raise ConfigError("real_text.train and real_text.gold must be different files")
        if not 0 < self.split.test_size < 0.5 or not 0 < self.split.dev_size < 0.5:
            raise ConfigError("split.test_size and split.dev_size must lie in (0, 0.5)")
        if not 0 <= self.calibration.abstain_threshold <= 1:
            raise ConfigError("calibration.abstain_threshold must lie in [0, 1]")
        if not 0.05 <= self.calibration.min_temperature <= 20:
            raise ConfigError("calibration.min_temperature must lie in [0.05, 20]")
        if not 0 <= self.calibration.abstain_max_flagged < 1:
            raise ConfigError("calibration.abstain_max_flagged must lie in [0, 1)")
        if not 0 <= self.calibration.relevance_quantile < 1:
            raise ConfigError("calibration.relevance_quantile must lie in [0, 1)")
        if not 0 < self.evaluate.confident <= 1:
            raise ConfigError("evaluate.confident must lie in (0, 1]")
        if not 0 < self.compare.confidence < 1:
            raise ConfigError("compare.confidence must lie in (0, 1)")
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
        """Validate a parsed params mapping; ConfigError names the source and the key."""
        try:
            return _build(cls, data, "")
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @property
    def evaluated(self) -> tuple[str, ...]:
        """Every model the evaluate stages score: the base models, then the ensemble."""
        return (*self.models, "ensemble") if self.ensemble.members else tuple(self.models)

    def model_params(self, name: str) -> Any:
        """The params section of one model, by its name in ``models``."""
        return getattr(self, MODEL_SECTIONS[name])

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def model_section(name: str, values: dict[str, Any]) -> Any:
    """One model's params section (as stored beside a saved model), validated on its own.

    Raises ConfigError naming the key when a stored section lacks a setting or has a new one.
    """
    section = MODEL_SECTIONS[name]
    cls = typing.get_type_hints(Config)[section]
    return _build(cls, values, section)


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass ``cls`` from ``data``; ``where`` is the dotted key path ('' at the top)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'params'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}

    def path(key: str) -> str:
        return f"{where}.{key}" if where else key

    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {[path(k) for k in unknown]}; allowed here: {sorted(names)}"
        )
    missing = _missing_keys(cls, data, where)
    if missing:
        keys = ", ".join(missing)
        raise ConfigError(f"missing key(s) {keys}: every setting must be given in the params file")
    kwargs = {key: _coerce(hints[key], value, path(key)) for key, value in data.items()}
    return cls(**kwargs)


def _missing_keys(cls: type, data: dict[str, Any], where: str) -> list[str]:
    """Every missing dotted key below ``where``, nested sections included, sorted."""
    hints = typing.get_type_hints(cls)
    missing = []
    for f in dataclasses.fields(cls):
        key = f"{where}.{f.name}" if where else f.name
        if f.name not in data:
            missing.append(key)
        elif dataclasses.is_dataclass(hints[f.name]) and isinstance(data[f.name], dict):
            missing += _missing_keys(hints[f.name], data[f.name], key)
    return sorted(missing)


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
