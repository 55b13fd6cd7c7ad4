import json

import numpy as np
import pytest

from dprk_stance.models import load_model
from dprk_stance.models.base import MODEL_FILE, ModelLoadError
from dprk_stance.models.keywords import keyword_counts
from dprk_stance.split import SPLITS
from dprk_stance.stances import LABELS

TEXTS = [
    "Enterprises should set their own plans and keep their earnings.",
    "Trade must reach many countries; zones should welcome investors.",
    "The state's unified guidance and self-reliance must come first.",
]


@pytest.mark.parametrize(
    "name", ["keywords", "tfidf-logreg", "embed-logreg", "setfit", "transformer"]
)
def test_round_trip_gives_identical_probabilities(trained, name, tmp_path):
    model_dir = f"{trained.paths.models_dir}/{name}"
    model = load_model(model_dir)
    probs = model.predict_proba(TEXTS)
    assert probs.shape == (3, len(LABELS))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    model.save(tmp_path / name)
    again = load_model(tmp_path / name)
    np.testing.assert_allclose(again.predict_proba(TEXTS), probs, rtol=1e-5, atol=1e-6)
    assert again.temperature == model.temperature
    assert set(model.predict(TEXTS)) <= set(LABELS)


def test_ensemble_pools_weighted_members_and_refuses_changed_members(trained, tmp_path):
    import shutil
    from pathlib import Path

    from scipy.special import softmax

    from dprk_stance.models.base import MODEL_FILE

    ensemble = load_model(f"{trained.paths.models_dir}/ensemble")
    members = [load_model(f"{trained.paths.models_dir}/{m}") for m in trained.ensemble.members]
    weights = [ensemble.weights[m] for m in trained.ensemble.members]
    assert sum(weights) == pytest.approx(1.0)
    mean = sum(w * np.log(m.predict_proba(TEXTS)) for w, m in zip(weights, members, strict=True))
    expected = softmax(mean / ensemble.temperature, axis=1)
    np.testing.assert_allclose(ensemble.predict_proba(TEXTS), expected, rtol=1e-5, atol=1e-7)
    copy = tmp_path / "models"
    shutil.copytree(trained.paths.models_dir, copy)
    # An ensemble saved before weighting existed (no weights recorded) averaged equally.
    members_file = copy / "ensemble" / "members.json"
    recorded = json.loads(members_file.read_text())
    members_file.write_text(
        json.dumps({k: {"path": v["path"], "sha256": v["sha256"]} for k, v in recorded.items()})
    )
    old = load_model(copy / "ensemble")
    assert set(old.weights.values()) == {1 / len(recorded)}
    members_file.write_text(json.dumps(recorded))
    # A member retrained after the ensemble was built records another content hash.
    sidecar = Path(copy, trained.ensemble.members[0], MODEL_FILE)
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "content_sha256": "0" * 64}))
    with pytest.raises(ModelLoadError, match="changed"):
        load_model(copy / "ensemble")
    shutil.rmtree(sidecar.parent)
    with pytest.raises(ModelLoadError, match="missing"):
        load_model(copy / "ensemble")


def test_ensemble_segments_within_every_scored_members_window(trained):
    """A long paragraph labelled with the ensemble is cut so that no member truncates it:
    each passage fits each scored member's window in that member's own units."""
    from dprk_stance.assess import segment_document
    from dprk_stance.text import normalize_text

    ensemble = load_model(f"{trained.paths.models_dir}/ensemble")
    # the repo's default pairing (the fixture's ensemble pools other members)
    scored = ["tfidf-logreg", "setfit"]
    ensemble.members = {m: load_model(f"{trained.paths.models_dir}/{m}") for m in scored}
    ensemble.weights = {name: 1 / len(scored) for name in scored}
    windows = {m: ensemble.members[m].max_tokens for m in scored}
    assert len(set(windows.values())) > 1, windows  # the fixture's members differ
    assert ensemble.max_tokens == min(windows.values())
    # Word pieces outnumber words: the SetFit member's count decides
    sentence = "Enterprises should set their own plans and keep their earnings in won. "
    text = sentence * 40
    passages = segment_document(text, ensemble, min_chars=20).passages
    assert len(passages) > 1
    for passage in passages:
        for name in scored:
            member = ensemble.members[name]
            assert member.count_tokens(normalize_text(passage.text)) <= member.max_tokens


def test_ensemble_reuses_its_dev_scores_exactly(trained):
    from dprk_stance.models.ensemble import EnsembleModel

    model = EnsembleModel(trained.ensemble, models_dir=trained.paths.models_dir)
    model.fit([], np.array([]), TEXTS, np.array([0, 1, 2]))
    cached = model.scores(TEXTS)
    model._dev_scores = (None, None)
    np.testing.assert_array_equal(cached, model.scores(TEXTS))
    assert model.scores(TEXTS[:2]).shape == (2, len(LABELS))


