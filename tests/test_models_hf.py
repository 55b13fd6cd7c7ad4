"""Inference plumbing shared by the Hugging Face models (dprk_stance.models.hf)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from dprk_stance.models.hf import load_tokenizer

TEXTS = [
    "Enterprises should not be allowed to set their own prices.",
    "The Rason Economic and Trade Zone links three provinces with ports that never freeze.",
    "short",
    "A very long passage " * 80,  # truncated at max_length
    "Ünïcode accents, numbers 1,234.5 and (brackets) — dashes.",
]


@pytest.mark.parametrize("max_length", [16, 128])
def test_fast_tokenizer_matches_the_transformers_tokenizer(tiny_bert, max_length):
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(tiny_bert)(
        TEXTS, truncation=True, max_length=max_length
    )
    ours = load_tokenizer(tiny_bert).encode(TEXTS, max_length)
    assert [e.ids for e in ours] == reference["input_ids"]
    assert [e.attention_mask for e in ours] == reference["attention_mask"]
    assert [e.type_ids for e in ours] == reference["token_type_ids"]
    assert load_tokenizer(tiny_bert).pad_id == AutoTokenizer.from_pretrained(tiny_bert).pad_token_id


def test_token_count_is_untruncated_and_counts_special_tokens(tiny_bert):
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(tiny_bert)
    tokenizer = load_tokenizer(tiny_bert)
    tokenizer.encode(TEXTS, 8)  # truncation must not leak into later calls
    for text in TEXTS:
        assert tokenizer.count(text) == len(reference(text)["input_ids"])


def test_saved_transformer_scores_on_onnx_runtime_like_pytorch(trained, tmp_path, monkeypatch):
    from dprk_stance.models import load_model

    monkeypatch.setenv("DPRK_STANCE_CACHE", str(tmp_path / "cache"))
    model = load_model(Path(trained.paths.models_dir) / "transformer")
    onnx_logits = model.scores(TEXTS)  # builds and caches the fp32 graph
    assert model._session is not None
    assert len(list((tmp_path / "cache" / "onnx").glob("*.fp32.onnx"))) == 1
    torch_model = model.torch_model()
    model._session = None
    torch_logits = model.scores(TEXTS)  # model.model is set: the PyTorch path
    assert torch_model is model.model
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)
    assert (onnx_logits.argmax(1) == torch_logits.argmax(1)).all()


@pytest.mark.parametrize("name", ["transformer", "embed-logreg", "setfit", "ensemble"])
def test_predicting_with_a_cached_graph_imports_no_training_library(trained, tmp_path, name):
    import os
    import subprocess

    env = {**os.environ, "DPRK_STANCE_CACHE": str(tmp_path / "cache")}
    model_dir = str(Path(trained.paths.models_dir) / name)
    probe = (
        "import sys; from dprk_stance.models import load_model; "
        f"m = load_model({model_dir!r}); m.assess(['a passage']); "
        "print(sorted({k.split('.')[0] for k in sys.modules} & "
        "{'torch', 'transformers', 'sentence_transformers', 'sklearn', 'pandas'}))"
    )
    first = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "[]", second.stdout


def test_saved_encoders_embed_on_onnx_runtime_like_pytorch(trained, tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformer

    from dprk_stance.models import embed as embed_module
    from dprk_stance.models import load_model

    monkeypatch.setenv("DPRK_STANCE_CACHE", str(tmp_path / "cache"))
    models = Path(trained.paths.models_dir)

    setfit = load_model(models / "setfit")
    assert setfit.encoder is None  # MiniLM-style layout: ONNX, no sentence-transformers
    reference = SentenceTransformer(str(models / "setfit" / "encoder"), device="cpu")
    reference.max_seq_length = setfit.params.max_length
    expected = reference.encode(TEXTS, convert_to_numpy=True)
    np.testing.assert_allclose(setfit.embed(TEXTS), expected, atol=1e-5)
    assert [setfit.count_tokens(t) for t in TEXTS] == [
        len(reference.tokenizer(t)["input_ids"]) for t in TEXTS
    ]

    embed = load_model(models / "embed-logreg")
    onnx_vectors = embed.embed(TEXTS)
    embed_module._CACHE.clear()
    embed.encoder = embed.torch_encoder()  # the PyTorch path of a model being fitted
    np.testing.assert_allclose(embed.embed(TEXTS), onnx_vectors, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, rtol=1e-5)
    assert len(list((tmp_path / "cache" / "onnx").glob("*.encoder.fp32.onnx"))) == 2

    # One session per encoder, but each forward pools as asked: the first call's
    # normalisation is not carried over to a later call that asks for none.
    from dprk_stance.models.hf import batched_forward

    def pooled(normalize):
        forward = setfit.encoder_forward(normalize=normalize)
        return batched_forward(TEXTS, setfit.tokenizer, forward, max_length=64, batch_size=8)

    unit, raw = pooled(True), pooled(False)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)


def test_setfit_encoders_onnx_cannot_run_fall_back_to_sentence_transformers(trained, tmp_path):
    import json
    import shutil

    from dprk_stance.models import load_model
    from dprk_stance.models.setfit_model import onnx_layout

    copy = shutil.copytree(Path(trained.paths.models_dir) / "setfit", tmp_path / "setfit")
    assert onnx_layout(copy / "encoder") is not None  # mean pooling (tiny BERT: no Normalize)
    baseline = load_model(copy).predict_proba(TEXTS)
    pooling = copy / "encoder" / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode": "cls"}))
    assert onnx_layout(copy / "encoder") is None
    fallback = load_model(copy)
    assert fallback.encoder is not None  # run by sentence-transformers itself
    assert not np.allclose(fallback.predict_proba(TEXTS), baseline, atol=1e-6)


def test_empty_input_scores_to_an_empty_four_column_array(trained):
    from dprk_stance.models import load_model

    model = load_model(Path(trained.paths.models_dir) / "transformer")
    assert model.scores([]).shape == (0, 4)
    assert model.assess([]).probs.shape == (0, 4)


def test_changed_weights_are_refused_rather_than_cached_under_the_old_hash(
    trained, tmp_path, monkeypatch
):
    import shutil

    monkeypatch.setenv("DPRK_STANCE_CACHE", str(tmp_path / "cache"))
    from dprk_stance.models import load_model
    from dprk_stance.models.base import ModelLoadError

    copy = shutil.copytree(Path(trained.paths.models_dir) / "transformer", tmp_path / "m")
    import json

    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "edited": True}))
    model = load_model(copy)
    with pytest.raises(ModelLoadError, match="changed since the model was saved"):
        model.scores(["a passage"])
