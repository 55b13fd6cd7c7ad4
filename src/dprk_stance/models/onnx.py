"""ONNX Runtime inference for saved transformer models, with graphs cached by content hash.

Why: importing torch and transformers takes longer than the whole start-up budget of a
one-passage ``predict``. A saved model's PyTorch weights (safetensors) are exported to an
ONNX graph once — the only step that imports torch — and the graph is cached outside the
model folder (``onnx_cache_dir()``), keyed by the model's content hash and the part's name.
Later runs load the graph with ``onnxruntime`` (a fraction of a second). The fine-tuned
transformer, the frozen encoder of ``embed-logreg`` and SetFit's tuned encoder all go
through here, so they share one exporter, one cache and one integrity check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dprk_stance.models.hf import FastTokenizer, batch_arrays, import_torch, num_threads

log = logging.getLogger(__name__)


def onnx_cache_dir() -> Path:
    """The ONNX graph cache: ``$DPRK_STANCE_CACHE/onnx``, else ``~/.cache/dprk-stance/onnx``."""
    root = os.environ.get("DPRK_STANCE_CACHE") or Path.home() / ".cache" / "dprk-stance"
    return Path(root) / "onnx"


def cached_session(
    model_dir: Path,
    content_sha256: str | None,
    part: str,
    export: Callable[[], Any],
    *,
    tokenizer: FastTokenizer,
    output: str,
    int8: bool = False,
) -> Any:
    """An ONNX Runtime session for one part of a saved model, exporting it on a cache miss.

    ``part``: a name for the graph within the model ("" for the model itself, "encoder");
    ``export``: returns the PyTorch module to export (called only on a miss); ``output``:
    the attribute of the module's output to keep (``logits``, ``last_hidden_state``).
    A graph exported from weights that no longer match ``content_sha256`` raises
    :class:`~dprk_stance.models.base.ModelLoadError` instead of being cached for the real
    model; a model without a recorded hash is exported every time.
    """
    import onnxruntime as ort

    kind = "int8" if int8 else "fp32"
    stem = f"{content_sha256}.{part}" if part else str(content_sha256)
    cached = onnx_cache_dir() / f"{stem}.{kind}.onnx"
    if content_sha256 is not None and cached.is_file():
        graph = cached.read_bytes()
    else:
        graph = export_graph(export(), tokenizer, output=output, int8=int8)
        if content_sha256 is not None:
            _cache_graph(model_dir, content_sha256, cached, graph)
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads()
    options.inter_op_num_threads = 1
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def session_forward(session: Any) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """A :func:`~dprk_stance.models.hf.batched_forward` ``forward`` over an ONNX session:
    feeds the inputs the graph declares, returns its first output."""
    names = {i.name for i in session.get_inputs()}

    def forward(batch: dict[str, np.ndarray]) -> np.ndarray:
        return session.run(None, {k: v for k, v in batch.items() if k in names})[0]

    return forward


def _cache_graph(model_dir: Path, content_sha256: str, cached: Path, graph: bytes) -> None:
    """Write an exported graph to the cache after hashing the weights again (once per miss).

    A read-only cache only costs the next run another export.
    """
    from dprk_stance.fsutil import atomic_path
    from dprk_stance.models.base import ModelLoadError, content_hash

    actual = content_hash(model_dir)
    if actual != content_sha256:
        raise ModelLoadError(
            f"{model_dir}: files changed since the model was saved (content hash "
            f"{actual[:12]}, recorded {content_sha256[:12]}); retrain or restore it"
        )
    try:
        with atomic_path(cached) as tmp:
            tmp.write_bytes(graph)
    except OSError as exc:
        log.warning("ONNX graph not cached (%s): %s", cached, exc)


def export_graph(module: Any, tokenizer: FastTokenizer, *, output: str, int8: bool) -> bytes:
    """The serialised ONNX graph of a PyTorch module, fp32 or int8 (seconds on a CPU).

    Inputs: those of ``input_ids``, ``attention_mask``, ``token_type_ids`` that the module's
    ``forward`` accepts, int64 (batch, tokens), both axes dynamic; one output, the
    ``output`` attribute of the module's result, dynamic in batch (and tokens, for token
    embeddings). int8: weights quantised per channel by ONNX Runtime (activations dynamic).
    """
    import inspect
    import tempfile
    import warnings

    torch = import_torch()
    accepted = set(inspect.signature(module.forward).parameters)
    sample = batch_arrays(tokenizer, ["onnx export", "a second, longer sample text"], max_length=16)
    names = [n for n in sample if n in accepted]

    class Picked(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = module

        def forward(self, *args: Any) -> Any:
            return getattr(self.inner(**dict(zip(names, args, strict=True))), output)

    dynamic = {0: "batch", 1: "tokens"} if output != "logits" else {0: "batch"}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings are not actionable
        fp32, quantised = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        torch.onnx.export(
            Picked().eval(),
            tuple(torch.from_numpy(sample[n]) for n in names),
            str(fp32),
            input_names=names,
            output_names=[output],
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, output: dynamic},
            opset_version=17,
            dynamo=False,
        )
        if not int8:
            return fp32.read_bytes()
        from onnxruntime.quantization import QuantType, quantize_dynamic

        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR  # a generic "consider pre-processing"
        try:  # notice on every call
            quantize_dynamic(
                str(fp32), str(quantised), weight_type=QuantType.QInt8, per_channel=True
            )
        finally:
            root.setLevel(level)
        return quantised.read_bytes()


def mean_pooled(hidden: np.ndarray, attention_mask: np.ndarray, normalize: bool) -> np.ndarray:
    """(batch, dim) mean of token embeddings over real tokens, unit length if ``normalize``.

    ``hidden``: (batch, tokens, dim); ``attention_mask``: (batch, tokens) of 0/1. Same
    arithmetic as sentence-transformers' ``Pooling(mean)`` and ``Normalize`` (mask count
    clamped at 1e-9, norm at 1e-12).
    """
    mask = attention_mask[..., None].astype(hidden.dtype)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    if normalize:
        pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled


class SavedEncoderMixin:
    """For models that keep a sentence encoder in ``<model folder>/encoder`` (embed-logreg,
    SetFit): its pooled ONNX forward once loaded, and its PyTorch form for the export.

    Expects ``_dir`` (the model folder), ``content_sha256`` and ``tokenizer`` (a
    :class:`~dprk_stance.models.hf.FastTokenizer`) to be set by the model's loader.
    """

    _dir: Path
    content_sha256: str | None
    tokenizer: FastTokenizer
    _hidden: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None

    def encoder_forward(self, *, normalize: bool) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
        """A :func:`~dprk_stance.models.hf.batched_forward` ``forward`` giving (batch, dim)
        mean-pooled (and, with ``normalize``, unit-length) embeddings from the cached graph of
        the saved encoder; the ONNX session is built on first use and kept."""
        if self._hidden is None:
            session = cached_session(
                self._dir,
                self.content_sha256,
                "encoder",
                self.torch_encoder,
                tokenizer=self.tokenizer,
                output="last_hidden_state",
            )
            self._hidden = session_forward(session)
        hidden = self._hidden
        return lambda batch: mean_pooled(hidden(batch), batch["attention_mask"], normalize)

    def torch_encoder(self) -> Any:
        """The saved encoder's transformer in PyTorch (to export its graph, or to compare)."""
        from transformers import AutoModel

        from dprk_stance.models.hf import quiet_transformers

        quiet_transformers()
        return AutoModel.from_pretrained(self._dir / "encoder", use_safetensors=True).eval()
