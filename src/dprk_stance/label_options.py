"""Options of a labelling run (``dprk-stance label``), validated where they are made.

A leaf module, so that the command line can build its parser (defaults come from here)
without importing the labelling machinery, pandas or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelOptions:
    batch_size: int = 16  # length-sorted: small batches are fastest on CPU (benchmarks/)
    chunk_passages: int = 1024
    min_chars: int = 40
    threshold: float | None = None  # None: the abstention threshold stored with the model
    int8: bool = False
    resume: bool = False
    text_column: str = "text"
    progress: bool = True
    metadata: str | None = None  # a sidecar CSV: date/journal/title per file name

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(
                f"--threshold {self.threshold:g}: an abstention threshold is a probability "
                "between 0 and 1"
            )
        for name in ("batch_size", "chunk_passages"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.min_chars < 0:
            raise ValueError(f"--min-chars {self.min_chars}: a length cannot be negative")
