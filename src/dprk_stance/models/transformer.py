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
import torch
from transformers import TrainerCallback

from dprk_stance.models.base import StanceModel
from dprk_stance.models.hf import batched_forward, resolve_backbone, token_counter
from dprk_stance.stances import ID2LABEL, LABEL2ID


def int8_cache_dir() -> Path:
    """Where int8 graphs are cached: ``$DPRK_STANCE_CACHE`` or ``~/.cache/dprk-stance``."""
    import os

    root = os.environ.get("DPRK_STANCE_CACHE") or Path.home() / ".cache" / "dprk-stance"
    return Path(root) / "onnx"


class TransformerModel(StanceModel):
    kind = "transformer"

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

        p = self.params
        source = resolve_backbone(p.backbone)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            source,
            num_labels=len(ID2LABEL),
            id2label=ID2LABEL,
            label2id=LABEL2ID,
            use_safetensors=True,
        )
        self._count = token_counter(self.tokenizer)

        def encode(texts: Sequence[str], y: np.ndarray) -> Dataset:
            data = Dataset.from_dict({"text": list(texts), "label": [int(v) for v in y]})
            return data.map(
                lambda b: self.tokenizer(b["text"], truncation=True, max_length=p.max_length),
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
            callbacks.append(_LiveCallback(self.live))
        trainer = Trainer(
            model=self.model,
            args=args,
            train_dataset=train_ds,
            eval_dataset=dev_ds,
            processing_class=self.tokenizer,
            data_collator=DataCollatorWithPadding(self.tokenizer),
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
        session = getattr(self, "_int8_session", None)
        if session is None:
            forward = lambda b: self.model(**b).logits  # noqa: E731
        else:
            names = [i.name for i in session.get_inputs()]
            forward = lambda b: torch.from_numpy(  # noqa: E731
                session.run(None, {n: b[n].numpy() for n in names})[0]
            )
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
        torch's per-tensor dynamic quantisation did on this model. The int8 graph is built
        once and cached outside the model directory (``int8_cache_dir()``), keyed by the
        model's content hash, so later runs start in well under a second.
        """
        import onnxruntime as ort

        cached = int8_cache_dir() / f"{self.content_sha256}.int8.onnx"
        if self.content_sha256 is None or not cached.is_file():
            graph = self._export_int8()
            if self.content_sha256 is not None:
                from dprk_stance.fsutil import atomic_path

                with atomic_path(cached) as tmp:
                    tmp.write_bytes(graph)
        else:
            graph = cached.read_bytes()
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        self._int8_session = ort.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"]
        )
        return self

    def _export_int8(self) -> bytes:
        """The serialised int8 ONNX graph of this model (a few seconds on a CPU)."""
        import logging
        import tempfile
        import warnings

        from onnxruntime.quantization import QuantType, quantize_dynamic

        sample = self.tokenizer(
            ["int8 export", "a second, longer sample text"], padding=True, return_tensors="pt"
        )
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's tracer warnings are not actionable
            fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
            torch.onnx.export(
                self.model,
                (),
                str(fp32),
                kwargs={n: sample[n] for n in names},
                input_names=names,
                output_names=["logits"],
                dynamic_axes={
                    **{n: {0: "batch", 1: "tokens"} for n in names},
                    "logits": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
            root = logging.getLogger()
            level, root.level = root.level, logging.ERROR  # a generic "consider
            try:  # pre-processing" notice on every call
                quantize_dynamic(
                    str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True
                )
            finally:
                root.setLevel(level)
            return int8.read_bytes()

    def _save_files(self, path: Path) -> None:
        self.model.save_pretrained(path)  # safetensors
        self.tokenizer.save_pretrained(path)

    def _load_files(self, path: Path) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            path, use_safetensors=True
        ).eval()
        if self.model.config.id2label != ID2LABEL:
            raise RuntimeError(f"{path}: id2label {self.model.config.id2label} != {ID2LABEL}")
        self._count = token_counter(self.tokenizer)


class _LiveCallback(TrainerCallback):
    """Log Trainer losses and dev metrics to a dvclive.Live without ending it.

    transformers' own DVCLiveCallback ends the Live at train end; the train stage still has
    summary metrics to add, so it owns the Live and this callback only logs into it.
    """

    def __init__(self, live: Any) -> None:
        self.live = live

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any):
        if not logs:
            return
        self.live.step = int(state.global_step)
        for key, value in logs.items():
            if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                name = f"dev/{key[5:]}" if key.startswith("eval_") else f"train/{key}"
                self.live.log_metric(name, float(value))
        self.live.make_summary()


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
