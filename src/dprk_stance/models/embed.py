"""Frozen sentence embeddings (mean-pooled MiniLM) + logistic regression.

Tells whether fine-tuning earns its cost over a linear probe of the same backbone. The
encoder is saved inside the model directory so the model is self-contained. Training runs
the encoder in PyTorch; a loaded model runs it on ONNX Runtime (:mod:`.onnx`) and applies
the frozen classifier, so scoring imports neither torch nor scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.hf import (
    batched_forward,
    fast_tokenizer,
    load_tokenizer,
    quiet_transformers,
    resolve_backbone,
    torch_forward,
)
from dprk_stance.models.onnx import SavedEncoderMixin, mean_pooled
from dprk_stance.models.persist import load_logreg, save_logreg

# Frozen encoders give the same vector for the same text: cross-validation re-fits the
# classifier many times on overlapping texts, so the vectors are cached per encoder.
_CACHE: dict[tuple[str, str], np.ndarray] = {}


class EmbedLogRegModel(SavedEncoderMixin, StanceModel):
    kind = "embed-logreg"
    encoder: Any = None  # the PyTorch encoder while fitting; None once loaded (ONNX)

    def _load_encoder(self, source: str) -> None:
        from transformers import AutoModel, AutoTokenizer

        quiet_transformers()
        self.hf_tokenizer = AutoTokenizer.from_pretrained(source)
        self.tokenizer = fast_tokenizer(self.hf_tokenizer)
        self.encoder = AutoModel.from_pretrained(source, use_safetensors=True).eval()
        self._encoder_id = source
        self._count = self.tokenizer.count

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (self._encoder_id, t) not in _CACHE]
        if missing:
            vectors = batched_forward(
                missing,
                self.tokenizer,
                self._forward(),
                max_length=self.params.max_length,
                batch_size=self.inference_batch_size,
            )
            for text, vector in zip(missing, vectors, strict=True):
                _CACHE[(self._encoder_id, text)] = vector
        return np.stack([_CACHE[(self._encoder_id, t)] for t in texts])

    def _forward(self) -> Any:
        """Mean-pooled, unit-length embeddings of a batch: PyTorch while fitting, else ONNX."""
        if self.encoder is None:
            return self.encoder_forward(normalize=True)
        hidden = torch_forward(self.encoder, lambda output, _: output.last_hidden_state)
        return lambda batch: mean_pooled(hidden(batch), batch["attention_mask"], True)

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        self._load_encoder(resolve_backbone(self.params.backbone))
        p = self.params
        self.clf = LogisticRegression(
            C=p.C,
            max_iter=3000,
            random_state=self.seed,
            class_weight=None if p.class_weight == "none" else p.class_weight,
        )
        self.clf.fit(self.embed(train_texts), train_y)
        return {"backbone": p.backbone, "embedding_dim": int(self.clf.coef_.shape[1])}

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.clf, self.embed(texts))

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def _save_files(self, path: Path) -> None:
        if self.encoder is None:  # a loaded model: its encoder folder as saved
            import shutil

            shutil.copytree(self._dir / "encoder", path / "encoder", dirs_exist_ok=True)
        else:
            self.encoder.save_pretrained(path / "encoder")
            self.hf_tokenizer.save_pretrained(path / "encoder")
        save_logreg(self.clf, path, "classifier")

    def _load_files(self, path: Path) -> None:
        self._dir = path
        self.encoder = None
        self.tokenizer = load_tokenizer(path / "encoder")
        self._encoder_id = str((path / "encoder").resolve())
        self._count = self.tokenizer.count
        self.clf = load_logreg(path, "classifier")
