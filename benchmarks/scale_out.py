"""Scale-out: the local labelling engine against the Ray engine on one machine.

Labels the first ``--stories`` KCNA stories (../shared/data/kcna) with each engine in a fresh
process: ``dprk-stance label`` as it runs by default (local), and ``--engine ray`` on a Ray
instance started on this machine with 1 and 2 scoring actors. Per run: passages/s (as the
run report counts them, and end to end with Ray's start-up), peak memory of the whole
process tree (resident set summed over the driver, Ray's daemons and workers; and PSS, which
counts shared pages once), and the driver's own CPU seconds, the serial part that bounds how
far more actors and nodes can go. Checks the engines wrote the same rows. Writes
benchmarks/results/scale_out.json with a note on expected scaling.

    python benchmarks/scale_out.py [--stories 1500] [--model /work/main/models/tfidf-logreg]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
KCNA = REPO.parent / "shared" / "data" / "kcna" / "kcna-en-2011-2012.jsonl.gz"


def one_run(engine: str, actors: int, sample: str, model: str, out: str) -> None:
    """In a child process: label once, print timings as JSON on the last line."""
    import dprk_stance.label as label_module
    from dprk_stance.label import LabelOptions, label_documents

    options = LabelOptions(progress=False)
    # Timestamps of rows reaching the output files (first and last document) and the
    # driver's CPU while rows stream in: the steady rate, without start-up, and the serial
    # cost per passage that bounds a cluster.
    seen = {"first": 0.0, "last": 0.0, "passages": 0, "first_passages": 0}

    def write(lines, *rest):
        now = time.perf_counter()
        if not seen["first"]:
            seen["first"], seen["first_passages"], seen["cpu_first"] = (
                now,
                len(lines),
                time.process_time(),
            )
        seen["last"], seen["passages"], seen["cpu_last"] = (
            now,
            seen["passages"] + len(lines),
            (time.process_time()),
        )
        return original(lines, *rest)

    original = label_module.write_assessed
    label_module.write_assessed = write
    if engine != "local":
        import dprk_stance.label_ray as label_ray

        label_ray.write_assessed = write
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if engine == "local":
        result = label_documents([sample], model, out, options)
    else:
        import logging

        import ray

        from dprk_stance.label_ray import label_documents_ray

        ray.init(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        result = label_documents_ray([sample], model, out, options, num_actors=actors)
        ray.shutdown()
    wall = time.perf_counter() - wall0
    print(
        json.dumps(
            {
                "documents": result.documents,
                "passages": result.passages,
                "engine_seconds": result.seconds,
                "call_seconds": wall,
                "driver_cpu_seconds": time.process_time() - cpu0,
                "steady_passages_per_s": (seen["passages"] - seen["first_passages"])
                / max(seen["last"] - seen["first"], 1e-9),
                "streaming_driver_cpu_ms_per_passage": 1000
                * (seen["cpu_last"] - seen["cpu_first"])
                / max(seen["passages"] - seen["first_passages"], 1),
                "seconds_to_first_row": seen["first"] - wall0,
            }
        )
    )


def measure(cmd: list[str]) -> dict:
    """Run cmd; sample the process tree's memory every 0.25 s; return its JSON + figures."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
    peak = {"rss": 0, "pss": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss = pss = 0
            try:
                for p in [proc, *proc.children(recursive=True)]:
                    try:
                        info = p.memory_full_info()
                        rss, pss = rss + info.rss, pss + info.pss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr.decode()[-2000:]}")
    figures = json.loads(stdout.decode().strip().splitlines()[-1])
    figures["process_seconds"] = time.perf_counter() - started
    figures["peak_rss_mb_tree"] = round(peak["rss"] / 1e6, 1)
    figures["peak_pss_mb_tree"] = round(peak["pss"] / 1e6, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1500)
    parser.add_argument("--model", default="/work/main/models/tfidf-logreg")
    parser.add_argument("--out", default="benchmarks/results/scale_out.json")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, actors, sample, model, out = args.one
        one_run(engine, int(actors), sample, model, out)
        return
    if not KCNA.exists():
        sys.exit(f"{KCNA} is absent: this benchmark needs the KCNA archive")
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "kcna-slice.jsonl"
        with gzip.open(KCNA, "rt", encoding="utf-8") as src, open(sample, "w") as dst:
            for i, line in enumerate(src):
                if i == args.stories:
                    break
                dst.write(line)
        runs = {}
        outputs = {}
        load_before = os.getloadavg()
        for name, engine, actors in (
            ("local", "local", 0),
            ("ray, 1 actor", "ray", 1),
            ("ray, 2 actors", "ray", 2),
        ):
            out = Path(tmp) / f"{engine}-{actors}.parquet"
            cmd = [sys.executable, __file__, "--one", engine, str(actors), str(sample)]
            figures = measure([*cmd, args.model, str(out)])
            figures["passages_per_s"] = round(figures["passages"] / figures["engine_seconds"], 1)
            figures["passages_per_s_with_startup"] = round(
                figures["passages"] / figures["call_seconds"], 1
            )
            runs[name] = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
            outputs[name] = pd.read_parquet(out)
            print(name, runs[name], flush=True)
        load_after = os.getloadavg()

    local = outputs["local"]
    probs = [c for c in local.columns if c.startswith("p_")]
    same = {}
    for name, frame in outputs.items():
        if name == "local":
            continue
        rest = [c for c in local.columns if c not in probs]
        same[name] = {
            "same_rows_and_columns": bool(
                list(frame.columns) == list(local.columns) and frame[rest].equals(local[rest])
            ),
            "max_abs_probability_difference": float(
                (frame[probs] - local[probs]).abs().to_numpy().max()
            ),
        }
    per_actor = runs["ray, 1 actor"]["steady_passages_per_s"]
    driver_ms = runs["ray, 2 actors"]["streaming_driver_cpu_ms_per_passage"]
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_before_after": [round(x, 2) for x in (*load_before, *load_after)],
            "note": "2 CPU cores shared with other work; figures vary with the load",
        },
        "input": f"first {args.stories} stories of {KCNA.name}",
        "model": args.model,
        "command": f"python benchmarks/scale_out.py --stories {args.stories} --model {args.model}",
        "runs": runs,
        "ray_matches_local": same,
        "scaling_note": scaling_note(runs, per_actor, driver_ms),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


