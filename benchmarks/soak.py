"""Soak test of the batch labeller: a varied corpus with bad and odd files, killed twice and resumed.

    python benchmarks/soak.py [--pages 300] [--jobs 2] [--work DIR] [--checkout PATH] [--no-mlflow]

Builds N pages from the sample corpus (data/sample/pages, small perturbations: numbers changed, a line
dropped or repeated, a few gzipped, some in a JSONL file) plus 12 bad or odd files (empty, binary, NUL after
8 KiB, truncated gzip, UTF-16 without BOM, a page declared UTF-8 with stray windows-1252 bytes, HTML5 without
</html>, 10,000 nested divs, a one-line 5 MB text, an HTML fragment cut mid-paragraph, a JSONL file with one bad
line, a .pdf). Then:
  A. `python -m src.label CORPUS -j 2` uninterrupted;
  B. the same into a fresh output, SIGKILLed at ~30% and ~70% of the pages and resumed each time.
Checks: B's passage records equal A's as a multiset (nothing missing or duplicated), no worker outlives a
killed leader, every bad file is named (`error:` / `skipped:`), exit code 1, and the odd-but-valid pages
(HTML5 without </html>, mis-declared encoding, UTF-16, deep nesting, 5 MB line) are labelled. Prints pages/s
and the peak memory of any one process (getrusage of the children), and logs them to the MLflow experiment
`benchmark-soak` with the git commit. `--checkout` runs another checkout's code (e.g. /work/main: "before")
with this venv and this store. Each labelling run is bounded by --run-timeout; exit code 0 when every check
passes.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pages"
# name -> (expected outcome, how it is reported): "error" and "skipped" must be named, "labelled" must be in the output.
ODD = {
    "empty.txt": "error", "binary.html": "error", "late-nul.txt": "error", "truncated.txt.gz": "error",
    "cut-fragment.html": "error", "scan.pdf": "skipped", "utf16-nobom.txt": "labelled",
    "misdeclared.html": "labelled", "html5-no-html-close.html": "labelled", "deep-divs.html": "labelled",
    "one-line-5mb.txt": "labelled", "records-one-bad.jsonl": "error",
}


def build_corpus(folder: Path, n: int, big_bytes: int, seed: int = 0) -> dict[str, int]:
    """N perturbed sample pages and the odd files; returns {doc_id: 1} for every page that must be labelled."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in SAMPLE.rglob("*") if p.suffix in (".txt", ".html"))
    expected, records = {}, []
    for i in range(n):
        src = sources[i % len(sources)]
        text = _perturb(src.read_text(encoding="utf-8"), rng, src.suffix == ".html")
        doc_id = f"{i:04d}-{src.stem}"
        if i % 25 == 7:  # a few pages travel as JSONL records
            records.append({"id": doc_id, ("html" if src.suffix == ".html" else "text"): text})
        elif i % 10 == 3:
            (folder / f"{doc_id}{src.suffix}.gz").write_bytes(gzip.compress(text.encode("utf-8")))
        else:
            (folder / f"{doc_id}{src.suffix}").write_text(text, encoding="utf-8")
        expected[doc_id] = 1
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    _odd_files(folder, sources, big_bytes, rng)
    expected.update({Path(name).name.split(".")[0]: 1 for name, what in ODD.items() if what == "labelled"})
    expected["good-record"] = 1  # the good line of records-one-bad.jsonl
    return expected


def _perturb(text: str, rng: random.Random, html: bool) -> str:
    """Small edits that keep the page a page: a number changed; in a dump a line dropped or repeated."""
    text = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(0, 3)), text, count=rng.randint(1, 4))
    if html:
        return text
    lines = text.splitlines()
    k = rng.randrange(3, max(4, len(lines) - 1))
    if rng.random() < 0.5:
        del lines[k]
    else:
        lines.insert(k, lines[k])
    return "\n".join(lines) + "\n"


