"""Start-up cost: whole-process wall time and peak memory of `dprk-stance predict`, per model.

Each run is a fresh process (interpreter start, imports, model load, one prediction), as an
analyst checking one passage would run it; the figure is the median of ``--runs`` runs. A
bare ``python -c "import torch, transformers"`` is measured beside it for scale. Writes
benchmarks/results/startup.json.

    python benchmarks/startup.py [--runs 5] [--models-dir models]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
TEXT = "Enterprises should be allowed to set their own prices and keep part of their earnings."


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB, process tree) of one command."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    peak = 0
    while proc.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.01)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return wall, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--out", default="benchmarks/results/startup.json")
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "dprk-stance")
    commands = {
        "python -c 'import torch, transformers'": [
            sys.executable,
            "-c",
            "import torch, transformers",
        ]
    }
    for model in sorted(Path(REPO, args.models_dir).glob("*/stance_model.json")):
        commands[model.parent.name] = [exe, "predict", TEXT, "--model", str(model.parent)]
    results = {}
    for name, cmd in commands.items():
        measure(cmd)  # warm the page cache: the figure is for a model already on disk
        runs = [measure(cmd) for _ in range(args.runs)]
        results[name] = {
            "median_wall_s": round(statistics.median(w for w, _ in runs), 3),
            "wall_s": [round(w, 3) for w, _ in runs],
            "median_peak_rss_mb": round(statistics.median(m for _, m in runs), 1),
        }
        print(
            f"{name:<45} {results[name]['median_wall_s']:6.2f} s "
            f"{results[name]['median_peak_rss_mb']:7.0f} MB",
            flush=True,
        )
    out = Path(REPO, args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "what": "whole-process `dprk-stance predict` on one sentence, median of runs",
                "runs": args.runs,
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
