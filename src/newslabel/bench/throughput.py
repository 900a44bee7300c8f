"""Where labelling time goes: pages/s and passages/s for each stage of `label_page`, and for trafilatura.

`stage_table(labeller, pages)` runs the pages twice in one process, one at a time as `label_page` does: once
through `label_page` itself (the rate users get), once stage by stage (parse and segment, then each task's
model, timed through a proxy around the model). Parsers and trafilatura run on the same pages in the same
process, so their ratios are free of machine drift between runs. Every pass starts with trafilatura's caches
emptied, as the first pass does.

>>> rows = [Stage("trafilatura", 10, 0, 0.5), Stage("label_page", 10, 400, 2.0)]
>>> [round(r.pages_per_s, 1) for r in rows], round(ratio(rows), 2)
([20.0, 5.0], 0.25)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from newslabel.labels.schema import TASKS
from newslabel.predict.labeller import read_page

REFERENCE = "trafilatura"  # the peer the speed bar is set against: extract(favor_precision=True)
OURS = "label_page"


@dataclass
class Stage:
    name: str
    pages: int
    passages: int  # the pages' passages; 0 for the stages outside newslabel (parsers, trafilatura)
    seconds: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def passages_per_s(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0

    @property
    def ms_per_page(self) -> float:
        return 1000 * self.seconds / self.pages if self.pages else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"pages_per_s": self.pages_per_s, "passages_per_s": self.passages_per_s,
                               "ms_per_page": self.ms_per_page}


class _Timed:
    """A model that adds its `predict_proba` time to `clock[name]` (the labeller reads `classes_` too)."""

    def __init__(self, model, name: str, clock: dict[str, float]):
        self.model, self.name, self.clock = model, name, clock
        self.classes_ = model.classes_

    def predict_proba(self, X):
        start = time.perf_counter()
        out = self.model.predict_proba(X)
        self.clock[self.name] = self.clock.get(self.name, 0.0) + time.perf_counter() - start
        return out


def _clock(fn, items) -> tuple[float, list]:
    from newslabel.ingest.peers import reset_caches

    reset_caches()  # each pass starts cold: trafilatura caches what it saw (the role model runs it too)
    start = time.perf_counter()
    out = [fn(x) for x in items]
    return time.perf_counter() - start, out


def stage_table(labeller, pages: list[tuple[str, str]]) -> list[Stage]:
    """[Stage] for `pages` ([(doc_id, html or text)]): the peers' and parsers' rows, `label_page`, its stages."""
    from dataclasses import replace

    from newslabel.ingest.peers import trafilatura_text

    n = len(pages)
    rows = [Stage(REFERENCE, n, 0, _clock(lambda p: trafilatura_text(p[1], favor_precision=True), pages)[0])]
    rows += [Stage(name, n, 0, _clock(parse, [p[1] for p in pages])[0]) for name, parse in _parsers()]
    seconds, out = _clock(lambda p: labeller.label_page(p[1], doc_id=p[0]), pages)
    n_passages = sum(len(o["passages"]) for o in out)
    rows.append(Stage(OURS, n, n_passages, seconds))
    seg_seconds, segmented = _clock(lambda p: read_page(p[1], doc_id=p[0]), pages)
    rows.append(Stage("segment", n, sum(len(s.passages) for s in segmented), seg_seconds))
    rows.append(Stage("segment: of which page metadata", n, 0, metadata_seconds(pages)))
    clock: dict[str, float] = {}
    timed = replace(labeller, models={t: _Timed(m, t, clock) for t, m in labeller.models.items()})
    total, _ = _clock(timed.label, segmented)
    # Every stage's passages/s counts the pages' passages, whatever rows its model reads (stance: pairs,
    # topic: stories): the rate labelling would have if that stage were all of it.
    rows += [Stage(f"model: {t}", n, n_passages, clock.get(t, 0.0)) for t in TASKS if t in labeller.models]
    rows.append(Stage("the rest of label (titles, stories, output)", n, n_passages, total - sum(clock.values())))
    return rows


def metadata_seconds(pages: list[tuple[str, str]]) -> float:
    """The seconds the page-metadata step of segmenting takes on the HTML pages (`bench.metadata.stage_seconds`:
    on the tree the segmenter parsed, parse not counted); text dumps' cascade is left out (it is a few regexes)."""
    from newslabel.bench.metadata import stage_seconds
    from newslabel.ingest.decoding import sniff_kind

    return sum(stage_seconds(text, None) for _, text in pages if sniff_kind(text) == "html")


def batch_stages(files: list[str], max_bytes: int, jobs: tuple[int, ...] = (1, 2)) -> list[Stage]:
    """[Stage] of batch labelling (`newslabel label FILES -j N`, run in this process) for each N in `jobs`:
    the wall time of the whole run, loading the models in each worker included."""
    import tempfile
    from pathlib import Path

    from newslabel.predict.batch import run_batch

    rows = []
    for n_jobs in jobs:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            res = run_batch(list(files), Path(tmp) / "labels.jsonl", None, None, n_jobs, max_bytes,
                            progress_bar=False)
            rows.append(Stage(f"newslabel label -j {n_jobs} (models loaded in each worker)", res.pages,
                              res.passages, time.perf_counter() - start))
    return rows


def _parsers():
    """(name, parse) for the HTML parsers at hand: the floor under any labeller that parses with them."""
    from lxml import html as lxml_html

    yield "lxml parse alone", lambda h: lxml_html.document_fromstring(h.encode("utf-8"))
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:  # not a dependency: its row is left out
        return
    yield "selectolax (Lexbor) parse alone", LexborHTMLParser


def ratio(rows: list[Stage]) -> float:
    """Our pages/s over trafilatura's, both from the same run."""
    by = {r.name: r for r in rows}
    return by[OURS].pages_per_s / by[REFERENCE].pages_per_s


def render(rows: list[Stage]) -> str:
    """The stage table as Markdown."""
    lines = ["| stage | pages/s | passages/s | ms/page |", "|---|---:|---:|---:|"]
    for r in rows:
        per = f"{r.passages_per_s:.0f}" if r.passages else ""
        lines.append(f"| {r.name} | {r.pages_per_s:.1f} | {per} | {r.ms_per_page:.1f} |")
    return "\n".join(lines)
