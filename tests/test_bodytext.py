"""Body text on real pages: the extraction-merged importer, the body gate of the role model, the DOM features on
tiny pages, and the labeller's body-text checks. The pages here are written for these tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from newslabel.bench import bodytext
from newslabel.data.importers.extraction import import_extraction_merged
from newslabel.errors import MissingDataError
from newslabel.models.body_gate import BodyGate, has_html
from newslabel.models.dom_features import HtmlFeatures

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HARBOUR = ("The harbour board met on Tuesday and agreed to dredge the north channel before winter.",
           "Fishing crews had asked for the work for three years, the board's chair said.",
           "Dredging starts in October and should take six weeks, weather allowing.")
NAV = "<nav><a href='/'>Home</a> <a href='/sport'>Sport</a></nav>"


def _page_html(headline: str, paragraphs: tuple[str, ...], close: bool = True) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{headline}</title></head><body>{NAV}<h1>{headline}</h1>{body}"
            f"<footer>Copyright Harbour Gazette</footer></body>" + ("</html>" if close else ""))


def _merged_folder(tmp_path: Path) -> Path:
    pages = [
        {"page_id": "gn-1", "dataset": "googlenews", "split": "train", "split_group": "gazette.example",
         "url": "https://gazette.example/harbour", "html": _page_html("Channel to be dredged", HARBOUR),
         "gold_text": "Channel to be dredged\n" + "\n".join(HARBOUR), "synthetic": False,
         "gold_l3s": {"headline": "Channel to be dredged"}},
        {"page_id": "rdb-x", "dataset": "readability", "split": "test", "split_group": "rdb-x", "url": None,
         "html": _page_html("Lorem", ("Lorem ipsum dolor sit amet.",)), "gold_text": "Lorem ipsum dolor sit amet.",
         "synthetic": True},
        {"page_id": "cef-2", "dataset": "cleaneval-final", "split": "validation", "split_group": "shop.example",
         "url": None, "html": _page_html("Shop", HARBOUR[:1], close=False), "gold_text": HARBOUR[0]},
    ]
    folder = tmp_path / "extraction-merged"
    folder.mkdir()
    with gzip.open(folder / "pages.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(p) + "\n" for p in pages)
    return folder


def test_extraction_merged_labels_passages_by_the_gold_text(tmp_path):
    out = import_extraction_merged(_merged_folder(tmp_path), html_dir=str(tmp_path / "html"))["role"]
    train = out["train"]
    assert [(r["text"], r["label"]) for r in train] == [
        ("Home Sport", "boilerplate"), ("Channel to be dredged", "boilerplate"),  # the L3S headline is the title
        (HARBOUR[0], "body"), (HARBOUR[1], "body"), (HARBOUR[2], "body"),
        ("Copyright Harbour Gazette", "boilerplate")]
    assert {r["group"] for r in train} == {"gazette.example"} and train[0]["tag"] == "a"  # the tag that opened the line
    assert [r["label"] for r in out["validation"]] == ["boilerplate", "boilerplate", "body", "boilerplate"]
    assert out["test"] == []  # the synthetic unit-test page is left out
    assert sorted(p.name for p in (tmp_path / "html").iterdir()) == ["cef-2.html.gz", "gn-1.html.gz"]
    assert train[2]["source_path"] == str(tmp_path / "html" / "gn-1.html.gz")
    # on two processes: the same rows in the same order
    assert import_extraction_merged(tmp_path / "extraction-merged", str(tmp_path / "html"), n_jobs=2)["role"] == out


def test_extraction_merged_missing_folder(tmp_path):
    with pytest.raises(MissingDataError) as err:
        import_extraction_merged(tmp_path / "absent")
    assert str(err.value) == (f"{tmp_path / 'absent'}: not found; the extraction-merged data lives in "
                              "../shared/data/extraction-merged")


def test_extraction_merged_real_splits_keep_sites_apart():
    if not (DATA / "extraction-merged").is_dir():
        pytest.skip("extraction-merged not found")
    out = import_extraction_merged(DATA / "extraction-merged", datasets=["cleanportaleval"])["role"]
    groups = {s: {r["group"] for r in rows} for s, rows in out.items()}
    assert not (groups["train"] & groups["test"]) and not (groups["validation"] & groups["test"])
    pages = {s: len({r["doc_id"] for r in rows}) for s, rows in out.items()}
    assert pages == {"train": 14, "validation": 14, "test": 40}  # the README's counts for cleanportaleval
    assert {r["label"] for rows in out.values() for r in rows} == {"body", "boilerplate"}


def test_webextract_pages_on_own_passages_keep_the_webextract_splits():
    if not (DATA / "webextract").is_dir():
        pytest.skip("webextract not found")
    from newslabel.data.importers.extraction import import_webextract, import_webextract_pages

    own, theirs = import_webextract_pages(DATA / "webextract")["role"], import_webextract(DATA / "webextract")["role"]
    for split in ("train", "validation", "test"):
        assert {r["doc_id"] for r in own[split]} == {r["doc_id"] for r in theirs[split]}
    assert len({r["doc_id"] for r in own["test"]}) == 72  # the README's test pages
    assert {r["label"] for r in own["train"]} == {"body", "boilerplate"}


def test_dom_features_on_pages_shorter_than_the_window():
    html = _page_html("Short", HARBOUR[:2])
    X = pd.DataFrame({"doc_id": "d", "html": html, "text": ["Home Sport", "Short", *HARBOUR[:2]]})
    F = HtmlFeatures(trafilatura=True, hashed_tokens=0).fit_transform(X)
    assert F.shape[0] == 4  # numpy's convolve "same" gave 7 rows for a 4-passage page


def _gate_rows() -> tuple[pd.DataFrame, np.ndarray]:
    """Two fine-labelled pages (six roles) and two coarse ones (body / boilerplate), all HTML."""
    rows, labels = [], []
    for k, coarse in ((0, False), (1, False), (2, True), (3, True)):
        texts = ["Home Sport", f"Channel news {k}", *HARBOUR, "Copyright Harbour Gazette"]
        fine = ["chrome", "title", "body", "body", "body", "chrome"]
        rows += [{"doc_id": f"p{k}", "text": t, "source_path": f"p{k}.html"} for t in texts]
        labels += [("body" if r == "body" else "boilerplate") if coarse else r for r in fine]
    return pd.DataFrame(rows), np.array(labels, dtype=object)


class _Shares:
    """A stand-in classifier: every row gets the label shares of its training labels."""

    def __init__(self):
        self.fitted_on = None

    def get_params(self, deep=False):
        return {}

    def fit(self, X, y):
        self.fitted_on = sorted(set(X["doc_id"]))
        self.columns = list(X.columns)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.p_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.p_, (len(X), 1))


def test_body_gate_fits_roles_on_fine_pages_and_body_on_all():
    X, y = _gate_rows()
    gate = BodyGate(_Shares(), _Shares()).fit(X, y)
    assert gate.roles_.fitted_on == ["p0", "p1"] and gate.body_.fitted_on == ["p0", "p1", "p2", "p3"]
    assert gate.classes_.tolist() == ["body", "chrome", "title"]
    p = gate.predict_proba(X.head(1))
    # body: 12 of 24 rows -> 0.5; chrome and title share the rest 2:1 as in the fine pages (4 and 2 of 12)
    assert p.round(4).tolist() == [[0.5, 0.3333, 0.1667]]
    text_page = X.head(1).assign(source_path="p0.txt")
    assert gate.predict_proba(text_page).round(4).tolist() == [[0.5, 0.3333, 0.1667]]  # fine: 6 of 12 body


class _Body80(_Shares):
    """A stand-in body model that says p(body) = 0.8 for every row."""

    def predict_proba(self, X):
        return np.tile([0.8, 0.2], (len(X), 1))


def test_body_gate_reads_text_dumps_with_its_text_body_model_averaged_with_the_six_roles():
    X, y = _gate_rows()
    gate = BodyGate(_Shares(), _Shares(), text_body=_Body80(), text_weight=0.5).fit(X, y)
    assert gate.text_body_.fitted_on == ["p0", "p1", "p2", "p3"] and gate.text_body_.columns == ["doc_id", "text"]
    assert gate.text_body_.classes_.tolist() == ["body", "boilerplate"]
    assert gate.predict_proba(X.head(1)).round(4).tolist() == [[0.5, 0.3333, 0.1667]]  # HTML: the body model
    # text: p(body) = 0.5 x 0.8 + 0.5 x 0.5 = 0.65; chrome and title share 0.35 as 2:1
    text_page = X.head(1).assign(source_path="p0.txt")
    assert gate.predict_proba(text_page).round(4).tolist() == [[0.65, 0.2333, 0.1167]]


def test_body_gate_offsets_shift_the_log_odds_of_body_on_html_and_on_text_dumps_apart():
    X, y = _gate_rows()
    gate = BodyGate(_Shares(), _Shares(), text_body=_Body80(), html_offset=np.log(4), text_offset=-np.log(4)).fit(X, y)
    # HTML: odds of 0.5 times 4 -> 0.8; chrome and title share 0.2 as 2:1
    assert gate.predict_proba(X.head(1)).round(4).tolist() == [[0.8, 0.1333, 0.0667]]
    # text: 0.65 -> odds 13/7 divided by 4 = 13/28 -> 13/41 = 0.3171; the rest 28/41 shared 2:1
    text_page = X.head(1).assign(source_path="p0.txt")
    assert gate.predict_proba(text_page).round(4).tolist() == [[0.3171, 0.4553, 0.2276]]


def test_has_html_reads_the_html_column_or_the_file_name():
    X = pd.DataFrame({"html": ["<p>x</p>", "", ""], "source_path": ["a.txt", "b.html.gz", "c.txt"]})
    assert has_html(X).tolist() == [True, True, False]


class _Labeller:
    """A stand-in labeller whose body text is every <p> of the page."""

    def label_page(self, html, doc_id="page"):
        from lxml import html as lxml_html

        if "<p" not in html:
            from newslabel.errors import InputError

            raise InputError(doc_id, "page has no text passages")
        return {"body_text": "\n".join(p.text_content() for p in lxml_html.fromstring(html).iter("p"))}


def test_merged_check_scores_token_f1_per_dataset(tmp_path):
    rows = bodytext.eval_merged(_Labeller(), _merged_folder(tmp_path), splits=("train", "validation"))
    assert [(r["check"], r["kind"], r["n"]) for r in rows] == [
        ("cleaneval-final body", "ours", 1), ("cleaneval-final body", "peer", 1),
        ("googlenews body", "ours", 1), ("googlenews body", "peer", 1)]
    # googlenews: the three paragraphs are the gold once its headline line is dropped
    assert rows[2]["value"] == 1.0 and rows[2]["metric"] == "token_f1"


class _DumpLabeller:
    """A stand-in labeller that keeps the inputs it was given; its body text is the lines of five words or more."""

    def __init__(self):
        self.inputs = []

    def label_page(self, text, doc_id="page"):
        self.inputs.append((doc_id, text))
        return {"body_text": "\n".join(line for line in text.splitlines() if len(line.split()) >= 5)}


def test_merged_check_on_dumps_gives_the_labeller_each_page_as_its_text_dump(tmp_path):
    labeller = _DumpLabeller()
    rows = bodytext.eval_merged(labeller, _merged_folder(tmp_path), splits=("train", "validation"), dumps=True)
    assert [(r["check"], r["kind"], r["n"], r["value"]) for r in rows] == [
        ("cleaneval-final dump body", "ours", 1, 1.0), ("googlenews dump body", "ours", 1, 1.0)]
    assert labeller.inputs[1] == ("gn-1.txt", "\n".join(["Home Sport", "Channel to be dredged", *HARBOUR,
                                                          "Copyright Harbour Gazette"]))


def test_body_checks_keep_the_labellers_repair_warnings_out_of_the_benchmark():
    import warnings

    from newslabel.errors import InputWarning

    class Warns(_Labeller):
        def label_page(self, html, doc_id="page"):
            warnings.warn(f"{doc_id}: <html> is never closed", InputWarning, stacklevel=2)
            return super().label_page(html, doc_id)

    refused: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        text = bodytext._body(Warns(), "<p>One paragraph.</p>", "p1", refused)
    assert text == "One paragraph." and refused == [] and seen == []
    assert bodytext._body(Warns(), "no paragraphs", "p2", refused) == ""
    assert refused == ["p2: page has no text passages"]


def test_shipped_role_config_builds_a_text_dump_body_model_without_html_features():
    from omegaconf import OmegaConf

    from newslabel.config import compose
    from newslabel.models.dom_features import HtmlFeatures
    from newslabel.models.pipeline import build_pipeline

    cfg = compose("train", ["++tasks.role.body_gate.text_weight=0.75"])
    gate = build_pipeline("role", cfg.model, OmegaConf.to_container(cfg.tasks.role, resolve=True), cfg.seed)

    def html_features(model) -> HtmlFeatures:
        (found,) = [v for v in model.get_params(deep=True).values() if isinstance(v, HtmlFeatures)]
        return found

    # what the config sets reaches the gate; what it leaves out keeps BodyGate's defaults
    assert isinstance(gate, BodyGate) and (gate.text_weight, gate.n_jobs) == (0.75, cfg.tasks.role.body_gate.n_jobs)
    defaults = BodyGate(None, None).get_params()
    assert (gate.html_only, gate.html_offset, gate.text_offset) == tuple(defaults[k] for k in
                                                                         ("html_only", "html_offset", "text_offset"))
    assert (html_features(gate.body).dom, html_features(gate.body).trafilatura) == (True, True)
    assert (html_features(gate.text_body).dom, html_features(gate.text_body).trafilatura) == (False, False)
    assert html_features(gate.text_body).text_model is True  # the rest of the body model's settings
    features = gate.roles.estimator.named_steps["features"]
    assert (html_features(gate.body).comment_section, features.get_params()["context__rolecontext__comments"]) == (True, True)

    def parts(pipe) -> list[str]:
        return [name for name, _ in pipe.named_steps["features"].transformer_list]

    # body_gate.char_ngrams: false leaves out the HTML body model's own char TF-IDF; the others keep theirs
    assert parts(gate.body) == ["word", "html"] and parts(gate.text_body) == ["word", "char", "html"]
    assert parts(gate.roles.estimator) == ["word", "char", "context"]


def test_body_checks_without_their_data_say_so_once_a_folder(tmp_path):
    from newslabel.bench.labeller import _body_checks

    lines: list[str] = []
    assert _body_checks(None, tmp_path, 0, lines.append) == []
    assert lines == [f"skipped labeller check webextract: its data is not under {tmp_path / 'data'}",
                     f"skipped labeller check extraction-merged: its data is not under {tmp_path / 'data'}",
                     f"skipped labeller check wcxb-dev: its data is not under {tmp_path / 'data'}"]


def test_labeller_run_scores_the_split_it_is_given_and_its_report_renders(tmp_path):
    from newslabel.bench import labeller as bench_labeller
    from newslabel.bench import report as bench_report

    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    _merged_folder(shared / "data")
    stand_in = _Labeller()
    stand_in.model_version = "role:1"
    lines: list[str] = []
    rows = bench_labeller.run(shared=shared, mlruns=tmp_path / "mlruns", labeller=stand_in, log=lines.append,
                              split="validation")
    # only cef-2 is a validation page; the stand-in's <p> text is its gold sentence, and it refuses the page's
    # text dump, which has no <p>
    assert [(r["check"], r["kind"], r["n"], r["value"], r["split"]) for r in rows] == [
        ("cleaneval-final body", "ours", 1, 1.0, "validation"), ("cleaneval-final body", "peer", 1, 1.0, "validation"),
        ("cleaneval-final dump body", "ours", 1, 0.0, "validation")]
    assert rows[2]["confusion"] == "P 0.000 R 0.000; refused 1"
    assert "skipped labeller check webextract: its data is not under " + str(shared / "data") in lines
    # logged to the store it was given, not to an mlflow.db in the working folder
    assert (tmp_path / "mlruns" / "mlflow.db").is_file() and not (Path.cwd() / "mlflow.db").exists()
    report = bench_labeller.labeller_report(rows, wall=3.0)
    assert report.meta["command"] == "python -m src.benchmark labeller --split validation"
    import mlflow  # its runs record the commit its report does (bench.report.code_commit)

    runs = mlflow.search_runs(experiment_names=[bench_labeller.EXPERIMENT])
    assert len(runs) == 3 and set(runs["tags.git_commit"]) == {report.meta["git_commit"]}
    assert report.rows[0].system == "cleaneval-final body: newslabel label_page (HTML in) (token_f1)"
    assert report.rows[0].params == {"check": "cleaneval-final body", "metric": "token_f1", "split": "validation"}
    path = bench_report.save_result(report, tmp_path / "results")
    text = bench_report.write_docs(tmp_path / "benchmarks.md", tmp_path / "results").read_text(encoding="utf-8")
    assert "| **cleaneval-final body: newslabel label_page (HTML in) (token_f1)** | ours | 1.000 | 1.000–1.000 | 1 |" \
        in text
    assert "- cleaneval-final dump body: newslabel label_page (text dump in) (token_f1): P 0.000 R 0.000; refused 1." \
        in text
    assert text.index("The shipped champions") < text.index("| system | kind | value |")
    assert json.loads(path.read_text())["rows"][0]["intervals"] == {"value": [1.0, 1.0]}


def test_benchmark_refuses_an_unknown_split():
    from newslabel.bench import harness

    lines: list[str] = []
    assert harness.main(["labeller"], split="dev", log=lines.append) == 2
    assert lines == ["error: unknown split 'dev'; expected validation or test"]
    lines.clear()
    assert harness.main(["labeller"], split="train", log=lines.append) == 2  # wcxb-dev's train sites: metadata only
    assert harness.main(["metadata"], split="dev", log=lines.append) == 2
    assert lines == ["error: unknown split 'train'; expected validation or test",
                     "error: unknown split 'dev'; expected validation or train"]
