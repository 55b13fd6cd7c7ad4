"""The narrative report over a synthetic labelling output with a planted shift."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dprk_stance.cli import main
from dprk_stance.label import PASSAGE_COLUMNS
from dprk_stance.report import (
    ReportError,
    ReportOptions,
    build_report,
    choose_period,
    detect_turning_points,
)
from dprk_stance.stances import LABELS, PROB_COLUMNS, STANCES
from dprk_stance.stats import cluster_bootstrap_ratio

MONTHS = [f"{y}-{m:02d}" for y in (2011, 2012) for m in range(1, 13)]
SHIFT = "2012-01"  # from here on the conservative line prevails


def synthetic_run(seed: int = 0, docs_per_month: int = 8, per_doc: int = 6) -> pd.DataFrame:
    """Passages as `label` writes them. Before SHIFT the stance passages are mostly
    pro-decentralization, from SHIFT on mostly conservative; a third of the passages carry
    no stance and a tenth are uncertain, with a stance label (they must never be evidence)."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in MONTHS:
        weights = [0.7, 0.15, 0.15] if month < SHIFT else [0.15, 0.15, 0.7]
        for d in range(docs_per_month):
            doc_id = f"kcna-{month}-{d}"
            journal = "Minju Joson" if d % 2 else "Rodong Sinmun"
            for p in range(per_doc):
                roll = rng.random()
                if roll < 1 / 3:
                    label, flags = "none", (True, False, True)
                else:
                    label = STANCES[rng.choice(3, p=weights)]
                    flags = (False, False, bool(roll > 0.9))
                probs = np.full(4, 0.05)
                probs[LABELS.index(label)] = 0.85 if not flags[2] or label == "none" else 0.45
                probs = probs / probs.sum()
                text = f"{label} passage {p} of {doc_id}: " + (
                    "planted uncertain text" if flags[2] and label != "none" else "ordinary text"
                )
                rows.append(
                    {
                        "doc_id": doc_id,
                        "source": "archive.jsonl",
                        "passage": p,
                        "start": 0,
                        "end": len(text),
                        "date": f"{month}-{1 + d:02d}",
                        "journal": journal,
                        "title": f"story {d}",
                        "year": month[:4],
                        "text": text,
                        "label": label,
                        "stance": label if label != "none" else STANCES[0],
                        **dict(zip(PROB_COLUMNS, probs, strict=True)),
                        "confidence": float(probs.max()),
                        "relevance": 0.5,
                        "no_stance": flags[0],
                        "off_topic": flags[1],
                        "uncertain": flags[2],
                        "model": "/nowhere/model",
                        "model_sha256": "ab" * 32,
                    }
                )
    return pd.DataFrame(rows, columns=list(PASSAGE_COLUMNS))


def _unbalanced_tags(html: str) -> list[str]:
    """End tags that do not close the open element (void and optional-end tags allowed)."""
    from html.parser import HTMLParser

    void = {"meta", "img", "br", "input", "link", "hr"}
    optional = {"p", "li", "option", "tr", "td", "th"}
    stack: list[str] = []
    errors: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in void:
                stack.append(tag)

        def handle_endtag(self, tag):
            while stack and stack[-1] != tag and stack[-1] in optional:
                stack.pop()
            if stack and stack[-1] == tag:
                stack.pop()
            else:
                errors.append(f"</{tag}> at {self.getpos()}")

    Parser().feed(html)
    return errors + [f"<{t}> not closed" for t in stack if t not in optional]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    frame = synthetic_run()
    run = root / "run.csv"
    frame.to_csv(run, index=False)
    (root / "run.run.json").write_text(
        json.dumps(
            {
                "run": {"model": "/nowhere/model", "model_sha256": "ab" * 32, "threshold": 0.6},
                "citation": {  # as label's run report records it
                    "tool": "dprk-stance",
                    "version": "0.2.0",
                    "model": {
                        "kind": "tfidf-logreg",
                        "content_sha256": "ab" * 32,
                        "commit": "1234567890abcdef",
                        "dirty": False,
                        "corpus_version": "d67a61c4643e",
                    },
                    "labelled_at": "2026-11-30T08:11:50Z",
                },
            }
        )
    )
    result = build_report([run], root / "out", ReportOptions(bootstrap_samples=300))
    return frame, result