def _odd_files(folder: Path, sources: list[Path], big_bytes: int, rng: random.Random) -> None:
    dump = next(p for p in sources if p.suffix == ".txt").read_text(encoding="utf-8")
    page = next(p for p in sources if p.suffix == ".html").read_text(encoding="utf-8")
    body = page[page.lower().index("<body") : page.lower().rindex("</body>")]
    body = body[body.index(">") + 1 :]
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4000)))
    (folder / "late-nul.txt").write_bytes(dump.encode() * (1 + 9000 // len(dump.encode())) + b"\x00\x00tail\n")
    packed = gzip.compress(dump.encode())
    (folder / "truncated.txt.gz").write_bytes(packed[: len(packed) * 2 // 3])
    (folder / "cut-fragment.html").write_text("<div class='story'><p>The first paragraph is whole.</p><p>The "
                                              "second one stops in the mid", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (folder / "utf16-nobom.txt").write_bytes(dump.encode("utf-16-le"))
    declared = page if "charset" in page else page.replace("<head>", '<head><meta charset="utf-8">', 1)
    (folder / "misdeclared.html").write_bytes(declared.encode().replace(b"</p>", b" caf\xe9 \x96 ok</p>", 2))
    (folder / "html5-no-html-close.html").write_text(re.sub(r"</html>\s*$", "", page.rstrip(), flags=re.I) + "\n",
                                                     encoding="utf-8")
    (folder / "deep-divs.html").write_text("<html><body>" + "<div>" * 10_000 + body + "</div>" * 10_000
                                           + "</body></html>", encoding="utf-8")
    words = re.findall(r"[A-Za-z]+", dump) or ["word"]
    line = " ".join(rng.choice(words) + ("." if rng.random() < 0.07 else "") for _ in range(big_bytes // 5))
    (folder / "one-line-5mb.txt").write_text(line[: big_bytes - 1] + "\n", encoding="utf-8")
    (folder / "records-one-bad.jsonl").write_text(json.dumps({"id": "good-record", "text": dump}) + "\n"
                                                  + '{"id": "bad-record", "text": \n', encoding="utf-8")


class Runner:
    """`python -m src.label CORPUS --out OUT -j N` from a checkout, bounded in time."""

    def __init__(self, checkout: Path, corpus: Path, jobs: int, run_timeout: float):
        self.checkout, self.corpus, self.jobs, self.run_timeout = checkout, corpus, jobs, run_timeout
        self.env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(checkout / "src"),
                    "NEWSLABEL_MLRUNS": os.environ.get("NEWSLABEL_MLRUNS", str(ROOT / "mlruns"))}

    def start(self, out: Path, log: Path) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "src.label", str(self.corpus), "--out", str(out), "-j", str(self.jobs)]
        cli = (self.checkout / "src" / "newslabel" / "cli_label.py").read_text(encoding="utf-8")
        if "--page-timeout" in cli:  # no time limit: the 5 MB page's fate must not depend on machine load
            cmd += ["--page-timeout", "0"]
        return subprocess.Popen(cmd, cwd=self.checkout, env=self.env, stdout=subprocess.DEVNULL, stderr=log.open("w"))

    def run(self, out: Path, log: Path, kill_at: int | None = None) -> tuple[int | None, float, list[int]]:
        """(exit code or None when killed, seconds, worker pids alive 5 s after a kill)."""
        started = time.perf_counter()
        proc = self.start(out, log)
        done = Path(f"{out}.done")
        while proc.poll() is None:
            if time.perf_counter() - started > self.run_timeout:
                proc.kill()
                raise SystemExit(f"soak: a labelling run took over {self.run_timeout:.0f} s; see {log}")
            if kill_at is not None and done.exists() and _lines(done) >= kill_at:
                from newslabel.bench.procs import alive, children

                workers = children(proc.pid)
                proc.kill()
                proc.wait()
                time.sleep(5)
                orphans = [w for w in workers if alive(w)]
                for w in orphans:  # counted, then ended: the soak leaves nothing running
                    os.kill(w, 9)
                return None, time.perf_counter() - started, orphans
            time.sleep(0.2)
        return proc.returncode, time.perf_counter() - started, []


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 16), b""))


def compare(a: Path, b: Path) -> dict:
    ra, rb = (collections.Counter(p.read_text(encoding="utf-8").splitlines()) for p in (a, b))
    keys = collections.Counter((json.loads(x)["source_path"], json.loads(x)["doc_id"], json.loads(x)["index"])
                               for x in rb.elements())
    return {"records_a": sum(ra.values()), "records_b": sum(rb.values()), "missing": sum((ra - rb).values()),
            "extra": sum((rb - ra).values()), "duplicated": sum(c - 1 for c in keys.values() if c > 1)}


def named(log_text: str, corpus: Path) -> dict[str, bool]:
    """Each bad or skipped file: is it named in an `error:` / `skipped:` line?"""
    return {name: any(line.startswith(f"{'skipped' if what == 'skipped' else 'error'}: {corpus / name}")
                      for line in log_text.splitlines())
            for name, what in ODD.items() if what != "labelled"}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="varied sample pages (the odd files come on top)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--big-bytes", type=int, default=5_000_000, help="size of the one-line text")
    parser.add_argument("--work", type=Path, default=None, help="folder for the corpus and outputs (default: temp)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose src.label is run")
    parser.add_argument("--run-timeout", type=float, default=1500, help="seconds one labelling run may take")
    parser.add_argument("--no-mlflow", action="store_true")
    return parser.parse_args()


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))  # this checkout's newslabel, for its process checks and tracking
    args = _args()
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-"))
    corpus = work / "corpus"
    expected = build_corpus(corpus, args.pages, args.big_bytes)
    runner = Runner(args.checkout.resolve(), corpus, args.jobs, args.run_timeout)
    a_out, b_out = work / "a" / "labels.jsonl", work / "b" / "labels.jsonl"
    a_out.parent.mkdir(parents=True, exist_ok=True)
    b_out.parent.mkdir(parents=True, exist_ok=True)
    code_a, wall_a, _ = runner.run(a_out, work / "a" / "stderr.txt")
    pages_a = _lines(Path(f"{a_out}.done")) if Path(f"{a_out}.done").exists() else 0
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {"pages": args.pages, "files": len(list(corpus.iterdir())), "exit_code_a": code_a, "wall_s_a": wall_a,
               "pages_labelled_a": pages_a, "pages_per_s": pages_a / wall_a, "peak_rss_mib": peak_mib}
    orphans, walls, codes = [], [], []
    for i, share in enumerate((0.3, 0.7, None)):
        code, wall, alive = runner.run(b_out, work / "b" / f"stderr-{i}.txt",
                                       kill_at=None if share is None else max(1, int(share * pages_a)))
        orphans += alive
        walls.append(wall)
        codes.append(code)
    a_log = (work / "a" / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    b_log = (work / "b" / "stderr-2.txt").read_text(encoding="utf-8", errors="replace")
    labelled = {json.loads(x)["doc_id"] for x in a_out.read_text(encoding="utf-8").splitlines()}
    odd_labelled = {n: Path(n).name.split(".")[0] in labelled for n, what in ODD.items() if what == "labelled"}
    cmp = compare(a_out, b_out)
    checks = {
        "exit_code_1": code_a == 1 and codes[-1] == 1,
        "killed_twice": codes[:2] == [None, None],
        "no_orphan_workers": not orphans,
        "b_equals_a": cmp["missing"] == cmp["extra"] == cmp["duplicated"] == 0 and cmp["records_a"] > 0,
        "every_page_labelled": not (set(expected) - labelled),
        "bad_files_named_a": all(named(a_log, corpus).values()),
        "bad_files_named_resume": all(named(b_log, corpus).values()),
        "odd_pages_labelled": all(odd_labelled.values()),
    }
    figures.update(cmp, wall_s_b=sum(walls), orphans=len(orphans), exit_codes_b=str(codes))
    _report(figures, checks, named(a_log, corpus), odd_labelled, sorted(set(expected) - labelled), work)
    if not args.no_mlflow:
        _log(figures, checks, args)
    return 0 if all(checks.values()) else 1


def _report(figures, checks, bad_named, odd_labelled, missing_pages, work) -> None:
    print(f"corpus: {figures['pages']} varied pages + {len(ODD)} odd files ({figures['files']} files) in {work}")
    print(f"A (uninterrupted, -j): exit {figures['exit_code_a']}, {figures['pages_labelled_a']} pages in "
          f"{figures['wall_s_a']:.1f} s = {figures['pages_per_s']:.2f} pages/s; peak RSS of one process "
          f"{figures['peak_rss_mib']:.0f} MiB")
    print(f"B (killed at ~30% and ~70%, resumed): exits {figures['exit_codes_b']}, {figures['wall_s_b']:.1f} s in "
          f"all; orphan workers after the kills: {figures['orphans']}")
    print(f"records A {figures['records_a']}, B {figures['records_b']}: missing {figures['missing']}, extra "
          f"{figures['extra']}, duplicated {figures['duplicated']}")
    print("bad files named: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in bad_named.items()))
    print("odd pages labelled: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in odd_labelled.items()))
    if missing_pages:
        print(f"pages not labelled: {', '.join(missing_pages[:10])}{' ...' if len(missing_pages) > 10 else ''}")
    print("checks: " + ", ".join(f"{k}={'pass' if v else 'FAIL'}" for k, v in checks.items()))


def _log(figures, checks, args) -> None:
    from newslabel.tracking import store as tracking

    mlruns = ROOT / "mlruns"
    tracking.configure(mlruns)
    commit = tracking.git_commit(args.checkout)
    params = {"pages": args.pages, "jobs": args.jobs, "big_bytes": args.big_bytes, "checkout": str(args.checkout)}
    with tracking.run("benchmark-soak", mlruns, f"soak-{args.pages}", params, {"git_commit": commit}):
        tracking.log_metrics({k: v for k, v in figures.items() if isinstance(v, int | float) and v is not None}
                             | {f"check_{k}": float(v) for k, v in checks.items()})


if __name__ == "__main__":
    sys.exit(main())
