import hashlib
import json
import os
from pathlib import Path

from conftest import write_archive

from dprk_stance.external import (
    ARCHIVE_MANIFEST,
    EVALUATION_MANIFEST,
    EXTERNAL_DIR,
    external,
    file_manifest,
)


def test_manifest_of_an_absent_file_or_a_folder_says_absent(tmp_path):
    assert file_manifest(tmp_path / "none.jsonl.gz") == {
        "path": str(tmp_path / "none.jsonl.gz"),
        "present": False,
    }
    assert file_manifest(tmp_path)["present"] is False  # a folder is not the archive


def test_manifest_hashes_the_file_follows_a_symlink_and_changes_with_it(tmp_path):
    path = write_archive(tmp_path / "kcna.jsonl.gz", [{"id": "s1", "date": "2011-01-01"}])
    first = file_manifest(path)
    assert first["present"] and first["bytes"] == path.stat().st_size
    assert first["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    link = tmp_path / "link.jsonl.gz"
    os.symlink(path, link)
    assert file_manifest(link)["sha256"] == first["sha256"]
    write_archive(path, [{"id": "s2", "date": "2011-01-02"}])
    assert file_manifest(path)["sha256"] != first["sha256"]


def test_stage_writes_one_manifest_for_train_and_one_for_evaluate(cfg, tmp_path, caplog):
    kinds = tmp_path / "kinds.jsonl"
    kinds.write_text('{"id": "k1", "text": "A passage.", "label": "none"}\n')
    data = cfg.to_dict()
    data["evaluate"] = {**data["evaluate"], "kinds": str(kinds), "sets": {"mine": str(kinds)}}
    cfg = type(cfg).from_dict(data)
    present = external(cfg)
    assert present == {
        "real_text.archive": False,  # the test config has no archive
        "evaluate.kinds": True,
        "evaluate.sets.mine": True,
    }
    out = Path(cfg.paths.processed_dir) / EXTERNAL_DIR
    archive = json.loads((out / ARCHIVE_MANIFEST).read_text())
    assert archive == file_manifest(cfg.real_text.archive)
    evaluation = json.loads((out / EVALUATION_MANIFEST).read_text())
    assert evaluation["evaluate.kinds"]["sha256"] == hashlib.sha256(kinds.read_bytes()).hexdigest()
    assert "real_text.archive: " in caplog.text and "is not a file" in caplog.text
