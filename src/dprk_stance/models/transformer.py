"""The fine-tuned transformer: a sequence-classification head on the backbone in params.

Trained with the Hugging Face Trainer (early stopping on dev macro-F1, best epoch kept),
saved with ``save_pretrained`` (safetensors, id2label/label2id in the config, tokenizer
beside it). Checkpoints go to a resumable working folder so an interrupted ``dvc repro``
continues where it stopped instead of starting over.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.base import StanceModel
from dprk_stance.models.hf import (
    batched_forward,
    fast_tokenizer,
    import_torch,
    load_tokenizer,
    quiet_transformers,
    resolve_backbone,
    torch_forward,
)
from dprk_stance.models.onnx import cached_session, session_forward
from dprk_stance.stances import ID2LABEL, LABEL2ID


class TransformerModel(StanceModel):
    kind = "transformer"
    model: Any = None  # the PyTorch model, when fitted here or needed for an ONNX export
    _session: Any = None  # an ONNX Runtime session, once a saved model has scored

    def fit(
        self,
        train_texts: Sequence[str],
        train_y: np.ndarray,
        dev_texts: Sequence[str],
        dev_y: np.ndarray,
    ) -> dict[str, Any]:
        from datasets import Dataset
        from sklearn.metrics import f1_score
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            DataCollatorWithPadding,
            EarlyStoppingCallback,
            Trainer,
            TrainingArguments,
        )

        torch = import_torch()
        quiet_transformers()
        p = self.params
        source = resolve_backbone(p.backbone)
        self.hf_tokenizer = AutoTokenizer.from_pretrained(source)
        self.tokenizer = fast_tokenizer(self.hf_tokenizer)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            source,
            num_labels=len(ID2LABEL),
            id2label=ID2LABEL,
            label2id=LABEL2ID,
            use_safetensors=True,
        )
        self._count = self.tokenizer.count

        def encode(texts: Sequence[str], y: np.ndarray) -> Dataset:
            data = Dataset.from_dict({"text": list(texts), "label": [int(v) for v in y]})
            return data.map(
                lambda b: self.hf_tokenizer(b["text"], truncation=True, max_length=p.max_length),
                batched=True,
                remove_columns=["text"],
            )

        truncated = sum(self._count(t) > p.max_length for t in train_texts)
        train_ds, dev_ds = encode(train_texts, train_y), encode(dev_texts, dev_y)

        def metrics(pred: Any) -> dict[str, float]:
            guess = np.asarray(pred.predictions).argmax(axis=1)
            return {
                "macro_f1": float(f1_score(pred.label_ids, guess, average="macro")),
                "accuracy": float((guess == pred.label_ids).mean()),
            }

        loss_func = None
        if p.class_weighted_loss:
            counts = np.bincount(np.asarray(train_y), minlength=len(ID2LABEL)).astype(float)
            weights = torch.tensor(
                counts.sum() / (len(counts) * np.maximum(counts, 1)), dtype=torch.float32
            )

            def loss_func(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None):
                return torch.nn.functional.cross_entropy(outputs["logits"], labels, weight=weights)

        work = self.checkpoint_dir or Path(".cache/checkpoints/_tmp_transformer")
        resume = _prepare_work_dir(
            work,
            {
                "params": asdict(p),
                "seed": self.seed,
                "train": _fingerprint(train_texts, train_y),
                "dev": _fingerprint(dev_texts, dev_y),
            },
        )
        args = TrainingArguments(
            output_dir=str(work),
            num_train_epochs=p.epochs,
            max_steps=p.max_steps,
            learning_rate=p.learning_rate,
            per_device_train_batch_size=p.batch_size,
            per_device_eval_batch_size=p.eval_batch_size,
            weight_decay=p.weight_decay,
            warmup_steps=p.warmup_ratio,
            eval_strategy="epoch",
            save_strategy="epoch",
            logging_strategy="steps",
            logging_steps=5,
            load_best_model_at_end=True,
            metric_for_best_model="macro_f1",
            greater_is_better=True,
            save_total_limit=2,
            seed=self.seed,
            data_seed=self.seed,
            use_cpu=True,
            report_to="none",
            disable_tqdm=True,
            dataloader_pin_memory=False,
            train_sampling_strategy="group_by_length",
        )
        callbacks: list[Any] = [
            EarlyStoppingCallback(early_stopping_patience=p.early_stopping_patience)
        ]
        if self.live is not None:
            callbacks.append(_live_callback(self.live))
        trainer = Trainer(
            model=self.model,
            args=args,
            train_dataset=train_ds,
            eval_dataset=dev_ds,
            processing_class=self.hf_tokenizer,
            data_collator=DataCollatorWithPadding(self.hf_tokenizer),
            compute_metrics=metrics,
            callbacks=callbacks,
            compute_loss_func=loss_func,
        )
        result = trainer.train(resume_from_checkpoint=resume or None)
        self.model = trainer.model.eval()
        state = trainer.state
        summary = {
            "backbone": p.backbone,
            "backbone_resolved": source,
            "epochs_run": float(state.epoch or 0),
            "global_steps": int(state.global_step),
            "best_dev_macro_f1": state.best_metric,
            "best_checkpoint_step": _step_of(state.best_model_checkpoint),
            "train_loss": float(result.training_loss),
            "resumed_from_checkpoint": bool(resume),
            "train_passages_truncated": int(truncated),
            "dev_history": [
                {k: v for k, v in row.items() if k in ("epoch", "eval_macro_f1", "eval_loss")}
                for row in state.log_history
                if "eval_macro_f1" in row
            ],
        }
        shutil.rmtree(work, ignore_errors=True)
        return summary

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 4) logits. A saved model runs on ONNX Runtime (the fp32 graph, or int8 after
        :meth:`quantize`), built once from its safetensors weights and cached by content
        hash; a model fitted in this process and not yet saved runs on PyTorch."""
        if len(texts) == 0:
            return np.zeros((0, len(ID2LABEL)), dtype=np.float32)
        if self._session is None and self.model is None:
            self._session = self._onnx_session(int8=False)
        if self._session is not None:
            forward = session_forward(self._session)
        else:
            forward = torch_forward(self.model, lambda out, _: out.logits)
        return batched_forward(
            texts,
            self.tokenizer,
            forward,
            max_length=self.params.max_length,
            batch_size=self.inference_batch_size,
        )

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def quantize(self) -> TransformerModel:
        """int8 inference through ONNX Runtime.

        The model is exported to ONNX and its weights quantised to int8 per channel
        (activations stay dynamic). Per-channel scales keep agreement with fp32 higher than
        torch's per-tensor dynamic quantisation did on this model. Like the fp32 graph, the
        int8 graph is built once and cached outside the model directory
        (:func:`~dprk_stance.models.onnx.onnx_cache_dir`), keyed by the model's content hash.
        """
        self._session = self._onnx_session(int8=True)
        return self

    def _onnx_session(self, *, int8: bool) -> Any:
        """An ONNX Runtime session over this model's cached graph, building it if missing."""
        return cached_session(
            self._dir,
            self.content_sha256,
            "",
            self.torch_model,
            tokenizer=self.tokenizer,
            output="logits",
            int8=int8,
        )

    def torch_model(self) -> Any:
        """The PyTorch model: the one just fitted, or loaded from the safetensors weights."""
        if self.model is None:
            from transformers import AutoModelForSequenceClassification

            quiet_transformers()
            self.model = AutoModelForSequenceClassification.from_pretrained(
                self._dir, use_safetensors=True
            ).eval()
        return self.model

    def auto_tokenizer(self) -> Any:
        """The ``transformers`` tokenizer: the one fitted with, or loaded from the folder."""
        if getattr(self, "hf_tokenizer", None) is None:  # loaded, not fitted, here
            from transformers import AutoTokenizer

            self.hf_tokenizer = AutoTokenizer.from_pretrained(self._dir)
        return self.hf_tokenizer

    def _save_files(self, path: Path) -> None:
        self.torch_model().save_pretrained(path)  # safetensors
        self.auto_tokenizer().save_pretrained(path)

    def _load_files(self, path: Path) -> None:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        id2label = {int(k): v for k, v in config.get("id2label", {}).items()}
        if id2label != ID2LABEL:
            raise RuntimeError(f"{path}: id2label {id2label} != {ID2LABEL}")
        self._dir = path
        self.model = None  # loaded from safetensors only if an ONNX graph must be built
        self.tokenizer = load_tokenizer(path)
        self._count = self.tokenizer.count