def test_writes_a_self_contained_page_figures_and_tables(built):
    _, result = built
    html = result.index.read_text(encoding="utf-8")
    assert result.period == "month"
    fetched = re.findall(r"""(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", html)
    assert fetched == []
    assert "<link" not in html and "@import" not in html
    assert _unbalanced_tags(html) == []
    for stem in ("stance_mix", "shares", "counts", "stance_mix_by_source"):
        for ext in ("png", "svg"):
            figure = result.out / "figures" / f"{stem}.{ext}"
            assert figure.stat().st_size > 1000, figure
        assert f'src="figures/{stem}.svg"' in html
    for table in ("shares.csv", "shares.tex", "turning_points.csv", "evidence.csv"):
        assert (result.out / "tables" / table).is_file()
    assert "\\begin{tabular}" in (result.out / "tables" / "shares.tex").read_text()
    cite = re.search(r'<pre class="cite">(.*?)</pre>', html, re.S).group(1)
    assert "tfidf-logreg sha256 abababababab (trained at commit 1234567890, corpus " in cite
    assert "d67a61c4643e)" in cite and "labelled 2026-11-30" in cite
    assert "{&#39;" not in html  # nested records are flattened, never printed as a dict
    assert "citation.model.corpus_version" in html
    assert "No word highlighting" in html  # the recorded model does not exist here


def test_shares_match_a_hand_count(built):
    frame, result = built
    shares = pd.read_csv(result.out / "tables" / "shares.csv")
    frame = frame.assign(month=frame["date"].str.slice(0, 7))
    for month in ("2011-03", "2012-07"):
        part = frame[frame["month"] == month]
        confident = part[~part["uncertain"] & part["label"].isin(STANCES)]
        for stance in STANCES:
            expected = (confident["label"] == stance).sum() / len(confident)
            row = shares[
                (shares["scope"] == "all sources")
                & (shares["period"] == month)
                & (shares["measure"] == "share_of_stance_passages")
                & (shares["category"] == stance)
            ].iloc[0]
            assert row["share"] == pytest.approx(expected, abs=1e-6)
            assert row["low"] <= row["share"] <= row["high"]
        no_stance = shares[
            (shares["scope"] == "all sources")
            & (shares["period"] == month)
            & (shares["measure"] == "share_of_passages")
            & (shares["category"] == "no stance")
        ].iloc[0]
        assert no_stance["share"] == pytest.approx(part["no_stance"].mean(), abs=1e-6)
        assert no_stance["total"] == len(part) and no_stance["documents"] == 8
    # per source, and the five categories of one period add up to one
    assert set(shares["scope"]) == {"all sources", "Minju Joson", "Rodong Sinmun"}
    one = shares[
        (shares["scope"] == "Minju Joson")
        & (shares["period"] == "2011-05")
        & (shares["measure"] == "share_of_passages")
    ]
    assert one["share"].sum() == pytest.approx(1.0)


def test_turning_point_at_the_planted_date(built):
    _, result = built
    assert [t["period"] for t in result.turning_points] == [SHIFT]
    point = result.turning_points[0]
    assert point["conservative before"] < 0.3 < 0.55 < point["conservative after"]
    table = pd.read_csv(result.out / "tables" / "turning_points.csv")
    assert table["period"].tolist() == [SHIFT]


def test_evidence_never_shows_uncertain_or_no_stance(built):
    frame, result = built
    evidence = pd.read_csv(result.out / "tables" / "evidence.csv")
    frame = frame.assign(period=frame["date"].str.slice(0, 7))
    pool = frame[~frame["uncertain"] & ~frame["no_stance"] & frame["label"].isin(STANCES)]
    per_cell = pool.groupby(["label", "period"])["doc_id"].nunique().clip(upper=3)
    assert len(evidence) == per_cell.sum() > 150  # three per cell, one per document
    assert not evidence["text"].str.contains("planted uncertain").any()
    assert set(evidence["stance"]) == set(STANCES)
    flagged = set(frame.loc[frame["uncertain"] | frame["no_stance"], "text"])
    assert not set(evidence["text"]) & flagged
    assert evidence.groupby(["stance", "period"])["doc_id"].nunique().eq(per_cell).all()


def test_detector_finds_a_known_break_and_no_break_in_noise():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.03, size=(30, 2))
    shifted = noise + np.where(np.arange(30)[:, None] >= 17, 0.25, 0.0)
    assert detect_turning_points(shifted)[0] == [17]
    found = [len(detect_turning_points(rng.normal(0, 0.03, (30, 2)))[0]) for _ in range(50)]
    assert sum(found) <= 4  # the penalty keeps false alarms rare (about 1 % per series)
    assert detect_turning_points(np.ones((10, 3)))[0] == []  # nothing varies
    assert detect_turning_points(shifted[:3])[0] == []  # too short for two segments


def test_document_bootstrap_covers_the_true_share():
    rng = np.random.default_rng(0)
    covered = 0
    trials = 200
    for _ in range(trials):
        # 40 documents of 1-9 passages; each document has its own propensity (clustering)
        sizes = rng.integers(1, 10, size=40)
        propensity = rng.beta(3, 7, size=40)  # mean 0.3
        hits = rng.binomial(sizes, propensity)
        ci = cluster_bootstrap_ratio(
            hits[:, None], sizes, n_samples=400, seed=int(rng.integers(1e6))
        )
        # the true ratio-of-sums target for this design is E[size * p] / E[size] = 0.3
        covered += ci["low"][0] <= 0.3 <= ci["high"][0]
    assert 0.88 <= covered / trials <= 0.99


def test_period_choice_and_bad_input(tmp_path):
    dates = pd.Series(pd.to_datetime(["2011-01-05", "2012-11-30"]))
    assert choose_period(dates) == "month"
    assert choose_period(pd.Series(pd.to_datetime(["2010-01-01", "2015-01-01"]))) == "quarter"
    assert choose_period(pd.Series(pd.to_datetime(["2000-01-01", "2020-01-01"]))) == "year"
    bad = synthetic_run(docs_per_month=1, per_doc=2)
    bad.loc[5, "label"] = "reformist"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ReportError, match=r"bad\.csv, row 6: label 'reformist'"):
        build_report([path], tmp_path / "out")
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2


def _tfidf_model(folder):
    """A tf-idf model trained on the tests' small corpus (seconds)."""
    from conftest import make_corpus, tfidf_params

    from dprk_stance.models import build_model
    from dprk_stance.stances import LABEL2ID

    rows = make_corpus()
    texts = [r["text"] for r in rows]
    y = np.array([LABEL2ID[r["label"]] for r in rows])
    params = tfidf_params(
        ngram_max=2, max_features=5000, negation_scope=True, char_ngram_range=[], C=10.0
    )
    model = build_model("tfidf-logreg", params, seed=0)
    model.fit(texts, y, texts, y)
    model.abstain_threshold = 0.5
    model.save(folder)
    return folder


def test_undated_run_and_highlighting_with_a_model(tmp_path):
    frame = synthetic_run(docs_per_month=1, per_doc=3).drop(columns=["date", "year"])
    frame["text"] = "enterprises should set their own plans and prices, " + frame["text"]
    run = tmp_path / "undated.jsonl"
    frame.to_json(run, orient="records", lines=True)
    model = _tfidf_model(tmp_path / "model")
    assert main(["report", str(run), "--out", str(tmp_path / "r"), "--model", str(model)]) == 0
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "No passage carries a date" in html
    assert "Highlighting: linear" in html
    assert "background: rgba(" in html  # evidence words highlighted
    manifest = json.loads((tmp_path / "r" / "report.json").read_text())
    assert manifest["period"] == "all" and manifest["turning_points"] == []
    # the model's hash differs from the one the run records: said so
    assert "not the model that labelled the runs" in html


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run the page's script")
def test_filters_change_the_visible_rows(built):
    """The documents table's plain JavaScript, run in node against a DOM stub."""
    frame, result = built
    script = Path(__file__).parent / "js" / "report_filters.js"
    done = subprocess.run(
        ["node", str(script), str(result.index)], capture_output=True, text=True, check=True
    )
    counts = json.loads(done.stdout)
    confident = int((~frame["uncertain"] & frame["label"].isin(STANCES)).sum())
    conservative = int((~frame["uncertain"] & (frame["label"] == "conservative")).sum())
    assert counts["all"] == [f"{len(frame)} of {len(frame)} passages match (showing 300)", 300]
    assert counts["confident"][0].startswith(f"{confident} of {len(frame)} passages match")
    assert counts["conservative"][0].startswith(f"{conservative} of {len(frame)}")
    assert counts["conservative"][1] == min(conservative, 300)


def _browser():
    """Headless system Chromium through Selenium, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    binary = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip(
            "no system Chromium and chromedriver (apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


def test_report_renders_and_filters_in_a_real_browser(built, tmp_path):
    """The page in headless Chromium: every figure loads, a filter changes the visible rows,
    and the console shows no error."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    frame, result = built
    browser = _browser()
    try:
        browser.set_window_size(1400, 1000)
        browser.get(result.index.as_uri())
        figures = browser.find_elements(By.CSS_SELECTOR, "figure img")
        assert figures
        loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
        WebDriverWait(browser, 20).until(
            lambda b: all(b.execute_script(loaded, img) for img in figures)
        )
        count = browser.find_element(By.ID, "count")
        WebDriverWait(browser, 10).until(lambda b: count.text)
        assert count.text.startswith(f"{len(frame)} of {len(frame)} passages match")
        rows_before = len(browser.find_elements(By.CSS_SELECTOR, "#rows tbody tr"))
        Select(browser.find_element(By.ID, "f-label")).select_by_visible_text("conservative")
        Select(browser.find_element(By.ID, "f-flag")).select_by_value("confident")
        conservative = int((~frame["uncertain"] & (frame["label"] == "conservative")).sum())
        WebDriverWait(browser, 10).until(
            lambda b: b.find_element(By.ID, "count").text.startswith(f"{conservative} of")
        )
        rows_after = len(browser.find_elements(By.CSS_SELECTOR, "#rows tbody tr"))
        assert rows_after == min(conservative, 300) < rows_before
        shot = tmp_path / "report.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        browser.quit()


def test_a_year_only_date_is_a_year_not_january(tmp_path):
    """Kind: "2016" as a date used to become 2016-01-01 and spike January's shares."""
    frame = synthetic_run(docs_per_month=1, per_doc=3)
    frame = frame[frame["date"].str.startswith("2011")].copy()
    frame["year"] = pd.NA
    first = frame["doc_id"] == frame["doc_id"].iloc[0]
    frame.loc[first, "date"] = "2011"
    # a date with a time and offset beside plain ones used to stop the report
    frame.loc[frame["date"] == "2011-02-01", "date"] = "2011-02-01T12:00:00+09:00"
    path = tmp_path / "run.jsonl"
    frame.to_json(path, orient="records", lines=True)
    by_month = build_report([path], tmp_path / "m", ReportOptions(period="month"))
    shares = pd.read_csv(tmp_path / "m" / "tables" / "shares.csv")
    january = shares[(shares["period"] == "2011-01") & (shares["measure"] == "share_of_passages")]
    assert january["total"].max() == 0 or january.empty
    assert by_month.undated_passages == int(first.sum())
    build_report([path], tmp_path / "y", ReportOptions(period="year"))
    shares = pd.read_csv(tmp_path / "y" / "tables" / "shares.csv", dtype={"period": str})
    year = shares[(shares["period"] == "2011") & (shares["measure"] == "share_of_passages")]
    assert year["total"].max() == len(frame)


def test_two_runs_of_the_same_documents_are_refused(tmp_path):
    frame = synthetic_run(docs_per_month=1, per_doc=2)
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.assign(label="none").to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ReportError, match=r"a\.csv and .*b\.csv: both hold passage"):
        build_report([tmp_path / "a.csv", tmp_path / "b.csv"], tmp_path / "out")
    other = frame.assign(doc_id=frame["doc_id"] + "-other")
    other.to_csv(tmp_path / "c.csv", index=False)
    build_report([tmp_path / "a.csv", tmp_path / "c.csv"], tmp_path / "out2")


