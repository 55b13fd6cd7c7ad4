"""The one test that fine-tunes the real bundled MiniLM (a few steps) and reloads it."""

import numpy as np
import pytest
from conftest import REPO, make_corpus

from dprk_stance.config import model_section
from dprk_stance.models import load_model
from dprk_stance.models.transformer import TransformerModel
from dprk_stance.stances import LABEL2ID


@pytest.mark.slow
def test_fine_tune_bundled_minilm_and_reload(tmp_path):
    rows = make_corpus(n_docs=12, per_doc=4)
    texts = [r["text"] for r in rows]
    y = np.array([LABEL2ID[r["label"]] for r in rows])
    import yaml

    section = yaml.safe_load((REPO / "params.yaml").read_text())["train"]
    section.update(max_steps=3, batch_size=8, eval_batch_size=16, max_length=64)
    params = model_section("transformer", section)  # the bundled MiniLM, as in params.yaml
    model = TransformerModel(params, seed=0)
    model.checkpoint_dir = tmp_path / "work"
    summary = model.fit(texts[:36], y[:36], texts[36:], y[36:])
    assert summary["global_steps"] == 3
    assert summary["backbone_resolved"].endswith("model")
    model.save(tmp_path / "models" / "transformer")
    again = load_model(tmp_path / "models" / "transformer")
    # the real MiniLM, not a stand-in
    assert again.torch_model().config.num_hidden_layers == 6
    np.testing.assert_allclose(
        again.predict_proba(texts[36:]), model.predict_proba(texts[36:]), rtol=1e-4, atol=1e-5
    )
