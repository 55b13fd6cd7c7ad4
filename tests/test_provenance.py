import json
import subprocess

from dprk_stance.provenance import corpus_facts, git_state, utc_now


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_git_state_commit_and_dirty_sources(tmp_path):
    assert git_state(tmp_path) is None  # not a repository
    _git(tmp_path, "init", "-q")
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("x = 1\n")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "m.json").write_text("{}\n")
    assert git_state(tmp_path) is None  # no commit yet
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "init")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    assert git_state(tmp_path) == {"commit": head, "dirty": False, "changed": []}
    # pipeline outputs and dvc.lock do not make the tree dirty ...
    (tmp_path / "metrics" / "m.json").write_text('{"f1": 1}\n')
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\n")
    assert git_state(tmp_path)["dirty"] is False
    # ... changed settings and new source files do
    (tmp_path / "params.yaml").write_text("seed: 2\n")
    (tmp_path / "src" / "new.py").write_text("y = 2\n")
    state = git_state(tmp_path / "src")  # from a subfolder: paths relative to the root
    assert state["commit"] == head and state["dirty"] is True
    assert state["changed"] == ["params.yaml", "src/new.py"]


def test_corpus_facts_from_the_ingest_report(tmp_path):
    assert corpus_facts(tmp_path / "missing.json") is None
    report = tmp_path / "ingest_report.json"
    report.write_text(
        json.dumps(
            {
                "corpus_version": "0123456789ab",
                "rows_kept": 5,
                "documents": 2,
                "labels": {"none": 5},
                "files": ["data/raw/a.jsonl"],
            }
        )
    )
    assert corpus_facts(report) == {
        "version": "0123456789ab",
        "passages": 5,
        "documents": 2,
        "labels": {"none": 5},
        "files": ["data/raw/a.jsonl"],
    }


def test_utc_now_is_iso_utc():
    stamp = utc_now()
    assert stamp.endswith("Z") and len(stamp) == 20 and stamp[10] == "T"