def test_a_period_of_one_document_has_no_interval(tmp_path):
    frame = synthetic_run(docs_per_month=2, per_doc=3)
    frame = frame[~((frame["date"].str.startswith("2011-03")) & frame["doc_id"].str.endswith("-1"))]
    path = tmp_path / "run.csv"
    frame.to_csv(path, index=False)
    result = build_report([path], tmp_path / "r", ReportOptions(period="month"))
    shares = pd.read_csv(tmp_path / "r" / "tables" / "shares.csv")
    lone = shares[(shares["period"] == "2011-03") & (shares["scope"] == "all sources")]
    assert (lone["documents"] == 1).all() and lone["low"].isna().all()
    assert lone["share"].notna().any()
    two = shares[(shares["period"] == "2011-04") & (shares["scope"] == "all sources")]
    assert two["low"].notna().any()
    assert any("single document" in note for note in result.notes)
    assert "[--]" in (tmp_path / "r" / "tables" / "shares.tex").read_text(encoding="utf-8")


def test_a_chart_breaks_its_lines_across_periods_without_documents(tmp_path, monkeypatch):
    """Kind: the line chart joined March to July straight across three empty months, as if
    they had been measured. A period without documents is a gap (NaN) in every series."""
    import dprk_stance.plotting as plotting

    drawn = []
    real = plotting.series_panels
    monkeypatch.setattr(
        plotting, "series_panels", lambda panels, **kw: drawn.append(panels) or real(panels, **kw)
    )
    frame = synthetic_run(docs_per_month=3, per_doc=4)
    frame = frame[frame["date"].str[:7].isin(["2011-01", "2011-02", "2011-03", "2011-07"])]
    path = tmp_path / "run.csv"
    frame.to_csv(path, index=False)
    build_report([path], tmp_path / "r", ReportOptions(period="month"))
    panel = drawn[0]["all sources"]
    assert [x.strftime("%Y-%m") for x in panel["x"]] == [f"2011-{m:02d}" for m in range(1, 8)]
    for estimate, _, _ in panel["series"].values():
        assert np.isnan(estimate[3:6]).all() and not np.isnan(estimate[[0, 1, 2, 6]]).any()