def test_a_class_missing_from_training_still_gets_a_column():
    from sklearn.linear_model import LogisticRegression

    from dprk_stance.models.base import class_scores

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    clf = LogisticRegression().fit(x, [0, 0, 2, 2])  # no class 1, no "none"
    scores = class_scores(clf, x)
    assert scores.shape == (4, len(LABELS))
    assert (scores[:, 1] == -1e4).all() and (scores[:, 3] == -1e4).all()
    np.testing.assert_allclose(np.exp(scores[:, [0, 2]]).sum(axis=1), 1.0)


def test_no_pickle_anywhere_in_a_model_directory(trained):
    from pathlib import Path

    for name in trained.evaluated:
        files = {p.suffix for p in Path(trained.paths.models_dir, name).rglob("*") if p.is_file()}
        assert ".npz" in files or ".safetensors" in files, name
        assert not files & {".pkl", ".pickle", ".joblib", ".bin", ".skops"}, name


def test_transformer_directory_is_hf_format_with_label_maps(trained):
    import json
    from pathlib import Path

    d = Path(trained.paths.models_dir) / "transformer"
    assert (d / "model.safetensors").is_file() and (d / "tokenizer.json").is_file()
    config = json.loads((d / "config.json").read_text())
    assert config["id2label"] == {str(i): label for i, label in enumerate(LABELS)}
    assert config["label2id"] == {label: i for i, label in enumerate(LABELS)}


def test_trained_models_beat_chance_on_test(trained):
    import pandas as pd

    test = pd.read_parquet(f"{trained.paths.splits_dir}/test.parquet")
    for name in ("tfidf-logreg", "transformer"):
        pred = load_model(f"{trained.paths.models_dir}/{name}").predict(test["text"].tolist())
        assert np.mean(np.array(pred) == test["label"].to_numpy()) > 0.6, name
    assert SPLITS == ("train", "dev", "test")


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelLoadError, match=MODEL_FILE):
        load_model(tmp_path)


def test_sklearn_parts_load_without_executing_code(trained):
    """Vectorizers and classifiers are JSON + NPZ; NPZ files hold plain arrays only."""
    from pathlib import Path

    for name in ("keywords", "tfidf-logreg", "embed-logreg", "setfit"):
        for npz in Path(trained.paths.models_dir, name).glob("*.npz"):
            with np.load(npz, allow_pickle=False) as data:  # raises on object arrays
                assert all(data[k].dtype != object for k in data.files)


def test_keyword_counts_fold_romanisation():
    counts = keyword_counts(
        [
            "We rely on charyŏk kaengsaeng and the self-supporting economy.",
            "Independent-accounting enterprises under SERMS",
            "Nothing relevant here.",
        ]
    )
    assert counts[0, 2] == 2 and counts[1, 0] >= 1 and counts[2].sum() == 0


def test_int8_path_agrees_with_fp32(trained):
    import pandas as pd

    texts = pd.read_parquet(f"{trained.paths.splits_dir}/test.parquet")["text"].tolist()
    fp32 = load_model(f"{trained.paths.models_dir}/transformer").predict(texts)
    int8 = load_model(f"{trained.paths.models_dir}/transformer", int8=True).predict(texts)
    agreement = np.mean(np.array(fp32) == np.array(int8))
    assert agreement >= 0.98, agreement


def test_int8_graph_is_cached_by_content_hash(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("DPRK_STANCE_CACHE", str(tmp_path))
    first = load_model(f"{trained.paths.models_dir}/transformer", int8=True)
    cached = list((tmp_path / "onnx").glob("*.int8.onnx"))
    assert [p.name for p in cached] == [f"{first.content_sha256}.int8.onnx"]
    mtime = cached[0].stat().st_mtime_ns
    second = load_model(f"{trained.paths.models_dir}/transformer", int8=True)
    assert cached[0].stat().st_mtime_ns == mtime  # read, not rebuilt
    np.testing.assert_allclose(second.predict_proba(TEXTS), first.predict_proba(TEXTS))


def test_int8_is_refused_for_non_transformers(trained):
    with pytest.raises(NotImplementedError, match="int8"):
        load_model(f"{trained.paths.models_dir}/tfidf-logreg", int8=True)


def test_same_seed_and_data_give_the_same_model_hash(trained, tmp_path):
    """Citable identity: retraining with the same seed and data reproduces the content hash
    (timings and NPZ zip timestamps are not part of it)."""
    import json
    import time
    from pathlib import Path

    from dprk_stance.data import read_split
    from dprk_stance.fit import fit_model

    hashes = []
    for i in range(2):
        model, _ = fit_model(
            trained, "tfidf-logreg", read_split(trained, "train"), read_split(trained, "dev")
        )
        model.save(tmp_path / str(i))
        hashes.append(json.loads((tmp_path / str(i) / MODEL_FILE).read_text())["content_sha256"])
        time.sleep(1.1)  # a later second in any timestamp
    assert hashes[0] == hashes[1]
    stored = json.loads(Path(trained.paths.models_dir, "tfidf-logreg", MODEL_FILE).read_text())
    assert stored["content_sha256"] == load_model(tmp_path / "0").content_sha256


def test_a_tfidf_model_saved_before_negation_scopes_loads_without_them(trained, tmp_path):
    import shutil
    from pathlib import Path

    copy = shutil.copytree(Path(trained.paths.models_dir) / "tfidf-logreg", tmp_path / "old")
    sidecar = copy / MODEL_FILE
    meta = json.loads(sidecar.read_text())
    del meta["params"]["negation_scope"]
    sidecar.write_text(json.dumps(meta))
    assert load_model(copy).params.negation_scope is False
    meta["params"]["ngram_max"] = "two"
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="ngram_max"):
        load_model(copy)


