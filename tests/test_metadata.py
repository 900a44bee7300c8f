"""Page metadata (ingest/page_meta.py and friends): each source of each field on small hand-written pages, with
exact values, the text-dump cascade, and the page fields as label_page, the pyfunc rows and Spark's schema carry
them. Every page here is written for these tests."""

from __future__ import annotations

import json

import pytest

from newslabel.ingest.authors import clean_authors
from newslabel.predict.labeller import read_page

BODY = ("<p>The council voted on Monday to repair the seawall before the winter storms arrive in the bay.</p>"
        "<p>Work starts next month and should take about six weeks, the engineers said.</p>")


def html_page(head: str = "", body: str = "", lang: str = "en") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Seawall | Norvale Post</title>'
            f"{head}</head><body><h1>Seawall repairs approved</h1>{body}{BODY}</body></html>")


def jsonld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def fields(page) -> dict:
    return {"title": page.extra.get("headline", page.title), "date": page.date, "author": page.author, "site_name": page.site_name,
            "url": page.url, "language": page.language}


def test_jsonld_only():
    article = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "@id": "#site", "name": "Norvale Site"},
        {"@type": ["NewsArticle"], "headline": "Seawall repairs approved after storms",
         "datePublished": "2025-11-04T23:30:00-05:00", "dateModified": "2025-11-06T10:00:00Z",
         "author": [{"@id": "#ada"}, {"@type": "Person", "name": "By BO LARK"}],
         "publisher": {"@type": "Organization", "name": "Norvale Post"},
         "url": "https://norvale.example/news/seawall"},
        {"@type": "Person", "@id": "#ada", "name": "Ada Quill"}]}
    page = read_page(html_page(jsonld(article)), doc_id="ld")
    assert fields(page) == {"title": "Seawall repairs approved", "date": "2025-11-04", "author": ["Ada Quill", "Bo Lark"],
                            "site_name": "Norvale Post", "url": "https://norvale.example/news/seawall", "language": "en"}
    assert page.extra["meta_sources"] == {"title": "h1", "date": "json-ld", "author": "json-ld",
                                          "site_name": "json-ld", "url": "json-ld", "language": "text"}


def test_opengraph_and_meta_only():
    head = ('<meta property="og:title" content="Seawall repairs approved after the storms">'
            '<meta property="og:site_name" content="Norvale Post">'
            '<meta property="og:url" content="https://norvale.example/seawall">'
            '<meta property="article:published_time" content="2025-11-04T09:30:00+00:00">'
            '<meta name="author" content="Ada Quill, Bo Lark">'
            '<link rel="canonical" href="/news/seawall-repairs">')
    page = read_page(html_page(head), doc_id="og", url="https://norvale.example/amp/seawall")
    assert fields(page) == {"title": "Seawall repairs approved after the storms", "date": "2025-11-04",
                            "author": ["Ada Quill", "Bo Lark"], "site_name": "Norvale Post",
                            "url": "https://norvale.example/news/seawall-repairs", "language": "en"}
    assert page.extra["meta_sources"] == {"title": "meta", "date": "meta", "author": "meta", "site_name": "meta",
                                          "url": "canonical", "language": "text"}
    assert page.source == "Norvale Post" and page.site == "norvale.example"


def test_title_without_its_site_suffix():
    head = '<meta property="og:title" content="Seawall repairs approved after storms | Local | Norvale Post">'
    page = read_page(html_page(head), doc_id="suffix")
    # The output's headline loses the site's segments; the models read the title as found.
    assert page.extra["headline"] == "Seawall repairs approved after storms"
    assert page.title == "Seawall repairs approved after storms | Local | Norvale Post"
    page = read_page("<html><body><h1>Storm - what the council decided</h1>" + BODY + "</body></html>", doc_id="h1")
    assert page.extra["headline"] == page.title == "Storm - what the council decided"  # an <h1> is kept whole


def test_date_only_in_the_url():
    page = read_page(html_page(), doc_id="url", url="https://norvale.example/2024/03/15/seawall-repairs.html")
    assert (page.date, page.extra["meta_sources"]["date"]) == ("2024-03-15", "url")
    # The URL's day wins over a <meta> time stamped in UTC just after midnight (the site's own day is the 14th).
    head = '<meta property="article:published_time" content="2024-03-15T02:30:00+00:00">'
    page = read_page(html_page(head), doc_id="url", url="https://norvale.example/2024/03/14/seawall-repairs")
    assert (page.date, page.extra["meta_sources"]["date"]) == ("2024-03-14", "url")


