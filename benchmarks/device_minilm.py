"""The `model=minilm_full` figures on a GPU machine, for the babe, fnc1, agnews and bbc benchmarks.

The GPU machine this workplace lends (the `device` tool) has torch and transformers but not MLflow, Hydra or
`datasets`; no network, and nothing travels to it but the working tree (64 MiB). So the run has three steps:

1. here: ``python benchmarks/device_minilm.py prepare`` writes ``.device/`` (ignored by git): for each
   benchmark the harness's own train / validation / test frames (only the columns the encoder reads), the
   resolved `Settings` of ``python -m src.train data=NAME task=TASK model=minilm_full``, and the packaged
   encoder's weights in fp16 (the fp32 file, 91 MB, is over the transfer limit; they are widened back to fp32
   there before fine-tuning, so training runs from the pretrained weights rounded to fp16).
2. there: ``python3 benchmarks/device_minilm.py run .device OUT --only NAME`` fine-tunes and predicts the
   test split with `newslabel.models.transformer.TransformerClassifier`, the class that ``model=minilm_full`` trains,
   and writes ``OUT/NAME.json``: test predictions, timings, the training history, the machine and versions.
3. here: ``python benchmarks/device_minilm.py log RESULTS`` scores the predictions with the harness's
   scorers, logs one run per benchmark in the MLflow experiment ``benchmark-NAME-gpu``, writes the result file
   ``benchmarks/results/NAME-gpu.json`` and re-renders docs/benchmarks.md (a "on a GPU machine" table under each
   benchmark). The date is the one the result file records (``date``), else the file's modification time.

Early stopping reads the whole validation split (minilm_full's ``eval_subset: 0``); the splits are the ones
``python -m src.benchmark NAME`` uses (train rows for training, validation rows held out for early stopping).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOBS = {"babe": "bias", "fnc1": "stance", "agnews": "topic", "bbc": "topic"}
COLUMNS = ("doc_id", "index", "text", "headline", "title", "label")  # what model_texts reads, and the gold
ENCODER_DIR = "minilm-fp16"


# -- 1. here: the frames, the settings and the encoder -------------------------------------------
def prepare(out: Path, names: list[str], shared: Path) -> None:
    from dataclasses import asdict

    from newslabel.bench import harness, runners
    from newslabel.config import compose
    from newslabel.models.transformer_inputs import Settings

    conf = harness.load_config()
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        task = JOBS[name]
        frames = runners.load_data(name, conf.benchmarks[name], shared)
        train, validation = runners._split_for_ours({"hold_out_validation": True}, frames)
        overrides = [f"data={name}", f"task={task}", "model=minilm_full"]
        cfg = compose("train", [*overrides, f"paths.shared={shared}"])
        settings = asdict(Settings.from_config(task, cfg.model, int(cfg.seed)))
        folder = out / name
        folder.mkdir(exist_ok=True)
        for split, df in (("train", train), ("validation", validation), ("test", frames["test"])):
            keep = [c for c in COLUMNS if c in df.columns]
            # a large dictionary page: FNC-1 repeats each article body over many pairs
            df[keep].to_parquet(folder / f"{split}.parquet", compression="zstd", compression_level=19, index=False,
                                dictionary_pagesize_limit=256 << 20)
        labels = runners.label_names(task, frames)
        (folder / "job.json").write_text(json.dumps({"name": name, "task": task, "settings": settings,
                                                     "labels": labels, "overrides": overrides}, indent=1))
        print(f"{name}: {len(train)} train, {len(validation)} validation, {len(frames['test'])} test rows")
    _encoder_fp16(out / ENCODER_DIR)


def _encoder_fp16(dest: Path) -> None:
    import torch

    from newslabel.models.transformer_inputs import encoder_path

    recast(Path(encoder_path("packaged")), dest, torch.float32, torch.float16)


def recast(src: Path, dest: Path, old, new) -> Path:
    """A copy of a Hugging Face model folder (configs, tokenizer) with its `old`-dtype weights cast to `new`."""
    from safetensors.torch import load_file, save_file

    dest.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.name != "model.safetensors" and f.suffix in (".json", ".txt"):
            shutil.copy2(f, dest / f.name)
    tensors = load_file(src / "model.safetensors")
    save_file({k: v.to(new) if v.dtype == old else v for k, v in tensors.items()}, dest / "model.safetensors",
              metadata={"format": "pt"})
    return dest


# -- 2. there: fine-tune and predict --------------------------------------------------------------
def run_job(folder: Path, encoder: Path) -> dict:
    import pandas as pd
    import torch
    import transformers

    from newslabel.models.transformer import TransformerClassifier
    from newslabel.models.transformer_inputs import Settings

    job = json.loads((folder / "job.json").read_text())
    frames = {s: pd.read_parquet(folder / f"{s}.parquet") for s in ("train", "validation", "test")}
    settings = Settings(**{**job["settings"], "encoder": str(encoder), "device": "auto"})
    model = TransformerClassifier(settings)

    def x(df):
        return df.drop(columns=["label"])

    start = time.perf_counter()
    model.fit(x(frames["train"]), frames["train"]["label"].to_numpy(),
              eval_set=(x(frames["validation"]), frames["validation"]["label"].to_numpy()))
    fit_s = time.perf_counter() - start
    test = frames["test"]
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall = time.perf_counter()
    pred = model.predict(x(test))
    predict_s = time.perf_counter() - wall
    return {"name": job["name"], "task": job["task"], "overrides": job["overrides"], "settings": job["settings"],
            "pred": [str(p) for p in pred], "fit_seconds": fit_s, "predict_seconds": predict_s,
            "n_train": len(frames["train"]), "n_validation": len(frames["validation"]), "n_test": len(test),
            "summary": model.training_summary(), "history": model.history_,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none", "cores": os.cpu_count(),
            "versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "transformers": transformers.__version__}}


def run(folder: Path, out: Path, only: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    import torch

    # from_pretrained then trains in fp32, as it would from the packaged file (weights rounded to fp16 once)
    encoder = recast(folder / ENCODER_DIR, Path(tempfile.mkdtemp(prefix="minilm-fp32-")), torch.float16, torch.float32)
    for name in only:
        start = time.perf_counter()
        result = run_job(folder / name, encoder)
        result["job_wall_seconds"] = time.perf_counter() - start
        (out / f"{name}.json").write_text(json.dumps(result))
        print(f"{name}: fit {result['fit_seconds']:.0f} s, steps {result['summary']['steps']}, "
              f"best step {result['summary']['best_step']}, whole job {result['job_wall_seconds']:.0f} s", flush=True)


# -- 3. here: score, log, document ----------------------------------------------------------------
def log(results: Path, shared: Path, mlruns: Path, docs: Path, out: Path) -> None:
    """Score the GPU machine's predictions in `results`, log them, write `out`/NAME-gpu.json, render `docs`."""
    from newslabel.bench import harness, runners
    from newslabel.bench import report as bench_report

    conf = harness.load_config()
    for path in sorted(results.glob("*.json")):
        r = json.loads(path.read_text())
        name = r["name"]
        frames = runners.load_data(name, conf.benchmarks[name], shared)
        gold = frames["test"]["label"].tolist()
        if len(gold) != len(r["pred"]):
            raise SystemExit(f"error: {path}: {len(r['pred'])} predictions for {len(gold)} test rows")
        labels = runners.label_names(r["task"], frames)
        m = runners._score(name, gold, r["pred"], labels)
        m.update(seconds_per_item=r["predict_seconds"] / len(gold), fit_seconds=r["fit_seconds"],
                 job_wall_seconds=r["job_wall_seconds"], n_items=float(len(gold)))
        command = "python -m src.train " + " ".join(r["overrides"])
        params = {"train_command": command, "model": "minilm_full", "n_train": str(r["n_train"]),
                  "n_validation": str(r["n_validation"]), "n_test": str(r["n_test"]), "hold_out_validation": "True",
                  "settings": json.dumps(r["settings"])[:5000], "steps": str(r["summary"]["steps"]),
                  "best_step": str(r["summary"]["best_step"]), "encoder_weights": "packaged MiniLM rounded to fp16"}
        system = f"newslabel {r['task']}, fine-tuned MiniLM (model=minilm_full), GPU"
        meta = {"benchmark": f"{name}-gpu", "batch": path.stem + "-" + str(int(path.stat().st_mtime)),
                "date": r.get("date") or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime)),
                "command": "python benchmarks/device_minilm.py prepare|run|log", "limit": "0",
                "machine.cores": str(r.get("cores", "?")), "machine.cpu": f"GPU: {r['gpu']}",
                "machine.os": "the device machine",
                **{f"version.{k}": v for k, v in r["versions"].items()},
                "n_train": str(r["n_train"]), "n_test": str(r["n_test"]), "n_test_items": str(r["n_test"]),
                "item": str(conf.benchmarks[name].item), "wall_seconds": f"{r['job_wall_seconds']:.0f}"}
        target = {k: v for o in conf.benchmarks[name].ours for k, v in (o.get("targets") or {}).items()}
        report = bench_report.Report(f"{name}-gpu", [bench_report.Row(system, "ours", m, params, target)], meta)
        bench_report.log_report(report, mlruns, conf)
        bench_report.save_result(report, out)
        shown = "fnc_relative" if name == "fnc1" else "accuracy" if r["task"] == "topic" else "macro_f1"
        print(f"{name}: {shown} {m[shown]:.4f}, macro-F1 {m['macro_f1']:.4f}, fit {r['fit_seconds']:.0f} s "
              f"({r['summary']['steps']} steps) on {r['gpu']}")
    print(f"wrote {bench_report.write_docs(docs, out, conf)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=("prepare", "run", "log"))
    p.add_argument("folder", nargs="?", type=Path, default=ROOT / ".device")
    p.add_argument("out", nargs="?", type=Path, default=None, help="run: where the results go")
    p.add_argument("--only", nargs="*", default=list(JOBS), choices=list(JOBS))
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    p.add_argument("--mlruns", type=Path, default=ROOT / "mlruns", help="log: the MLflow store")
    p.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md", help="log: the page to regenerate")
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results", help="log: the result files")
    a = p.parse_args(argv)
    if a.step == "prepare":
        prepare(a.folder, a.only, a.shared)
    elif a.step == "run":
        run(a.folder, a.out or a.folder / "results", a.only)
    else:
        log(a.folder, a.shared, a.mlruns, a.docs, a.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