def scaling_note(runs: dict, per_actor: float, driver_ms: float) -> str:
    local, one, two = runs["local"], runs["ray, 1 actor"], runs["ray, 2 actors"]
    ceiling = 1000 / driver_ms if driver_ms else float("inf")
    return (
        f"Measured on this machine's 2 shared cores: whole runs, the local engine "
        f"{local['passages_per_s']:.0f} passages/s, Ray {one['passages_per_s']:.0f} with 1 "
        f"scoring actor and {two['passages_per_s']:.0f} with 2. Ray pays a fixed start-up "
        f"before the first row ({one['seconds_to_first_row']:.0f} s here: starting a local "
        "instance, worker processes importing torch, each actor loading the model) and "
        "memory for its daemons and idle workers (peak over the process tree: "
        f"{one['peak_pss_mb_tree']:.0f} MB PSS, {one['peak_rss_mb_tree']:.0f} MB RSS, against "
        f"{local['peak_pss_mb_tree']:.0f} and {local['peak_rss_mb_tree']:.0f} MB locally), so on "
        "one small "
        "machine the local engine is the faster and lighter choice. Once rows flow, Ray "
        f"delivered {one['steady_passages_per_s']:.0f} passages/s with 1 actor and "
        f"{two['steady_passages_per_s']:.0f} with 2 (an upper bound: with input order kept, "
        "blocks scored while the driver waited for the first arrive in a burst). Reasoned, not "
        "measured: scoring is independent per passage, so on a cluster the rate grows about "
        "linearly with scoring actors (one per CPU), and the fixed start-up is paid once per "
        "node in parallel, until the one driver that writes rows in order is the limit: it "
        f"spent {driver_ms:.2f} ms of CPU per passage while rows streamed in, a ceiling near "
        f"{ceiling:,.0f} passages/s. One compressed archive is read by one task: split a "
        "large archive into many files to read it in parallel."
    )


if __name__ == "__main__":
    main()
