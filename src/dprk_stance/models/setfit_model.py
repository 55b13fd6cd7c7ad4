"""SetFit: contrastive fine-tuning of the sentence encoder, then a logistic-regression head.

SetFit (Tunstall et al., 2022, the ``setfit`` package) tunes the encoder on pairs of
passages — same label close, different labels apart — so that the embedding space separates
stances rather than topics, then fits a linear head on the tuned embeddings. It needs far
fewer steps than full fine-tuning and transfers better across registers, which is why it is
a candidate default.

Persistence uses no pickle: the encoder is saved by sentence-transformers (safetensors) and
the head as JSON + NPZ (:mod:`dprk_stance.models.persist`); SetFit's own ``save_pretrained``
(joblib) is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel, class_scores
from dprk_stance.models.hf import resolve_backbone
from dprk_stance.models.persist import load_logreg, save_logreg


class SetFitStanceModel(StanceModel):
    kind = "setfit"

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from datasets import Dataset
        from setfit import SetFitModel, Trainer, TrainingArguments

        p = self.params
        head = {
            "C": p.C,
            "max_iter": 3000,
            "random_state": self.seed,
            "class_weight": None if p.class_weight == "none" else p.class_weight,
        }
        model = SetFitModel.from_pretrained(resolve_backbone(p.backbone), head_params=head)
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
        return self.encoder.encode(
            list(texts),
            batch_size=self.inference_batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return class_scores(self.head, self.embed(texts))

    def count_tokens(self, text: str) -> int:
        return len(self.encoder.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _save_files(self, path: Path) -> None:
        self.encoder.save(str(path / "encoder"), safe_serialization=True)
        save_logreg(self.head, path, "head")

    def _load_files(self, path: Path) -> None:
        from sentence_transformers import SentenceTransformer

        self.encoder = SentenceTransformer(str(path / "encoder"), device="cpu")
        self.encoder.max_seq_length = self.params.max_length
        self.head = load_logreg(path, "head")
