import copy
from pathlib import Path

import pytest
import yaml

from dprk_stance.config import MODEL_NAMES, Config, ConfigError

REPO = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def with_changes(**sections) -> dict:
    """The repo's params with some sections' keys replaced (``None`` deletes a key)."""
    data = copy.deepcopy(PARAMS)
    for section, values in sections.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if value is None:
                    data[section].pop(key)
                else:
                    data[section][key] = value
        else:
            data[section] = values
    return data


def test_repo_params_load_with_the_default_models():
    cfg = Config.load(REPO / "params.yaml")
    assert set(cfg.models) == {"keywords", "tfidf-logreg", "setfit"}  # transformer: opt-in
    assert cfg.evaluated[-1] == "ensemble"
    assert cfg.train.learning_rate > 0


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['train.learnig_rate'\]"):
        Config.from_dict(with_changes(train={"learnig_rate": 1e-4}))


def test_missing_keys_are_all_named(tmp_path):
    """The case of a params file without split.test_size and calibration.abstain_threshold:
    an error naming both, never a silent built-in default."""
    data = with_changes(split={"test_size": None}, calibration={"abstain_threshold": None})
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        Config.load(path)
    message = str(err.value)
    assert str(path) in message
    assert "calibration.abstain_threshold" in message and "split.test_size" in message


def test_no_second_set_of_defaults():
    """Values live in params.yaml only: no config field carries a default."""
    import dataclasses
    import typing

    def walk(cls):
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name} has a default"
            assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            tp = typing.get_type_hints(cls)[f.name]
            if dataclasses.is_dataclass(tp):
                walk(tp)

    walk(Config)


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"train\.epochs: expected an integer"):
        Config.from_dict(with_changes(train={"epochs": "three"}))
    with pytest.raises(ConfigError, match=r"train\.class_weighted_loss: expected true/false"):
        Config.from_dict(with_changes(train={"class_weighted_loss": "yes"}))


def test_out_of_range_is_named():
    with pytest.raises(ConfigError, match=r"calibration\.abstain_threshold must lie"):
        Config.from_dict(with_changes(calibration={"abstain_threshold": 5}))
    with pytest.raises(ConfigError, match=r"evaluate\.confident must lie"):
        Config.from_dict(with_changes(evaluate={"confident": 0}))


def test_char_ngram_range_is_checked():
    for bad in ([3], [5, 3], [0, 2], [1, 2, 3]):
        with pytest.raises(ConfigError, match=r"tfidf_logreg\.char_ngram_range"):
            Config.from_dict(with_changes(tfidf_logreg={"char_ngram_range": bad}))
    cfg = Config.from_dict(with_changes(tfidf_logreg={"char_ngram_range": [3, 5]}))
    assert cfg.tfidf_logreg.char_ngram_range == (3, 5)


def test_yaml11_exponent_string_becomes_float():
    cfg = Config.from_dict(with_changes(train={"learning_rate": "5e-5"}))
    assert cfg.train.learning_rate == 5e-5


def test_literal_and_model_validation():
    with pytest.raises(ConfigError, match="not one of"):
        Config.from_dict(with_changes(split={"mode": "random"}))
    with pytest.raises(ConfigError, match="unknown model"):
        Config.from_dict(with_changes(models={"bert-large": "train"}))
    with pytest.raises(ConfigError, match="params section"):
        Config.from_dict(with_changes(models={"transformer": "tfidf_logreg"}))
    with pytest.raises(ConfigError, match="not cross-validated"):
        Config.from_dict(with_changes(crossval={"models": ["transformer"]}))
    with pytest.raises(ConfigError, match="not listed in 'models'"):
        Config.from_dict(with_changes(ensemble={"members": ["bert"]}))
    with pytest.raises(ConfigError, match="weighting"):
        Config.from_dict(with_changes(ensemble={"weighting": "median"}))
    with pytest.raises(ConfigError, match=r"real_text\.models: \['bert'\]"):
        Config.from_dict(with_changes(real_text={"models": ["bert"]}))
    with pytest.raises(ConfigError, match="different files"):
        Config.from_dict(with_changes(real_text={"train": "data/eval/kcna_labels.csv"}))


def test_dvc_yaml_lists_what_params_declare():
    """dvc.yaml cannot interpolate lists, so the evaluate stage's models and the ensemble
    stage's member folders are written out there; they must match params.yaml."""
    cfg = Config.load(REPO / "params.yaml")
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    assert tuple(stages["evaluate"]["foreach"]) == cfg.evaluated
    plots = yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"]
    confusion = next(p for p in plots if "Confusion matrices (test split)" in p)
    named = [path.split("/")[1] for path in confusion["Confusion matrices (test split)"]["y"]]
    assert tuple(named) == cfg.evaluated
    member_deps = [d for d in stages["train-ensemble"]["deps"] if "models_dir" in d]
    assert member_deps == [f"${{paths.models_dir}}/{m}" for m in cfg.ensemble.members]


def test_missing_params_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        Config.load(tmp_path / "params.yaml")


def test_every_stage_that_reads_an_outside_input_depends_on_its_manifest():
    """DVC cannot track ../shared; the external stage's manifests stand in for it."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    archive = "${paths.processed_dir}/external/archive.json"
    evaluation = "${paths.processed_dir}/external/evaluation.json"
    for name, stage in stages.items():
        body = stage.get("do", stage)
        params = [p for p in body.get("params", []) if isinstance(p, str)]
        if name == "external":
            assert stage.get("always_changed") is True
            continue
        if "real_text.archive" in params:
            assert archive in body["deps"], name
        if "evaluate" in params or "evaluate.kinds" in params:
            assert evaluation in body["deps"], name


def test_the_tests_train_every_model_kind(trained):
    """The test fixture trains every kind, including those params.yaml leaves off."""
    assert set(trained.models) | {"ensemble"} == set(MODEL_NAMES)
