"""skops persistence with an explicit allow-list instead of pickle's trust-everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import skops.io as sio

ALLOWED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


def save_skops(obj: Any, path: Path) -> None:
    sio.dump(obj, path)


def load_skops(path: Path) -> Any:
    """Load only if every type in the file comes from scikit-learn, numpy or scipy."""
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = [t for t in untrusted if not t.startswith(ALLOWED_PREFIXES)]
    if unexpected:
        raise RuntimeError(f"{path}: refusing to load unexpected types {unexpected}")
    return sio.load(path, trusted=untrusted)