def test_date_found_by_htmldate():
    page = read_page(html_page(body='<p><time datetime="2023-06-01">1 June</time></p>'), doc_id="time")
    assert (page.date, page.extra["meta_sources"]["date"]) == ("2023-06-01", "htmldate")
    assert page.author == [] and "author" not in page.extra["meta_sources"]


def test_date_and_author_only_in_the_visible_byline():
    body = '<p class="story-byline">By Ada Quill · Updated 5 November 2025</p><p>Published 4 November 2025</p>'
    page = read_page(html_page(body=body), doc_id="byline")
    # The first dated line is the byline's "Updated" date: what the page shows first, as readers see it.
    assert (page.date, page.author) == ("2025-11-05", ["Ada Quill"])
    assert page.extra["meta_sources"]["date"] == page.extra["meta_sources"]["author"] == "byline"


def test_published_wins_over_modified_and_out_of_range_dates_pass():
    head = (jsonld({"@type": "Article", "dateModified": "2025-02-01", "datePublished": "2999-01-01"})
            + '<meta property="article:modified_time" content="2025-02-01T08:00:00Z">'
            + '<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
            + '<meta itemprop="datePublished" content="2025-01-10">')
    page = read_page(html_page(head), doc_id="conflict")
    # JSON-LD's date is in the future and the meta tag's before 1990: both skipped, never the modified date.
    assert (page.date, page.extra["meta_sources"]["date"]) == ("2025-01-10", "meta")


def test_malformed_jsonld_is_ignored():
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-01-10",</script>'
            '<script type="application/ld+json"><!-- {"@type": "BlogPosting", "author": "Cy Moss"} --></script>'
            '<meta property="article:published_time" content="2025-02-20">')
    page = read_page(html_page(head), doc_id="broken")
    assert (page.date, page.author, page.extra["meta_sources"]["date"]) == ("2025-02-20", ["Cy Moss"], "meta")
    assert page.extra["meta_sources"]["author"] == "json-ld"  # the comment-wrapped block still reads


def test_language_from_text_checked_against_html_lang():
    german = ("<p>Der Gemeinderat hat am Montag beschlossen, die Ufermauer vor den Winterstürmen zu reparieren.</p>"
              "<p>Die Arbeiten beginnen im nächsten Monat und dauern etwa sechs Wochen.</p>")
    page = read_page(f'<html lang="en"><body>{german}</body></html>', doc_id="de")
    assert (page.language, page.extra["meta_sources"]["language"]) == ("de", "text")  # the text, not a wrong lang
    page = read_page('<html lang="pt-BR"><body><p>Menu</p><p>OK</p></body></html>', doc_id="short")
    assert (page.language, page.extra["meta_sources"]["language"]) == ("pt", "declared")


def test_text_dump_cascade():
    dump = ("Menu\nSeawall repairs approved after the storms\nBy Ada Quill and Bo Lark | Norvale Post | 4 Nov 2025\n"
            "The council voted on Monday to repair the seawall before the winter storms arrive in the bay.\n")
    page = read_page(dump, doc_id="dump")
    assert fields(page) == {"title": "Seawall repairs approved after the storms", "date": "2025-11-04",
                            "author": ["Ada Quill", "Bo Lark"], "site_name": "Norvale Post", "url": None,
                            "language": "en"}


def test_author_names_are_cleaned():
    assert clean_authors(["Staff", "Editorial Team", "https://facebook.com/ada", "@adaquill"]) == []
    assert clean_authors(["Reviewed by Di Vale", "Words by Cy Moss & Ed Fry"]) == ["Cy Moss", "Ed Fry"]


# -- the outputs that carry the page fields ------------------------------------------------------------------
@pytest.fixture(scope="module")
def labeller(trained):
    from newslabel.predict.load import load_labeller

    return load_labeller(mlruns=trained.mlruns)


