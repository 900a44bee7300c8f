"""BlockBody alone on the validation pages of webextract, extraction-merged and wcxb-dev, as label_page reads them.

    python benchmarks/block_body.py [--cache /tmp/block-body] [--thresholds 0.3,0.4,0.5] [--set trees=300 ...]
        [--dump /tmp/p_body.pkl]

Fits `models.block_body.BlockBody` on the train rows of the public HTML pages at hand (the role importers:
webextract and extraction-merged on the labeller's passages, wcxb-dev's train sites), then reads each validation
page as `label_page` does (`predict.labeller.read_page`, `models.inputs.role_frame`) and keeps the passages whose
p(body) reaches the threshold as the body text. Scored as `bench/bodytext.py` scores label_page
(webextract: the passage rule, body F1; extraction-merged: token F1 a dataset) and `bench/wcxb.py` (word F1, all
and by page kind). Imported rows are cached under --cache (segmenting and aligning 4,000 pages takes minutes).
Prints one JSON line: the scores a threshold, fit seconds and ms a page (reading included).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _rows(cache: Path) -> pd.DataFrame:
    from newslabel.data.importers.extraction import import_extraction_merged, import_webextract_pages
    from newslabel.data.importers.wcxb import import_wcxb_pages

    path = cache / "train_rows.pkl"
    if path.is_file():
        return pd.read_pickle(path)
    parts = {"webextract": import_webextract_pages(DATA / "webextract"),
             "extraction": import_extraction_merged(DATA / "extraction-merged", html_dir=str(cache / "html")),
             "wcxb": import_wcxb_pages(DATA / "wcxb-dev")}
    df = pd.concat([pd.DataFrame(p["role"]["train"]).assign(source=s) for s, p in parts.items()], ignore_index=True)
    cache.mkdir(parents=True, exist_ok=True)
    df.to_pickle(path)
    return df


def _pages(cache: Path) -> list[dict]:
    from newslabel.bench.bodytext import merged_test, webextract_pages
    from newslabel.data.importers.wcxb import read_wcxb

    path = cache / "validation_pages.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    out = [{"source": "webextract", "id": p["page_id"], "html": p["html"], "texts": p["texts"], "flags": p["gold"]}
           for p in webextract_pages(DATA / "webextract", split="validation")]
    out += [{"source": "extraction", "kind": d, "id": p["page_id"], "html": p["html"], "gold": p["gold"]}
            for d, pages in merged_test(DATA / "extraction-merged", splits=("validation",)).items() for p in pages]
    out += [{"source": "wcxb", "kind": r["page_type"], "id": r["id"], "html": r["html"], "gold": r["main_content"]}
            for r in read_wcxb(DATA / "wcxb-dev", "validation")]
    path.write_bytes(pickle.dumps(out))
    return out


def _p_body(model, pages: list[dict]) -> tuple[dict, float]:
    """{page id: (passage texts, p(body))} and ms a page."""
    from newslabel.errors import InputError
    from newslabel.models.inputs import role_frame
    from newslabel.predict.labeller import read_page

    out, start = {}, time.perf_counter()
    for p in pages:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                page = read_page(p["html"], p["id"])
        except InputError:
            out[p["id"]] = ([], np.zeros(0))
            continue
        frame = role_frame(page.records(), p["html"])
        out[p["id"]] = (frame["text"].tolist(), model.predict_proba(frame)[:, 0])
    return out, 1000 * (time.perf_counter() - start) / len(pages)


def score(pages: list[dict], texts: dict[str, str]) -> dict[str, float]:
    from newslabel.bench.bodytext import _micro_f1, token_counts, token_hits
    from newslabel.bench.metrics import passage_metrics
    from newslabel.bench.wcxb import word_f1
    from newslabel.ingest.peers import score_passages

    web = [p for p in pages if p["source"] == "webextract"]
    gold = [g for p in web for g in p["flags"]]
    pred = [b for p in web for b in score_passages(p["texts"], texts[p["id"]])]
    out = {"webextract": passage_metrics(gold, pred)["body_f1"]}
    for kind in sorted({p["kind"] for p in pages if p["source"] == "extraction"}):
        counts = [(token_counts(p["gold"]), token_counts(texts[p["id"]])) for p in pages
                  if p["source"] == "extraction" and p["kind"] == kind]
        out[kind] = float(_micro_f1(np.array([token_hits(g, q) for g, q in counts]).sum(0)))
    f1 = {p["id"]: (p["kind"], word_f1(texts[p["id"]], p["gold"])) for p in pages if p["source"] == "wcxb"}
    out["wcxb all"] = float(np.mean([f for _, f in f1.values()]))
    for kind in sorted({k for k, _ in f1.values()}):
        out[f"wcxb {kind}"] = float(np.mean([f for k, f in f1.values() if k == kind]))
    return out


def main() -> int:
    from newslabel.models.block_body import BlockBody, BlockBodySettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/block-body"))
    parser.add_argument("--thresholds", default="0.3,0.4,0.5")
    parser.add_argument("--set", nargs="*", default=[], help="BlockBodySettings overrides, e.g. stage2=false")
    parser.add_argument("--dump", type=Path, help="pickle {page id: (passage texts, p(body))} here")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    types = {f.name: f.type for f in fields(BlockBodySettings)}
    sets = dict(kv.split("=", 1) for kv in args.set)
    parse = {"bool": lambda v: v.lower() == "true", "int": int, "float": float}
    settings = BlockBodySettings(**{k: parse[types[k]](v) for k, v in sets.items()})
    rows = _rows(args.cache)
    start = time.perf_counter()
    model = BlockBody(settings).fit(rows, rows["label"])
    fit_s = time.perf_counter() - start
    pages = _pages(args.cache)
    probs, ms = _p_body(model, pages)
    if args.dump:
        args.dump.write_bytes(pickle.dumps(probs))
    scores = {t: score(pages, {k: "\n\n".join(x for x, q in zip(tx, p) if q >= t) for k, (tx, p) in probs.items()})
              for t in map(float, args.thresholds.split(","))}
    print(json.dumps({"settings": sets, "rows": len(rows), "fit_s": round(fit_s, 1), "ms_page": round(ms, 1),
                      "scores": scores}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
