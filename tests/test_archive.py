import hashlib
import json
from pathlib import Path

from conftest import write_archive

from dprk_stance.archive import MANIFEST_FILE, archive, archive_manifest


def test_manifest_of_an_absent_archive_says_so(tmp_path):
    assert archive_manifest(tmp_path / "none.jsonl.gz") == {
        "archive": str(tmp_path / "none.jsonl.gz"),
        "present": False,
    }


def test_manifest_hashes_the_archive_and_changes_with_it(tmp_path):
    path = write_archive(tmp_path / "kcna.jsonl.gz", [{"id": "s1", "date": "2011-01-01"}])
    first = archive_manifest(path)
    assert first["present"] and first["bytes"] == path.stat().st_size
    assert first["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    write_archive(path, [{"id": "s2", "date": "2011-01-02"}])
    assert archive_manifest(path)["sha256"] != first["sha256"]


def test_stage_writes_the_manifest_where_train_and_evaluate_read_it(cfg):
    written = archive(cfg)
    stored = json.loads((Path(cfg.paths.processed_dir) / MANIFEST_FILE).read_text())
    assert stored == written and stored["present"] is False  # the test config has no archive