def test_label_page_and_pyfunc_rows_carry_the_page_fields(labeller):
    from newslabel.serve.pyfunc import OUTPUT_COLUMNS, label_page_rows
    from newslabel.types import PAGE_FIELDS, PASSAGE_FIELDS

    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": </script>'
            '<meta property="og:site_name" content="Norvale Post"><meta name="author" content="Ada Quill">'
            '<meta property="article:published_time" content="2025-11-04">')
    html = html_page(head)
    result = labeller.label_page(html, doc_id="p1", url="https://norvale.example/seawall")
    expected = {"title": "Seawall repairs approved", "date": "2025-11-04", "author": ["Ada Quill"], "site_name": "Norvale Post",
                "url": "https://norvale.example/seawall", "language": "en"}
    assert {k: result[k] for k in expected} == expected and result["passages"]  # malformed JSON-LD: still labelled
    rows = label_page_rows(labeller, html, "p1", "https://norvale.example/seawall")
    assert OUTPUT_COLUMNS == [*PASSAGE_FIELDS, *PAGE_FIELDS, "error"]
    assert len(rows) == len(result["passages"]) and all(list(r) == OUTPUT_COLUMNS for r in rows)
    assert all({k: r[k] for k in PAGE_FIELDS} == {k: result[k] for k in PAGE_FIELDS} for r in rows)


def test_spark_schema_has_the_page_fields():
    pytest.importorskip("pyspark")
    from newslabel.serve.spark import passage_ddl

    ddl = passage_ddl()
    assert "`author`: array<string>" in ddl and "`language`: string" in ddl and ddl.endswith("`error`: string>")


# -- the benchmark's scoring -----------------------------------------------------------------------------------
def test_benchmark_rows_score_both_systems_by_the_same_rule():
    from newslabel.bench.metadata import OURS, PEER, field_rows

    def page(kind, gold, ours, peer, source):
        return {"page_type": kind, "gold": {"title": "T", "date": gold[0], "author": gold[1]},
                "ours": {"title": "t", "date": ours[0], "author": ours[1]},
                "peer": {"title": "T x", "date": peer[0], "author": peer[1]}, "sources": {"date": source}}

    pages = [page("article", ("2025-01-02", "Ada Quill and Bo Lark"), ("2025-01-02", ["Bo Lark", "Ada Quill"]),
                  ("2025-01-03", ["Ada Quill"]), "json-ld"),
             page("forum", (None, None), ("2025-01-05", []), ("2025-01-05", []), "htmldate")]
    rows = {(r["field"], r["system"], r["metric"], r["group"]): (r["value"], r["n"]) for r in field_rows(pages, 50)}
    assert rows["title", OURS, "accuracy", "all"] == (1.0, 2) and rows["title", PEER, "accuracy", "all"] == (0.0, 2)
    assert rows["date", OURS, "accuracy", "all"] == (1.0, 1) and rows["date", PEER, "accuracy", "all"] == (0.0, 1)
    assert rows["date", OURS, "found where gold has none", "all"] == (1.0, 1)
    assert rows["author", OURS, "accuracy", "all"] == (1.0, 1) and rows["author", PEER, "accuracy", "all"] == (0.0, 1)
    assert rows["date", OURS, "accuracy where this source answered", "source=json-ld"] == (1.0, 1)
    assert rows["date", f"{OURS} − {PEER}", "accuracy difference", "all"] == (1.0, 1)


def test_benchmark_runs_on_wcxb_dev(shared_dir):
    from newslabel.bench.metadata import OURS, PEER, run
    from newslabel.data.importers.wcxb import read_wcxb

    if not (shared_dir / "data" / "wcxb-dev").is_dir():
        pytest.skip("../shared/data/wcxb-dev not found")
    first = [r["id"] for r in read_wcxb(shared_dir / "data" / "wcxb-dev", "validation", limit=3)]
    assert len(first) == 3 and all(r["split"] == "validation" for r in read_wcxb(shared_dir / "data" / "wcxb-dev",
                                                                                 "validation", limit=3))
    rows, facts = run(shared_dir, "validation", limit=3, log=lambda *_: None, bootstrap=20)
    assert facts["split"] == "validation" and facts["pages"] == "3"
    systems = {(r["field"], r["system"]) for r in rows if r["metric"] == "accuracy" and r["group"] == "all"}
    assert systems == {(f, s) for f in ("title", "date", "author") for s in (OURS, PEER)}
    assert [r["n"] for r in rows if r["metric"] == "equal to extraction-merged lang"] == [3]
    assert {(r["field"], r["metric"]) for r in rows if r["group"] == "all" and r["field"] in ("site_name", "url")} == {
        ("site_name", "coverage"), ("url", "coverage")}
    assert [r["field"] for r in rows][-1] == "cost" and rows[-1]["value"] > 0
