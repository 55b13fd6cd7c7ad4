"""SetFit: contrastive fine-tuning of the sentence encoder, then a logistic-regression head.

SetFit (Tunstall et al., 2022, the ``setfit`` package) tunes the encoder on pairs of
passages — same label close, different labels apart — so that the embedding space separates
stances rather than topics, then fits a linear head on the tuned embeddings. It needs far
fewer steps than full fine-tuning and transfers better across registers, which is why it is
a candidate default.

Persistence uses no pickle: the encoder is saved by sentence-transformers (safetensors) and
the head as JSON + NPZ (:mod:`dprk_stance.models.persist`); SetFit's own ``save_pretrained``
(joblib) is not used. A loaded model whose encoder is a plain transformer + mean pooling
(+ normalisation), as SetFit builds from MiniLM, runs the encoder on ONNX Runtime
(:mod:`.onnx`) and the head frozen, importing neither torch nor scikit-learn; any other
sentence-transformers layout is run by sentence-transformers itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.fsutil import read_json
from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.hf import batched_forward, load_tokenizer, resolve_backbone
from dprk_stance.models.onnx import SavedEncoderMixin
from dprk_stance.models.persist import load_logreg, save_logreg

_TRANSFORMER = "sentence_transformers.base.modules.transformer.Transformer"
_POOLING = "sentence_transformers.sentence_transformer.modules.pooling.Pooling"
_NORMALIZE = "sentence_transformers.base.modules.normalize.Normalize"


def onnx_layout(encoder_dir: Path) -> bool | None:
    """Whether a saved sentence-transformers encoder normalises its embeddings, if it is a
    transformer at the folder's root followed by mean pooling (and normalisation); None for
    any other layout (CLS or max pooling, dense layers, older module names)."""
    modules_file = encoder_dir / "modules.json"
    if not modules_file.is_file():
        return None
    modules = [(m.get("type"), m.get("path")) for m in read_json(modules_file)]
    if len(modules) not in (2, 3) or modules[0] != (_TRANSFORMER, "") or modules[1][0] != _POOLING:
        return None
    pooling = read_json(encoder_dir / modules[1][1] / "config.json")
    if pooling.get("pooling_mode") != "mean":
        return None
    if len(modules) == 3:
        return True if modules[2][0] == _NORMALIZE else None
    return False


class SetFitStanceModel(SavedEncoderMixin, StanceModel):
    kind = "setfit"
    encoder: Any = None  # a SentenceTransformer (fitted here, or a layout ONNX cannot run)

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from datasets import Dataset
        from sentence_transformers import SentenceTransformer
        from setfit import SetFitModel, Trainer, TrainingArguments
        from sklearn.linear_model import LogisticRegression

        p = self.params
        head = {
            "C": p.C,
            "max_iter": 3000,
            "random_state": self.seed,
            "class_weight": None if p.class_weight == "none" else p.class_weight,
        }
        # Built from its parts, not with SetFitModel.from_pretrained: that unpickles a
        # model_head.pkl found in the backbone folder (joblib) and logs that the head starts
        # untrained, which is the intent here. The body loads safetensors weights only.
        body = SentenceTransformer(
            resolve_backbone(p.backbone), device="cpu", model_kwargs={"use_safetensors": True}
        )
        model = SetFitModel(model_body=body, model_head=LogisticRegression(**head))
        args = TrainingArguments(
            output_dir=str(self.checkpoint_dir or Path(".cache/checkpoints/_tmp_setfit")),
            batch_size=p.batch_size,
            num_epochs=1,
            num_iterations=p.num_iterations,
            max_steps=p.max_steps,
            body_learning_rate=p.learning_rate,
            max_length=p.max_length,
            seed=self.seed,
            report_to="none",
            show_progress_bar=False,
            save_strategy="no",
            eval_strategy="no",
        )
        data = Dataset.from_dict({"text": list(train_texts), "label": [int(v) for v in train_y]})
        trainer = Trainer(model=model, args=args, train_dataset=data)
        trainer.train()
        self.encoder, self.head = model.model_body, model.model_head
        self.encoder.max_seq_length = p.max_length
        return {
            "backbone": p.backbone,
            "contrastive_max_steps": p.max_steps,
            "embedding_dim": int(self.head.coef_.shape[1]),
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) sentence embeddings, as the encoder's own pipeline computes them."""
        if self.encoder is None:
            return self._onnx_embed(texts)
        return self.encoder.encode(
            list(texts),
            batch_size=self.inference_batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.head, self.embed(texts))

    def _onnx_embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, int(self.head.coef_.shape[1])), dtype=np.float32)
        return batched_forward(
            texts,
            self.tokenizer,
            self.encoder_forward(normalize=self._normalize),
            max_length=self.params.max_length,
            batch_size=self.inference_batch_size,
        )

    def count_tokens(self, text: str) -> int:
        if self.encoder is None:
            return self.tokenizer.count(text)
        return len(self.encoder.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _save_files(self, path: Path) -> None:
        if self.encoder is None:  # a loaded model: its encoder folder as saved
            import shutil

            shutil.copytree(self._dir / "encoder", path / "encoder", dirs_exist_ok=True)
        else:
            self.encoder.save(str(path / "encoder"), safe_serialization=True)
        save_logreg(self.head, path, "head")

    def _load_files(self, path: Path) -> None:
        self._dir = path
        self.head = load_logreg(path, "head")
        normalize = onnx_layout(path / "encoder")
        if normalize is not None:
            self.encoder, self._normalize = None, normalize
            self.tokenizer = load_tokenizer(path / "encoder")
            return
        from sentence_transformers import SentenceTransformer

        self.encoder = SentenceTransformer(
            str(path / "encoder"), device="cpu", model_kwargs={"use_safetensors": True}
        )
        self.encoder.max_seq_length = self.params.max_length
