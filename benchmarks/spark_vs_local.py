"""Pages per second: the local engine vs the Spark engine, on the same generated pages.

    python benchmarks/spark_vs_local.py [--pages 2000] [--small 100] [--workers 2] [--repeat 1] [--keep DIR]

Writes N pages (original variations of the test fixture pages, see `make_pages`) as JSONL files of
100 pages, then runs, as a user would, `python -m src.label --engine local -j W` and
`python -m src.label --engine spark --master local[W]` on them, and the same on the first `--small`
pages. Each run is timed end to end (start-up, model loading, labelling, writing; with --repeat, the
fastest of the interleaved runs). Prints pages/s for each engine, and from the two sizes each
engine's fixed cost (seconds) and marginal rate (pages/s), the page count where Spark would overtake
the local engine, and logs it all to the MLflow experiment `benchmark-spark` (store:
$NEWSLABEL_MLRUNS or mlruns/). The model is the registered `newslabel@champion` of that store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PAGES_PER_FILE = 100
NOISE = 1.25  # marginal rates closer than this are the same rate on a machine shared with other jobs
NAMES = ["Marlow", "Ashby", "Penrose", "Kettering", "Dunmore", "Halloran", "Whitcombe", "Orrell", "Tansley",
         "Brackwater", "Ellery", "Fairholm", "Greystoke", "Linthorpe", "Moorcroft", "Norwood"]
_DIGITS = re.compile(r"\d")
_CAPITAL_WORD = re.compile(r"\b(Westmoor|Fennick|Marrowby|Marrow|Gullwing|Fenwick|Callan|Okafor|Havlicek|Pritchard)\b")
_TEXT_NODE = re.compile(r">([^<]+)<")
_HTML_P = re.compile(r"\s*<p>[^<]*(?:<a [^>]*>[^<]*</a>[^<]*)?</p>")


def base_pages() -> list[tuple[str, str, str]]:
    """(name, kind, content) of the fixture pages the variations are made from."""
    out = [(p.stem, "text", p.read_text(encoding="utf-8")) for p in sorted((FIXTURES / "unseen").glob("*.txt"))]
    out.append(("tiny-aggregator", "text", (FIXTURES / "pages" / "tiny-aggregator.txt").read_text(encoding="utf-8")))
    out.append(("tiny-news", "html", (FIXTURES / "pages" / "tiny-news.html").read_text(encoding="utf-8")))
    for line in (FIXTURES / "pages" / "records.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = "html" if "html" in rec else "text"
        if isinstance(rec.get(kind), str):
            out.append((rec["id"], kind, rec[kind]))
    return out


def vary(content: str, kind: str, rng: random.Random) -> str:
    """An original variation: other digits and names, some paragraphs dropped, two neighbours swapped."""
    name_map = {}

    def rename(m: re.Match) -> str:
        return name_map.setdefault(m.group(0), rng.choice(NAMES))

    def renumber(prose: str) -> str:  # numbers in prose only: dates, bylines and markup keep their shape
        return _DIGITS.sub(lambda m: str(rng.randrange(10)), prose) if len(prose.split()) > 18 else prose

    text = _CAPITAL_WORD.sub(rename, content)
    if kind == "html":
        text = _TEXT_NODE.sub(lambda m: ">" + renumber(m.group(1)) + "<", text)
        paras = _HTML_P.findall(text)
        for p in paras[1:]:
            if rng.random() < 0.25:
                text = text.replace(p, "", 1)
        return text
    lines = [renumber(line) for line in text.split("\n")]
    head, body = lines[:6], lines[6:]
    body = [line for line in body if not (len(line.split()) > 12 and rng.random() < 0.15)]
    if len(body) > 3:
        i = rng.randrange(len(body) - 1)
        body[i], body[i + 1] = body[i + 1], body[i]
    return "\n".join(head + body)


def make_pages(n: int, seed: int = 0) -> list[dict]:
    """n JSONL page records, {"id", "text"} or {"id", "html"}, cycling over the fixture pages."""
    rng = random.Random(seed)
    bases = base_pages()
    out = []
    for k in range(n):
        name, kind, content = bases[k % len(bases)]
        out.append({"id": f"{name}-v{k:05d}", kind: vary(content, kind, rng)})
    return out


def write_jsonl(records: list[dict], folder: Path, per_file: int = PAGES_PER_FILE) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, len(records), per_file):
        path = folder / f"pages-{i // per_file:04d}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[i:i + per_file]),
                        encoding="utf-8")
        paths.append(path)
    return paths


def run_engine(engine: str, pages: Path, out: Path, workers: int, env: dict) -> tuple[float, str]:
    """Wall seconds of one CLI run, and its last stderr line."""
    args = [sys.executable, "-m", "src.label", str(pages), "--out", str(out), "--engine", engine]
    args += ["-j", str(workers)] if engine == "local" else ["--master", f"local[{workers}]"]
    start = time.perf_counter()
    res = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""
    if res.returncode != 0:
        raise SystemExit(f"{engine} engine failed ({res.returncode}): {res.stderr[-3000:]}")
    return seconds, last


def fit(small: tuple[int, float], large: tuple[int, float]) -> tuple[float, float]:
    """(fixed seconds, marginal pages/s) of t = fixed + n / rate through two (n, t) points."""
    (n1, t1), (n2, t2) = small, large
    rate = (n2 - n1) / max(t2 - t1, 1e-9)
    return max(t1 - n1 / rate, 0.0), rate


def crossover(fixed: dict, local_rate: float, spark_rate: float) -> float | None:
    """Pages above which fixed_spark + n / spark_rate < fixed_local + n / local_rate (None: never)."""
    if spark_rate <= local_rate:
        return None
    return max((fixed["spark"] - fixed["local"]) / (1 / local_rate - 1 / spark_rate), 0.0)


def _scaling(results: dict, sizes: list[int], workers: int, cluster_cores: list[int]) -> dict[str, float]:
    """Fixed cost and marginal rate of each engine from the small and the large run; where Spark overtakes."""
    fixed, marginal, metrics, n = {}, {}, {}, sizes[1]
    for e in results:
        fixed[e], marginal[e] = fit((sizes[0], results[e][sizes[0]][0]), (n, results[e][n][0]))
        print(f"{e:5}: fixed {fixed[e]:5.1f} s + {marginal[e]:.1f} pages/s after that")
        metrics |= {f"{e}_fixed_s": fixed[e], f"{e}_marginal_pages_per_s": marginal[e]}
    ratio = marginal["spark"] / marginal["local"]
    if 1 / NOISE < ratio < NOISE:
        print(f"marginal rates within {NOISE - 1:.0%} of each other (the same Python labelling on the same "
              f"{workers} cores): on this machine Spark's {fixed['spark']:.0f} s of fixed cost decides")
    elif ratio > 1:
        print(f"spark overtakes the local engine on this machine above "
              f"~{crossover(fixed, marginal['local'], marginal['spark']):.0f} pages")
    per_core = marginal["spark"] / workers
    for cores in cluster_cores:
        cross = crossover(fixed, marginal["local"], per_core * cores)
        print(f"estimate: spark on {cores} executor cores (~{per_core * cores:.0f} pages/s) overtakes the local "
              f"engine here above ~{cross:.0f} pages" if cross is not None else
              f"estimate: spark on {cores} executor cores never overtakes the local engine here")
        metrics[f"crossover_pages_{cores}_cores"] = cross if cross is not None else -1.0
    return metrics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages to label (default 2000)")
    parser.add_argument("--small", type=int, default=100, help="a second, small run to separate fixed costs (0: skip)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local -j and Spark local[N]")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, interleaved; the fastest counts")
    parser.add_argument("--keep", type=Path, default=None, help="keep pages and outputs in this folder")
    parser.add_argument("--cluster-cores", type=int, nargs="*", default=[8, 32],
                        help="also estimate the crossover for Spark on this many executor cores (per-core rate as here)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from newslabel.serve import spark as spark_engine
    from newslabel.tracking import store as tracking

    problem = spark_engine.spark_problem()
    if problem:
        print(f"skipped: {problem}")
        return 0
    mlruns = Path(os.environ.get("NEWSLABEL_MLRUNS") or ROOT / "mlruns")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(mlruns)}
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    records = make_pages(args.pages)
    sizes = [n for n in (args.small, args.pages) if n] if args.small and args.small < args.pages else [args.pages]
    results: dict[str, dict[int, tuple[float, str]]] = {"local": {}, "spark": {}}
    for n in sizes:
        write_jsonl(records[:n], work / f"pages-{n}")
    for attempt in range(args.repeat):
        for n in sizes:
            for engine in ("local", "spark"):
                out = work / f"{engine}-{n}-{attempt}.{'jsonl' if engine == 'local' else 'parquet'}"
                seconds, last = run_engine(engine, work / f"pages-{n}", out, args.workers, env)
                print(f"{engine:5} {n:6} pages: {seconds:7.1f} s  ({last})", flush=True)
                if n not in results[engine] or seconds < results[engine][n][0]:
                    results[engine][n] = (seconds, last)
    n = args.pages
    rate = {e: n / results[e][n][0] for e in results}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\npages: {n}  workers: {args.workers}  cpus: {os.cpu_count()}  load average: {load:.1f}  "
          "(end to end, start-up included)")
    print(f"local engine (-j {args.workers}):              {rate['local']:.1f} pages/s")
    print(f"spark engine (local[{args.workers}]):           {rate['spark']:.1f} pages/s")
    metrics = {"local_pages_per_s": rate["local"], "spark_pages_per_s": rate["spark"], "load_average": load}
    if len(sizes) == 2:
        metrics |= _scaling(results, sizes, args.workers, args.cluster_cores)
    tracking.configure(mlruns)
    params = {"pages": n, "small": args.small, "workers": args.workers, "cpus": os.cpu_count(), "repeat": args.repeat}
    with tracking.run("benchmark-spark", mlruns, "spark-vs-local", params, {}):
        tracking.log_metrics(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
