"""How long `dprk-stance report` takes on a large labelling output, and whether the page
stays responsive.

Builds the report over one labelling output (``--run``, e.g. the whole KCNA archive labelled
by the default model) or over a synthetic output of ``--synthetic N`` passages, and times
the build (wall seconds, peak RSS of this process). Where headless Chromium and chromedriver
are installed, it then opens the page and times the load (until the documents table shows
its count) and one filter (until the count changes), and saves a screenshot. Results go to
benchmarks/results/report_scale.json; screenshots to ``--shots`` (outside the repository:
a report over real text shows real passages).

    python benchmarks/report_scale.py --run out/kcna-all.parquet --shots /tmp/report-shots
    python benchmarks/report_scale.py --synthetic 100000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dprk_stance.fsutil import write_json
from dprk_stance.label import PASSAGE_COLUMNS
from dprk_stance.report import ReportOptions, build_report
from dprk_stance.stances import LABELS, PROB_COLUMNS, STANCES

RESULTS = Path(__file__).resolve().parent / "results" / "report_scale.json"


def synthetic_run(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` passages as `label` writes them: 8 per document, 2011-2022, two journals; the
    stance mix shifts from reform to conservative in 2020; a third carry no stance."""
    rng = np.random.default_rng(seed)
    docs = np.arange(n) // 8
    days = pd.Timestamp("2011-01-01") + pd.to_timedelta(
        (docs * 4383 // max(docs.max(), 1)).astype(int), unit="D"
    )
    late = days >= pd.Timestamp("2020-01-01")
    roll = rng.random(n)
    stance = np.where(
        late,
        rng.choice(3, n, p=[0.15, 0.15, 0.7]),
        rng.choice(3, n, p=[0.45, 0.4, 0.15]),
    )
    label_id = np.where(roll < 1 / 3, 3, stance)
    probs = np.full((n, 4), 0.05)
    probs[np.arange(n), label_id] = 0.85
    probs /= probs.sum(axis=1, keepdims=True)
    uncertain = (label_id == 3) | (roll > 0.9)
    frame = pd.DataFrame(
        {
            "doc_id": [f"doc-{d}" for d in docs],
            "source": "synthetic.jsonl",
            "passage": np.arange(n) % 8,
            "start": 0,
            "end": 40,
            "date": days.strftime("%Y-%m-%d"),
            "journal": np.where(docs % 2 == 0, "Rodong Sinmun", "Minju Joson"),
            "title": [f"story {d}" for d in docs],
            "year": days.year.astype(str),
            "text": [f"synthetic passage {i} of document {d}" for i, d in enumerate(docs)],
            "label": [LABELS[i] for i in label_id],
            "stance": [STANCES[i] for i in stance],
            **{c: probs[:, k] for k, c in enumerate(PROB_COLUMNS)},
            "confidence": probs.max(axis=1),
            "relevance": 0.5,
            "no_stance": label_id == 3,
            "off_topic": False,
            "uncertain": uncertain,
            "model": "/nowhere/model",
            "model_sha256": "ab" * 32,
        }
    )
    return frame[list(PASSAGE_COLUMNS)]


def browser_timings(index: Path, shots: Path | None) -> dict:
    """Load and filter times of the page in headless Chromium, or why they were not taken."""
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait
    except ImportError:
        return {"skipped": "selenium not installed"}
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        return {"skipped": "no system chromium/chromedriver"}
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))
    try:
        browser.set_window_size(1400, 1100)
        started = time.perf_counter()
        browser.get(index.as_uri())
        WebDriverWait(browser, 120).until(lambda b: b.find_element(By.ID, "count").text)
        loaded = time.perf_counter() - started
        before = browser.find_element(By.ID, "count").text
        started = time.perf_counter()
        Select(browser.find_element(By.ID, "f-flag")).select_by_value("confident")
        WebDriverWait(browser, 120).until(lambda b: b.find_element(By.ID, "count").text != before)
        filtered = time.perf_counter() - started
        saved = []
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            browser.execute_script("window.scrollTo(0, 0)")
            for anchor in ("time", "turning", "evidence", "documents"):
                browser.execute_script(f"document.getElementById('{anchor}').scrollIntoView()")
                path = shots / f"report-{anchor}.png"
                browser.save_screenshot(str(path))
                saved.append(str(path))
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        return {
            "load_seconds": round(loaded, 2),
            "filter_seconds": round(filtered, 2),
            "count_before": before,
            "count_after": browser.find_element(By.ID, "count").text,
            "console_errors": errors,
            "screenshots": saved,
        }
    finally:
        browser.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="a labelling output (csv/jsonl/parquet)")
    source.add_argument("--synthetic", type=int, help="passages of a synthetic output")
    parser.add_argument("--shots", type=Path, default=None, help="folder for screenshots")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            run = Path(tmp) / "synthetic.parquet"
            synthetic_run(args.synthetic).to_parquet(run)
        out = args.out or Path(tmp) / "report"
        started = time.perf_counter()
        result = build_report([run], out, ReportOptions())
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        page_mb = result.index.stat().st_size / 1e6
        browser = browser_timings(result.index, args.shots)
        record = {
            "what": "dprk-stance report build time and page responsiveness",
            "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
            "input": str(args.run) if args.run else f"synthetic, {args.synthetic} passages",
            "passages": result.passages,
            "documents": result.documents,
            "period": result.period,
            "build_seconds": round(seconds, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "index_html_mb": round(page_mb, 1),
            "turning_points": result.turning_points,
            "browser": browser,
            "target": "build <= 60 s for 100,000 passages (issue 12)",
        }
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results["kcna" if args.run else "synthetic"] = record
    write_json(RESULTS, results)
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
