"""Labelling throughput: HF pipeline vs `dprk-stance label` (fp32 ONNX) vs the int8 path.

Each path runs in its own subprocess (clean peak-memory figure) over the same passages:
real KCNA paragraphs from ../shared/data/kcna (the test split when the archive is absent),
segmented once so every path sees identical inputs. Writes
benchmarks/results/label_throughput.json.

    python benchmarks/label_throughput.py [--model models/transformer] [--passages 1500]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KCNA = REPO.parent / "shared" / "data" / "kcna" / "kcna-en-2011-2012.jsonl.gz"
PATHS = {
    "a": "transformers.pipeline (batch_size=32)",
    "b": "dprk-stance label (fp32, ONNX Runtime)",
    "c": "dprk-stance label --int8 (ONNX Runtime)",
}


def kcna_passages(n: int, seed: int, model_dir: Path) -> list[str]:
    """Paragraphs of randomly chosen stories, segmented to the model's window."""
    from dprk_stance.models import load_model
    from dprk_stance.segment import segment
    from dprk_stance.text import normalize_text

    with gzip.open(KCNA, "rt", encoding="utf-8") as fh:
        stories = [json.loads(line)["text"] for line in fh]
    random.Random(seed).shuffle(stories)
    model = load_model(model_dir)
    out: list[str] = []
    for story in stories:
        seg = segment(story, lambda s: model.count_tokens(normalize_text(s)), model.max_tokens)
        out.extend(normalize_text(p.text) for p in seg.passages)
        if len(out) >= n:
            break
    return out[:n]


