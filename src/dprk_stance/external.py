"""Stage ``external``: the inputs that live outside the repository, written where DVC sees them.

The KCNA archive (``real_text.archive``: real-text training rows and the real-text
evaluation set) and the kinds cases (``evaluate.kinds``) are read from ``../shared``, outside
the repository, and may be absent (every use is skipped cleanly without them). DVC cannot
track them, and a dependency on them would fail wherever they are absent. So this stage
always runs (``always_changed`` in ``dvc.yaml``) and writes small manifests: for each input,
whether it is there and, if so, its size and SHA-256. The stages that read an input depend
on its manifest and rerun when the input appears, disappears or changes; an unchanged
manifest reruns nothing (DVC reruns a stage only when a dependency's hash changes).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from dprk_stance.config import Config
from dprk_stance.fsutil import file_sha256, write_json

log = logging.getLogger(__name__)

EXTERNAL_DIR = "external"  # under paths.processed_dir
ARCHIVE_MANIFEST = "archive.json"  # read by the train and evaluate stages
EVALUATION_MANIFEST = "evaluation.json"  # other gold files: evaluate and train stages read them


def file_manifest(path: str | Path) -> dict[str, Any]:
    """``{"path": path, "present": bool}`` plus, for a regular file (symlinks followed),
    ``bytes`` (its size) and ``sha256`` (hex digest of its bytes). Never raises for a
    missing file: absence is a state the pipeline handles."""
    path = Path(path)
    if not path.is_file():
        return {"path": str(path), "present": False}
    return {
        "path": str(path),
        "present": True,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }


def external(cfg: Config) -> dict[str, Any]:
    """Write ``<paths.processed_dir>/external/archive.json`` (the KCNA archive) and
    ``evaluation.json`` (``evaluate.kinds`` and every ``evaluate.sets`` file), atomically.
    Returns whether each input is present, by its params key; an absent one is also logged
    as a warning (the archive and the kinds are then skipped; a missing ``evaluate.sets``
    file stops the evaluate stage, naming it)."""
    archive = file_manifest(cfg.real_text.archive)
    evaluation = {
        "evaluate.kinds": file_manifest(cfg.evaluate.kinds),
        **{f"evaluate.sets.{k}": file_manifest(v) for k, v in cfg.evaluate.sets.items()},
    }
    inputs = {"real_text.archive": archive, **evaluation}
    for name, entry in inputs.items():
        if not entry["present"]:
            log.warning("%s: %s is not a file", name, entry["path"])
    out = Path(cfg.paths.processed_dir) / EXTERNAL_DIR
    write_json(out / ARCHIVE_MANIFEST, archive)
    write_json(out / EVALUATION_MANIFEST, evaluation)
    return {name: entry["present"] for name, entry in inputs.items()}


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(external, argv, name="external")


if __name__ == "__main__":
    sys.exit(main())