def _live_callback(live: Any) -> Any:
    """A transformers ``TrainerCallback`` logging Trainer losses and dev metrics to ``live``.

    transformers' own DVCLiveCallback ends the Live at train end; the train stage still has
    summary metrics to add, so it owns the Live and this callback only logs into it.
    """
    from transformers import TrainerCallback

    class LiveCallback(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any):
            if not logs:
                return
            live.step = int(state.global_step)
            for key, value in logs.items():
                if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                    name = f"dev/{key[5:]}" if key.startswith("eval_") else f"train/{key}"
                    live.log_metric(name, float(value))
            live.make_summary()

    return LiveCallback()


def _fingerprint(texts: Sequence[str], y: np.ndarray) -> str:
    import hashlib

    digest = hashlib.sha256()
    for text, label in zip(texts, y, strict=True):
        digest.update(f"{int(label)}\t{text}\n".encode())
    return digest.hexdigest()


def _prepare_work_dir(work: Path, run: dict[str, Any]) -> bool:
    """True if ``work`` holds checkpoints of this very run (same params and data) to resume."""
    marker = work / "run.json"
    same = marker.is_file() and json.loads(marker.read_text()) == json.loads(json.dumps(run))
    if same and any(work.glob("checkpoint-*")):
        return True
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(run, indent=2))
    return False


def _step_of(checkpoint: str | None) -> int | None:
    return int(checkpoint.rsplit("-", 1)[1]) if checkpoint else None