def child(path: str, model_dir: str, passages_file: str, test_file: str) -> dict:
    """Run one path; return timing, predictions and peak memory of this process."""
    import pandas as pd
    import torch

    import dprk_stance

    torch.set_num_threads(os.cpu_count() or 1)
    passages = json.loads(Path(passages_file).read_text())
    test = pd.read_parquet(test_file)
    if path == "a":
        from transformers import pipeline

        clf = pipeline(
            "text-classification", model=model_dir, tokenizer=model_dir, device=-1, top_k=None
        )
        kwargs = {"batch_size": 32, "truncation": True, "max_length": 256}
        clf(passages[:8], **kwargs)  # warm-up
        started = time.perf_counter()
        clf(passages, **kwargs)
        seconds = time.perf_counter() - started
        test_pred = [
            max(r, key=lambda d: d["score"])["label"] for r in clf(test["text"].tolist(), **kwargs)
        ]
        bench_pred = None
        scoring_seconds = seconds
    else:
        # import what loading the model will import, as path (a) did before its timer
        import onnxruntime  # noqa: F401
        import transformers  # noqa: F401

        import dprk_stance.models.transformer  # noqa: F401
        from dprk_stance.label import LabelOptions, label_documents
        from dprk_stance.models import load_model
        from dprk_stance.stances import LABELS

        with tempfile.TemporaryDirectory() as tmp:
            docs = Path(tmp) / "passages.jsonl"
            docs.write_text(
                "".join(
                    json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(passages)
                )
            )
            options = LabelOptions(int8=path == "c", progress=False, min_chars=1)
            started = time.perf_counter()
            result = label_documents([docs], model_dir, Path(tmp) / "out.parquet", options)
            seconds = time.perf_counter() - started
            rows = pd.read_parquet(result.out)
            assert len(rows) == len(passages), (len(rows), len(passages))
            bench_pred = rows["label"].tolist()
        model = load_model(model_dir, int8=path == "c")
        model.inference_batch_size = options.batch_size
        model.predict_proba(passages[:8])  # warm-up, as for (a)
        started = time.perf_counter()
        model.predict_proba(passages)
        scoring_seconds = time.perf_counter() - started
        test_pred = [LABELS[i] for i in model.predict_proba(test["text"].tolist()).argmax(1)]
    from sklearn.metrics import f1_score

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "scoring_seconds": scoring_seconds,
        "peak_rss_mb": peak_kb / 1024,
        "test_macro_f1": float(f1_score(test["label"], test_pred, average="macro")),
        "test_pred": list(map(str, test_pred)),
        "bench_pred": bench_pred,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "models" / "transformer"))
    parser.add_argument("--test", default=str(REPO / "data" / "splits" / "test.parquet"))
    parser.add_argument("--passages", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default=str(REPO / "benchmarks" / "results" / "label_throughput.json")
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--passages-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.model, args.passages_file, args.test)))
        return

    import pandas as pd

    import dprk_stance  # noqa: F401
    from dprk_stance.models import load_model

    model_dir = Path(args.model)
    if not (model_dir / "config.json").is_file():
        parser.error(
            f"{model_dir}: no fine-tuned transformer there. The Hugging Face pipeline this "
            "benchmark compares against needs one; the transformer is off by default (restore "
            "its line under 'models:' in params.yaml and in dvc.yaml's lists, then dvc repro)"
        )
    if KCNA.exists():
        source = f"{KCNA.name}: paragraphs of randomly chosen stories (seed {args.seed})"
        passages = kcna_passages(args.passages, args.seed, model_dir)
    else:
        source = "test split (KCNA archive absent)"
        passages = pd.read_parquet(args.test)["text"].tolist()
    model = load_model(model_dir)
    tokens = sum(model.count_tokens(p) for p in passages)

    results = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(passages, fh)
    try:
        for path in PATHS:
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    path,
                    "--model",
                    str(model_dir),
                    "--test",
                    args.test,
                    "--passages-file",
                    fh.name,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode:
                sys.exit(f"path {path} failed:\n{proc.stderr[-3000:]}")
            results[path] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{PATHS[path]}: {len(passages) / results[path]['seconds']:.1f} passages/s",
                file=sys.stderr,
            )
    finally:
        os.unlink(fh.name)

    base = len(passages) / results["a"]["seconds"]
    report = {
        "what": "labelling throughput of one model through three paths, same passages",
        "machine": {
            "cpu": _cpu(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "torch": __import__("torch").__version__,
            "transformers": __import__("transformers").__version__,
        },
        "model": str(model_dir),
        "passages_source": source,
        "passages": len(passages),
        "tokens_with_special": tokens,
        "note": "(a) times the pipeline call only (model loaded, warmed up); (b) and (c) time "
        "the whole label_documents call: model load (and, for c, ONNX export and int8 "
        "quantisation), reading, segmentation, scoring and writing the Parquet outputs. "
        "Library imports happen before every timer. scoring_*: the model already loaded and "
        "warmed up for every path, the same passages scored in one call (the pipeline call "
        "for (a); StanceModel.predict_proba with length-sorted batches of the label default "
        "size for (b) and (c)): the like-for-like comparison.",
        "paths": {},
    }
    for path, name in PATHS.items():
        r = results[path]
        rate = len(passages) / r["seconds"]
        report["paths"][path] = {
            "name": name,
            "seconds": round(r["seconds"], 3),
            "passages_per_s": round(rate, 2),
            "useful_tokens_per_s": round(tokens / r["seconds"]),
            "speedup_vs_a": round(rate / base, 2),
            "scoring_passages_per_s": round(len(passages) / r["scoring_seconds"], 2),
            "scoring_speedup_vs_a": round(results["a"]["seconds"] / r["scoring_seconds"], 2),
            "peak_rss_mb": round(r["peak_rss_mb"], 1),
            "test_macro_f1": round(r["test_macro_f1"], 4),
            "threads": r["threads"],
        }
    agree_bench = sum(
        x == y for x, y in zip(results["b"]["bench_pred"], results["c"]["bench_pred"], strict=True)
    )
    agree_test = sum(
        x == y for x, y in zip(results["b"]["test_pred"], results["c"]["test_pred"], strict=True)
    )
    report["int8_vs_fp32_agreement"] = {
        "benchmark_passages": round(agree_bench / len(passages), 4),
        "test_passages": round(agree_test / len(results["b"]["test_pred"]), 4),
    }
    p = report["paths"]
    report["targets"] = {
        "b_at_least_3x_a_end_to_end": p["b"]["speedup_vs_a"] >= 3,
        "c_at_least_5x_a_end_to_end": p["c"]["speedup_vs_a"] >= 5,
        "b_at_least_3x_a_scoring": p["b"]["scoring_speedup_vs_a"] >= 3,
        "c_at_least_5x_a_scoring": p["c"]["scoring_speedup_vs_a"] >= 5,
        "c_macro_f1_loss_at_most_0.01": p["b"]["test_macro_f1"] - p["c"]["test_macro_f1"] <= 0.01,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
