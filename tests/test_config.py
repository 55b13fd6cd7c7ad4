from pathlib import Path

import pytest

from dprk_stance.config import Config, ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_repo_params_load_and_cover_every_model():
    cfg = Config.load(REPO / "params.yaml")
    assert set(cfg.models) == {"keywords", "tfidf-logreg", "embed-logreg", "transformer"}
    assert cfg.train.learning_rate > 0


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"train: unknown key\(s\) \['learnig_rate'\]"):
        Config.from_dict({"train": {"learnig_rate": 1e-4}})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"train\.epochs: expected an integer"):
        Config.from_dict({"train": {"epochs": "three"}})
    with pytest.raises(ConfigError, match=r"train\.class_weighted_loss: expected true/false"):
        Config.from_dict({"train": {"class_weighted_loss": "yes"}})


def test_yaml11_exponent_string_becomes_float():
    assert Config.from_dict({"train": {"learning_rate": "5e-5"}}).train.learning_rate == 5e-5


def test_literal_and_model_validation():
    with pytest.raises(ConfigError, match="not one of"):
        Config.from_dict({"split": {"mode": "random"}})
    with pytest.raises(ConfigError, match="unknown model"):
        Config.from_dict({"models": {"bert-large": "train"}})
    with pytest.raises(ConfigError, match="params section"):
        Config.from_dict({"models": {"transformer": "tfidf_logreg"}})
    with pytest.raises(ConfigError, match="not cross-validated"):
        Config.from_dict({"crossval": {"models": ["transformer"]}})


def test_missing_params_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        Config.load(tmp_path / "params.yaml")
