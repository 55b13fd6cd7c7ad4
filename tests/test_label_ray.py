"""The Ray engine gives the local engine's outputs: rows, columns, probabilities, summary,
failures and run report; it resumes; without Ray it says how to install it.

One local Ray instance (2 CPUs) serves the whole module: starting Ray takes seconds.
"""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import KCNA, REPO
from test_label import PARAS, _docs

from dprk_stance import label_ray
from dprk_stance.label import LabelOptions, label_documents, output_paths
from dprk_stance.stances import PROB_COLUMNS

QUIET = LabelOptions(progress=False)
TIMINGS = ("seconds", "passages_per_s")


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def tfidf(trained):
    return Path(trained.paths.models_dir) / "tfidf-logreg"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Every format, a Parquet archive, a broken and an empty file, a duplicate id."""
    folder = _docs(tmp_path_factory.mktemp("mixed"))
    pd.DataFrame(
        {
            "doc_id": ["p1", "p1", "p2"],
            "date": ["2016-01-01"] * 3,
            "text": [PARAS[0], PARAS[1], PARAS[2]],
        }
    ).to_parquet(folder / "h.parquet")
    (folder / "i-empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "j-broken.jsonl").write_text(
        json.dumps({"id": "j1", "text": PARAS[1]}) + "\n{not json\n", encoding="utf-8"
    )
    # Read after h.parquet: its id is taken, so it is a failure in both engines.
    (folder / "k-dup.jsonl").write_text(json.dumps({"id": "p2", "text": PARAS[0]}) + "\n")
    return folder


def _outputs(out: Path) -> dict:
    paths = output_paths(out)
    report = json.loads(paths["report"].read_text())
    for key in (*TIMINGS, "outputs"):
        report.pop(key)
    return {
        "rows": pd.read_parquet(paths["out"]),
        "summary": pd.read_parquet(paths["summary"]),
        "report": report,
        "failures": paths["failures"].read_text() if paths["failures"].exists() else None,
    }


def assert_same_outputs(local: Path, ray: Path, resumed: int = 0) -> None:
    a, b = _outputs(local), _outputs(ray)
    assert b["report"].pop("resumed_documents") == resumed
    a["report"].pop("resumed_documents")
    # passages carried over from the checkpoint: some exactly when documents were
    assert (b["report"].pop("resumed_passages") > 0) == (resumed > 0)
    assert a["report"].pop("resumed_passages") == 0
    # the citation's date is when each run's outputs were written, and a resumed run says
    # so in its options; all else must agree
    for report in (a["report"], b["report"]):
        assert report["citation"].pop("labelled_at")
        report["citation"]["options"].pop("resume")
    assert list(a["rows"].columns) == list(b["rows"].columns)
    assert len(a["rows"]) == len(b["rows"]) > 0
    probs = [*PROB_COLUMNS, "confidence", "relevance"]
    pd.testing.assert_frame_equal(
        a["rows"].drop(columns=probs), b["rows"].drop(columns=probs), check_exact=True
    )
    pd.testing.assert_frame_equal(a["rows"][probs], b["rows"][probs], check_exact=False, atol=1e-6)
    pd.testing.assert_frame_equal(a["summary"], b["summary"], check_exact=False, atol=1e-6)
    assert a["report"] == b["report"]
    assert a["report"]["no_stance"] == a["summary"]["no_stance"].sum()
    assert a["failures"] == b["failures"]


def test_mixed_folder_gives_the_local_engines_outputs(ray_session, mixed, tfidf, tmp_path):
    local = label_documents([mixed], tfidf, tmp_path / "local.parquet", QUIET)
    ray = label_ray.label_documents_ray([mixed], tfidf, tmp_path / "ray.parquet", QUIET)
    assert_same_outputs(local.out, ray.out)
    assert len(ray.failures) == 3  # empty file, bad JSON line, duplicate id
    assert any("'p2' already read" in f for f in ray.failures)
    rows = pd.read_parquet(ray.out)
    assert {Path(s).suffix for s in rows["source"]} >= {".parquet", ".pdf", ".docx", ".csv"}


def test_kcna_slice_gives_the_local_engines_outputs(ray_session, tfidf, tmp_path):
    if not KCNA.exists():
        pytest.skip("../shared/data/kcna is absent")
    sample = tmp_path / "kcna.jsonl"
    with gzip.open(KCNA, "rt", encoding="utf-8") as src, open(sample, "w") as dst:
        for i, line in enumerate(src):
            if i == 200:
                break
            dst.write(line)
    local = label_documents([sample], tfidf, tmp_path / "local.parquet", QUIET)
    ray = label_ray.label_documents_ray(
        [sample], tfidf, tmp_path / "ray.parquet", QUIET, num_actors=2
    )
    assert ray.documents == local.documents == 200
    assert_same_outputs(local.out, ray.out)


def test_resume_after_interruption(ray_session, mixed, tfidf, tmp_path, monkeypatch):
    options = LabelOptions(progress=False, chunk_passages=2)
    reference = label_documents([mixed], tfidf, tmp_path / "ref.parquet", options)
    calls = {"n": 0}
    original = label_ray.write_assessed

    def crash_on_fifth_document(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    out = tmp_path / "run.parquet"
    monkeypatch.setattr(label_ray, "write_assessed", crash_on_fifth_document)
    with pytest.raises(KeyboardInterrupt):
        label_ray.label_documents_ray([mixed], tfidf, out, options)
    monkeypatch.undo()
    assert not out.exists(), "no final output from an interrupted run"
    with pytest.raises(ValueError, match="resume with --engine ray"):
        label_documents([mixed], tfidf, out, LabelOptions(progress=False, resume=True))
    resumed = label_ray.label_documents_ray(
        [mixed], tfidf, out, LabelOptions(progress=False, chunk_passages=2, resume=True)
    )
    assert_same_outputs(reference.out, resumed.out, resumed=4)


def test_without_ray_the_engine_says_how_to_install_it(tfidf, tmp_path, monkeypatch, capsys):
    from dprk_stance.cli import main

    doc = tmp_path / "a.txt"
    doc.write_text(PARAS[0], encoding="utf-8")
    monkeypatch.setattr(label_ray, "ray_available", lambda: False)
    args = ["label", str(doc), "--model", str(tfidf), "--out", str(tmp_path / "o.csv")]
    assert main([*args, "--engine", "ray", "--quiet"]) == 2
    assert 'pip install "dprk-stance[ray]"' in capsys.readouterr().err
    assert main([*args, "--address", "auto", "--quiet"]) == 2  # a Ray option without Ray


def test_the_local_engine_never_imports_ray(tfidf, tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text(PARAS[0], encoding="utf-8")
    code = (
        "import sys\nfrom dprk_stance.cli import main\n"
        f"assert main(['label', {str(doc)!r}, '--model', {str(tfidf)!r}, '--out', "
        f"{str(tmp_path / 'o.csv')!r}, '--quiet']) == 0\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
    )
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