def _spelling_corpus() -> tuple[list[str], np.ndarray]:
    """Each class has its cue word in one spelling only; the filler is shared."""
    cues = ["decentralisation", "diversification", "centralism", "weather"]
    filler = [
        "the",
        "committee",
        "discussed",
        "the",
        "report",
        "of",
        "the",
        "ministry",
        "at",
        "length",
    ]
    texts, y = [], []
    for i in range(80):
        words = filler[i % 5 :] + filler[: i % 5]
        words.insert(i % 7, cues[i % 4])
        texts.append(" ".join(words))
        y.append(i % 4)
    return texts, np.array(y)


def test_tfidf_char_ngrams_read_an_unseen_spelling_and_round_trip_exactly(tmp_path):
    """With char_ngram_range the model links "decentralization" to the "decentralisation"
    it was trained on (words alone cannot); the saved model scores exactly as the fitted
    one, and the character vectorizer is saved in its own files."""
    from conftest import tfidf_params

    from dprk_stance.models import build_model

    texts, y = _spelling_corpus()
    unseen = ["the committee discussed decentralization at length"]
    probs = {}
    for name, chars in (("words", []), ("chars", [3, 5])):
        model = build_model("tfidf-logreg", tfidf_params(char_ngram_range=chars), seed=0)
        summary = model.fit(texts, y, texts, y)
        model.abstain_threshold = 0.5
        probs[name] = model.predict_proba(unseen)[0]
        model.save(tmp_path / name)
        again = load_model(tmp_path / name)
        sample = unseen + texts[:5]
        np.testing.assert_allclose(
            again.predict_proba(sample), model.predict_proba(sample), rtol=1e-10, atol=1e-12
        )
        assert ("char_vocabulary_size" in summary) == bool(chars)
        assert (tmp_path / name / "char_vectorizer.json").is_file() == bool(chars)
    assert probs["chars"].argmax() == LABELS.index("pro-decentralization")
    assert probs["words"].max() < 0.5 < probs["chars"].max()


def test_a_tfidf_model_saved_before_char_ngrams_loads_with_words_only(tmp_path):
    from conftest import tfidf_params

    from dprk_stance.models import build_model

    texts, y = _spelling_corpus()
    model = build_model("tfidf-logreg", tfidf_params(char_ngram_range=[]), seed=0)
    model.fit(texts, y, texts, y)
    model.abstain_threshold = 0.5
    copy = tmp_path / "old"
    model.save(copy)
    sidecar = copy / MODEL_FILE
    meta = json.loads(sidecar.read_text())
    for key in ("char_ngram_range", "char_max_features"):
        del meta["params"][key]
    sidecar.write_text(json.dumps(meta))
    model = load_model(copy)
    assert model.params.char_ngram_range == () and model.char_vectorizer is None
    assert model.predict_proba(TEXTS).shape == (len(TEXTS), len(LABELS))


def test_setfit_never_unpickles_a_head_found_beside_its_backbone(tiny_bert, tmp_path, monkeypatch):
    """SetFitModel.from_pretrained joblib-loads a model_head.pkl in the backbone folder; the
    setfit model builds its head itself, and its backbone loads from safetensors only."""
    import dataclasses
    import shutil

    import joblib
    import torch
    from conftest import REPO
    from transformers import AutoModel

    from dprk_stance.config import Config
    from dprk_stance.models import build_model

    backbone = tmp_path / "backbone"
    shutil.copytree(tiny_bert, backbone)
    (backbone / "model_head.pkl").write_bytes(b"not to be unpickled")

    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(joblib, "load", refuse)
    params = Config.load(REPO / "params.yaml").setfit
    params = dataclasses.replace(params, backbone=str(backbone), max_length=32, max_steps=1)
    texts = [*TEXTS, "The plant reported its output for the quarter."]
    y = np.arange(4)
    model = build_model("setfit", params, 0)
    model.checkpoint_dir = tmp_path / "ckpt"
    model.fit(texts, y, texts, y)
    assert model.predict_proba(texts).shape == (4, 4)

    pickled = tmp_path / "pickled"  # the same weights as a torch pickle only
    shutil.copytree(tiny_bert, pickled)
    torch.save(AutoModel.from_pretrained(tiny_bert).state_dict(), pickled / "pytorch_model.bin")
    (pickled / "model.safetensors").unlink()
    with pytest.raises(OSError):
        build_model("setfit", dataclasses.replace(params, backbone=str(pickled)), 0).fit(
            texts, y, texts, y
        )
