"""Stage ``archive``: what the pipeline sees of the KCNA archive, written where DVC can see it.

The real-text training rows and the real-text evaluation set are read from an archive that
lives outside the repository (``real_text.archive``), so DVC cannot track it, and a
dependency on it would fail wherever it is absent (it is optional: every use is skipped
cleanly without it). This stage always runs (``always_changed`` in ``dvc.yaml``) and writes
a small manifest: whether the archive is there and, if so, its size and SHA-256. The train
and evaluate stages depend on the manifest, so they rerun when the archive appears,
disappears or changes, and are left alone otherwise (DVC reruns a stage only when a
dependency's hash changes).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from dprk_stance.config import Config
from dprk_stance.fsutil import file_sha256, write_json

log = logging.getLogger(__name__)

MANIFEST_FILE = "archive.json"  # under paths.processed_dir


def archive_manifest(path: str | Path) -> dict[str, Any]:
    """``{"archive": path, "present": bool}`` plus, when the file exists, ``bytes`` (its
    size) and ``sha256`` (hex digest of its bytes). Never raises for a missing file:
    absence is a state the pipeline handles."""
    path = Path(path)
    if not path.is_file():
        return {"archive": str(path), "present": False}
    return {
        "archive": str(path),
        "present": True,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }


def archive(cfg: Config) -> dict[str, Any]:
    """Write ``<paths.processed_dir>/archive.json`` (atomically) and return it."""
    manifest = archive_manifest(cfg.real_text.archive)
    if not manifest["present"]:
        log.info(
            "%s not found: real-text training and evaluation will be skipped", manifest["archive"]
        )
    write_json(Path(cfg.paths.processed_dir) / MANIFEST_FILE, manifest)
    return manifest


def main(argv: list[str] | None = None) -> int:
    from dprk_stance.stage import run_stage

    return run_stage(archive, argv, name="archive")


if __name__ == "__main__":
    sys.exit(main())
