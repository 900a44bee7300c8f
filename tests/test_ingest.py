"""Ingest and segmentation: the seed page, the fixture pages, bad inputs, and the passages CLI."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newslabel.errors import InputError
from newslabel.ingest import files as ingest
from newslabel.ingest.corpus import read_pages
from newslabel.ingest.metadata import parse_date, split_glued_byline

AGG_TITLE = "Marrowby tidal barrier delayed again after council splits over costs"
NEWS_TITLE = "Fenwick library to stay open until nine on Fridays"
AGG_TEXTS = [
    "logo",
    AGG_TITLE,
    AGG_TITLE,
    "Coastline Daily07-05-2025",
    "Work on the tidal barrier at Marrowby harbour has been postponed for a third time after councillors failed to "
    "agree on who should pay for it.",
    "The barrier was first proposed eleven years ago, when a winter storm pushed seawater into forty homes along the "
    "quay.",
    "Engineers now put the cost at 14 million pounds, twice the figure residents were given at the last public "
    "meeting.",
    "A spokesperson for the harbour trust called the delay disappointing but said surveys of the seabed would go ahead "
    "this summer.",
    "Try Our AI Features",
    "Related Articles",
    "Ferry operator adds a late sailing to the outer islands for the summer",
    "time1 hour ago",
]
AGG_LINES = [1, 3, 5, 7, 9, 10, 11, 12, 14, 16, 18, 20]
NEWS_TEXTS = [
    "Home",
    "Local",
    NEWS_TITLE,
    "By Ada Pennington | The Fenwick Courier | 3 November 2024",
    "The central library in Fenwick will stay open until nine o'clock every Friday from next month, the town council "
    "said.",
    "Councillors approved the change after a survey found that most readers could only visit after work.",
    "The extra hours will be paid for from the arts and leisure budget and will be reviewed in a year.",
    "Photo: the reading room on a Friday evening",
    "Friday",
    "9am to 9pm",
    "Related stories",
    "Swimming pool reopens after a new roof is fitted",
    "Saturday market moves back to the square",
    "© 2024 The Fenwick Courier. All rights reserved.",
]
# The tag is the element that holds a passage's first text: a nav or related link inside <li> reports "a".
NEWS_TAGS = ["a", "a", "h1", "p", "p", "p", "p", "figcaption", "td", "td", "h2", "a", "a", "p"]


@pytest.fixture(scope="module")
def pages_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "pages"


@pytest.fixture()
def good(tmp_path: Path, pages_dir: Path) -> tuple[str, str]:
    """Copies of the two good fixture pages in tmp_path (a text dump and an HTML page)."""
    txt = tmp_path / "tiny-aggregator.txt"
    html = tmp_path / "tiny-news.html"
    shutil.copy(pages_dir / "tiny-aggregator.txt", txt)
    shutil.copy(pages_dir / "tiny-news.html", html)
    return str(txt), str(html)


def _one(paths: list[str], **kw):
    pages, errors = read_pages(paths, **kw)
    assert errors == [], [str(e) for e in errors]
    assert len(pages) == 1
    return pages[0]


# -- the seed page -----------------------------------------------------------------------------
def test_seed_page_passages_match_gold_lines(seed_path: Path):
    page = _one([str(seed_path)])
    with seed_path.with_name(seed_path.name.replace(".txt", ".roles.tsv")).open(encoding="utf-8") as fh:
        gold = list(csv.DictReader(fh, delimiter="\t"))
    assert len(page.passages) == 55
    assert len(gold) == 55
    assert [p.line for p in page.passages] == [int(row["line"]) for row in gold]
    assert [p.index for p in page.passages] == list(range(55))
    # The gold text column is a prefix of each passage (it is cut at 60 characters).
    assert all(p.text.startswith(row["text"]) for p, row in zip(page.passages, gold, strict=True))


def test_seed_page_metadata(seed_path: Path):
    page = _one([str(seed_path)])
    assert page.doc_id == "000_0eff458de775143f"
    assert page.kind == "text"
    # The seed's headline, split so that no evaluation-only text stands whole in the repository.
    assert page.title == "Japan pulls out of talks with Trump administration " + "after ‘being ordered to spend more on defence'"
    assert page.source == "Independent"
    assert page.date == "2025-06-21"


# -- fixture pages ---------------------------------------------------------------------------
def test_text_page_lines_and_metadata(pages_dir: Path):
    path = str(pages_dir / "tiny-aggregator.txt")
    page = _one([path])
    assert (page.doc_id, page.source_path, page.kind) == ("tiny-aggregator", path, "text")
    assert [p.text for p in page.passages] == AGG_TEXTS
    assert [p.line for p in page.passages] == AGG_LINES
    assert [p.index for p in page.passages] == list(range(12))
    assert (page.title, page.source, page.date, page.url, page.site) == (
        AGG_TITLE, "Coastline Daily", "2025-05-07", None, "pages")
    # Text dumps carry no HTML structure.
    assert {(p.tag, p.tag_path, p.class_tokens, p.link_density) for p in page.passages} == {("", "", "", 0.0)}


def test_html_page_passages_in_order(pages_dir: Path):
    page = _one([str(pages_dir / "tiny-news.html")])
    assert (page.doc_id, page.kind) == ("tiny-news", "html")
    assert [p.text for p in page.passages] == NEWS_TEXTS
    assert [p.line for p in page.passages] == [None] * 14
    assert [p.tag for p in page.passages] == NEWS_TAGS


def test_html_page_drops_script_style_head_and_images(pages_dir: Path):
    page = _one([str(pages_dir / "tiny-news.html")])
    joined = " ".join(p.text for p in page.passages)
    for gone in ("dataLayer", "tracking ready", "display: flex", "margin", "library.jpg"):
        assert gone not in joined
    # The <title> is head matter, not a passage.
    assert "Library opens late on Fridays | The Fenwick Courier" not in joined


def test_html_page_structure_features(pages_dir: Path):
    page = _one([str(pages_dir / "tiny-news.html")])
    p = page.passages
    # "arts and leisure budget" (23 characters) is linked, in a 97-character paragraph.
    assert p[6].link_density == round(23 / 97, 4) == 0.2371
    assert p[6].link_density > 0
    assert [x.link_density for x in p] == [1.0, 1.0, 0, 0, 0, 0, 0.2371, 0, 0, 0, 0, 1.0, 1.0, 0]
    assert p[0].tag_path == "body>header>nav>ul>li>a"
    assert p[0].class_tokens == "site header site nav main menu"
    assert p[2].tag_path == "body>main>article>h1"
    assert p[2].class_tokens == "story headline"
    assert p[3].class_tokens == "story byline"
    assert p[4].class_tokens == "story"
    assert p[7].tag_path == "body>main>article>figure>figcaption"
    assert p[8].class_tokens == "story opening hours"
    assert p[8].tag_path == "body>main>article>table>tr>td"
    assert p[11].tag_path == "body>main>aside>ul>li>a"
    assert p[11].class_tokens == "related"
    assert p[13].tag_path == "body>footer>p"
    assert p[13].class_tokens == "site footer"


def test_html_page_metadata(pages_dir: Path):
    page = _one([str(pages_dir / "tiny-news.html")])
    # No og:title, so the title is the <h1>, not the <title> with the site name appended.
    assert page.title == NEWS_TITLE
    assert page.source == "The Fenwick Courier"
    assert page.date == "2024-11-03"
    assert page.url is None
    assert page.site == "pages"


def test_jsonl_records(pages_dir: Path):
    path = str(pages_dir / "records.jsonl")
    pages, errors = read_pages([path])
    assert [str(e) for e in errors] == [
        f"{path}:3: not valid JSON (Expecting value at column 1)",
        f"{path}:4: record has no 'text' or 'html' string field",
    ]
    assert [(e.path, e.line) for e in errors] == [(path, 3), (path, 4)]
    assert [(p.doc_id, p.kind, p.source_path) for p in pages] == [
        ("rec-text", "text", path), ("rec-html", "html", path)]
    text, html = pages
    assert [p.line for p in text.passages] == [1, 2, 3, 4, 5, 6]
    assert text.passages[3].text == "By Tamsin Reddaway, 14 March 2025"
    assert (text.title, text.source, text.date, text.url, text.site) == (
        "Gales expected along the west coast as the weekend begins", None, "2025-03-14", None, "pages")
    assert [p.text for p in html.passages] == [
        "Bakery on Mill Lane wins regional bread prize",
        "A family bakery on Mill Lane has won the regional prize for its sourdough, beating more than sixty other "
        "entries.",
        "The judges praised the crust and said the loaf kept well for several days after baking.",
    ]
    assert (html.title, html.date, html.url, html.site) == (
        "Bakery on Mill Lane wins regional bread prize", "2025-02-28",
        "https://www.quayside-post.test/food/bakery-prize", "quayside-post.test")


def test_jsonl_record_errors_inline():
    text = ('[1, 2]\n\n{"text": "no id"}\n{"id": 7, "text": "  "}\n{"id": "png", "html": "\\u0000\\u0001\\u0002PNG"}\n'
            '{"id": "ok", "text": "Rain fell on the harbour."}\n')
    docs = list(ingest.read_jsonl_records("r.jsonl", text))
    assert [str(d) for d in docs] == [
        "r.jsonl:1: record is not a JSON object",
        "r.jsonl:3: record has no 'id' field",
        "r.jsonl:4: record 7 has empty text",
        "r.jsonl:5: record 'png' is binary (NUL or control characters), not text or HTML",
        str(docs[-1]),
    ]
    assert (docs[-1].doc_id, docs[-1].content) == ("ok", "Rain fell on the harbour.")


# -- expansion of folders and globs -----------------------------------------------------------------
def test_expand_folder_glob_and_missing(pages_dir: Path):
    d = str(pages_dir)
    assert ingest.expand([d]) == [f"{d}/records.jsonl", f"{d}/tiny-aggregator.txt", f"{d}/tiny-news.html"]
    assert ingest.expand([f"{d}/*.txt"]) == [f"{d}/tiny-aggregator.txt"]
    assert ingest.expand([f"{d}/**/*.htm*"]) == [f"{d}/tiny-news.html"]
    # Duplicates are dropped (first position kept); a path that matches nothing is kept for the error.
    assert ingest.expand([f"{d}/tiny-news.html", d, "no/such.txt", f"{d}/nothing-*.txt"]) == [
        f"{d}/tiny-news.html", f"{d}/records.jsonl", f"{d}/tiny-aggregator.txt", "no/such.txt"]


def test_expand_folder_recurses_and_skips_unknown_suffixes(tmp_path: Path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ("a.txt", "notes.md", "b/c.htm", "b/deep/d.html.gz", "b/deep/e.jsonl", "b/image.png", "b/x.json"):
        (tmp_path / name).write_bytes(b"x")
    assert ingest.expand([str(tmp_path)]) == [
        str(tmp_path / n) for n in ("a.txt", "b/c.htm", "b/deep/d.html.gz", "b/deep/e.jsonl")]


def test_doc_id_for():
    assert ingest.doc_id_for("a/b.html.gz") == "b"
    assert ingest.doc_id_for("x/Page.HTM") == "Page"
    assert ingest.doc_id_for("x/y.v2.txt") == "y.v2"
    assert ingest.doc_id_for("x/y.dat") == "y"


# -- bad inputs: one error each, and the good inputs still come back --------------------------------
def _read_with_bad(good: tuple[str, str], bad: str, **kw) -> list[str]:
    pages, errors = read_pages([good[0], bad, good[1]], **kw)
    assert [p.doc_id for p in pages] == ["tiny-aggregator", "tiny-news"]
    assert all(isinstance(e, InputError) for e in errors)
    return [str(e) for e in errors]


def test_empty_file(tmp_path: Path, good):
    bad = tmp_path / "x.txt"
    bad.write_bytes(b"")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: empty file"]
    assert str(InputError("x.txt", "empty file")) == "x.txt: empty file"


def test_whitespace_only_file(tmp_path: Path, good):
    bad = tmp_path / "blank.txt"
    bad.write_bytes(b"  \n\t\r\n   \n")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: empty file"]


def test_binary_file(tmp_path: Path, good):
    bad = tmp_path / "photo.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: binary file (contains NUL bytes, the first at byte 8), not text or HTML"]


def test_control_characters_file(tmp_path: Path, good):
    bad = tmp_path / "ctrl.txt"
    bad.write_bytes(b"ab\x01\x02\x03\x04\x05\x06cd\x07\x08\x0e\x0f\x10ef")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: binary data (64.7% control characters), not text or HTML"]


def test_windows_1252_file_decodes(tmp_path: Path, good):
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Le café du port rouvre ses portes\nIt’s “open” again – at last\n".encode("windows-1252"))
    pages, errors = read_pages([good[0], str(legacy), good[1]])
    assert errors == []
    assert [p.doc_id for p in pages] == ["tiny-aggregator", "legacy", "tiny-news"]
    assert [p.text for p in pages[1].passages] == ["Le café du port rouvre ses portes", "It’s “open” again – at last"]


def test_declared_charset_is_used(tmp_path: Path):
    page = tmp_path / "greek.html"
    html = '<html><head><meta charset="iso-8859-7"></head><body><p>Καλημέρα από την Αθήνα</p></body></html>'
    page.write_bytes(html.encode("iso-8859-7"))
    assert [p.text for p in _one([str(page)]).passages] == ["Καλημέρα από την Αθήνα"]


def test_utf16_and_bom_files_decode(tmp_path: Path):
    u16 = tmp_path / "wide.txt"
    u16.write_bytes("Première ligne\nSecond line\n".encode("utf-16"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffFirst line\nZweite Zeile: Grüße\n".encode())
    pages, errors = read_pages([str(u16), str(bom)])
    assert errors == []
    assert [[p.text for p in page.passages] for page in pages] == [
        ["Première ligne", "Second line"], ["First line", "Zweite Zeile: Grüße"]]


def test_undecodable_bytes(tmp_path: Path, good):
    bad = tmp_path / "mojibake.txt"
    bad.write_bytes(b"Headline line\n" + b"\x81\x8d\x8f\x90\x9d" * 20 + b"\nmore text\n")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: cannot decode: not valid utf-8-sig, windows-1252"]


def test_undecodable_bytes_lists_declared_charset(tmp_path: Path):
    bad = tmp_path / "declared.html"
    bad.write_bytes(b'<html><head><meta charset="ascii"></head><body><p>\x81\x8d\x8f</p></body></html>')
    pages, errors = read_pages([str(bad)])
    assert pages == []
    assert [str(e) for e in errors] == [f"{bad}: cannot decode: not valid utf-8-sig, ascii, windows-1252"]


def test_truncated_html(tmp_path: Path, good):
    bad = tmp_path / "cut.html"
    bad.write_text("<html><head><title>Cut</title></head><body><p>Hello, this page stops half way through a",
                   encoding="utf-8")
    assert _read_with_bad(good, str(bad)) == [
        f"{bad}: truncated HTML: ends in the middle of text ('…llo, this page stops half way through a')"]


def test_html_without_text(tmp_path: Path, good):
    bad = tmp_path / "blank.html"
    bad.write_text("<html><body><div> </div><img src='a.png'><p>—</p></body></html>", encoding="utf-8")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: page 'blank' has no text passages"]


def test_file_over_max_bytes(tmp_path: Path, good):
    bad = tmp_path / "huge.txt"
    bad.write_text("word " * 1000, encoding="utf-8")  # 5,000 bytes; the good pages are under 4,000
    assert _read_with_bad(good, str(bad), max_bytes=4000) == [
        f"{bad}: file is 5,000 bytes, over the 4,000-byte limit (ingest.max_bytes)"]


def test_gzip_over_max_bytes_when_unpacked(tmp_path: Path, good):
    bad = tmp_path / "bomb.txt.gz"
    bad.write_bytes(gzip.compress(b"a line of words\n" * 500))  # 8,000 bytes unpacked, far fewer packed
    assert bad.stat().st_size < 4000
    assert _read_with_bad(good, str(bad), max_bytes=4000) == [
        f"{bad}: unpacks to over 4,000 bytes, over the 4,000-byte limit (ingest.max_bytes)"]


def test_missing_path_and_folder_path(tmp_path: Path, good):
    missing = tmp_path / "gone.txt"
    errors = _read_with_bad(good, str(missing))
    assert errors == [f"{missing}: no such file"]
    with pytest.raises(InputError) as exc:
        ingest.read_bytes(str(tmp_path / "sub"))
    assert str(exc.value) == f"{tmp_path / 'sub'}: no such file"
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError) as exc:
        ingest.read_bytes(str(tmp_path / "sub"))
    assert str(exc.value) == f"{tmp_path / 'sub'}: not a regular file"


def test_gzip_good_and_truncated(tmp_path: Path, good, pages_dir: Path):
    packed = gzip.compress((pages_dir / "tiny-aggregator.txt").read_bytes())
    ok = tmp_path / "copy.txt.gz"
    ok.write_bytes(packed)
    page = _one([str(ok)])
    assert (page.doc_id, page.kind, [p.text for p in page.passages]) == ("copy", "text", AGG_TEXTS)
    bad = tmp_path / "cut.txt.gz"
    bad.write_bytes(packed[: len(packed) // 2])
    assert _read_with_bad(good, str(bad)) == [
        f"{bad}: truncated gzip stream (it ends before its end-of-stream marker)"]


def test_unknown_suffix_is_sniffed(tmp_path: Path):
    html = tmp_path / "saved.dat"
    html.write_text("<html><body><p>Sniffed as HTML because of its tags.</p></body></html>", encoding="utf-8")
    text = tmp_path / "plain.dat"
    text.write_text("Just a line of plain text\n", encoding="utf-8")
    pages, errors = read_pages([str(html), str(text)])
    assert errors == []
    assert [(p.doc_id, p.kind, p.passages[0].text) for p in pages] == [
        ("saved", "html", "Sniffed as HTML because of its tags."), ("plain", "text", "Just a line of plain text")]


def test_all_bad_inputs_in_one_call(tmp_path: Path, good):
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "n.txt").write_bytes(b"a\x00b")
    pages, errors = read_pages([str(tmp_path / "e.txt"), good[0], str(tmp_path / "n.txt"), str(tmp_path / "m.txt"),
                                good[1]])
    assert [p.doc_id for p in pages] == ["tiny-aggregator", "tiny-news"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'e.txt'}: empty file",
        f"{tmp_path / 'n.txt'}: binary file (contains NUL bytes, the first at byte 1), not text or HTML",
        f"{tmp_path / 'm.txt'}: no such file",
    ]


# -- the passages CLI --------------------------------------------------------------------------------
def _cli(repo_root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "src.passages", *args], cwd=repo_root, capture_output=True,
                          text=True, timeout=60)


def test_cli_reports_bad_inputs_and_writes_good_pages(repo_root: Path, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cut = tmp_path / "cut.html"
    cut.write_text("<html><body><p>Hello", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    out = tmp_path / "out" / "passages.jsonl"
    agg, news = "tests/fixtures/pages/tiny-aggregator.txt", "tests/fixtures/pages/tiny-news.html"
    proc = _cli(repo_root, agg, str(empty), news, str(cut), str(missing), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: {empty}: empty file",
        f"error: {cut}: truncated HTML: ends in the middle of text ('<p>Hello')",
        f"error: {missing}: no such file",
        f"26 passages from 2 pages written to {out}; 3 inputs failed",
    ]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 26
    assert [(r["doc_id"], r["index"]) for r in records] == (
        [("tiny-aggregator", i) for i in range(12)] + [("tiny-news", i) for i in range(14)])
    assert [r["text"] for r in records] == AGG_TEXTS + NEWS_TEXTS
    first = records[0]
    assert {k: first[k] for k in ("doc_id", "source_path", "index", "line", "text", "title", "source", "date")} == {
        "doc_id": "tiny-aggregator", "source_path": agg, "index": 0, "line": 1, "text": "logo",
        "title": AGG_TITLE, "source": "Coastline Daily", "date": "2025-05-07"}
    last = records[-1]
    assert {k: last[k] for k in ("doc_id", "source_path", "index", "line", "title", "source", "date", "tag")} == {
        "doc_id": "tiny-news", "source_path": news, "index": 13, "line": None, "title": NEWS_TITLE,
        "source": "The Fenwick Courier", "date": "2024-11-03", "tag": "p"}


def test_cli_exit_zero_with_only_good_files(repo_root: Path, tmp_path: Path):
    out = tmp_path / "p.jsonl"
    proc = _cli(repo_root, "tests/fixtures/pages/tiny-*", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"26 passages from 2 pages written to {out}; 0 inputs failed"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 26


# -- dates and bylines ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "iso"), [
    ("2024-11-03T08:15:00Z", "2024-11-03"),
    ("3 November 2024", "2024-11-03"),
    ("Updated 1st Jan 2023", "2023-01-01"),
    ("Nov. 3rd, 2024", "2024-11-03"),
    ("Published March 14, 2025 at 9am", "2025-03-14"),
    ("07/05/2025", "2025-05-07"),  # day first
    ("12/25/2024", "2024-12-25"),  # month first, because 25 cannot be a month
    ("31/02/2024", None),  # no 31 February
    ("no date here", None),
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(("line", "expected"), [
    ("Coastline Daily07-05-2025", ("Coastline Daily", "2025-05-07")),
    ("Independent21-06-2025", ("Independent", "2025-06-21")),
    ("The Harbour Times (Wales)3.4.2025", ("The Harbour Times (Wales)", "2025-04-03")),
    ("Fenwick Courier 14/03/2025", ("Fenwick Courier", "2025-03-14")),
    ("Source 99-99-2025", None),
    ("21-06-2025", None),
    ("Just a normal sentence", None),
])
def test_split_glued_byline(line, expected):
    assert split_glued_byline(line) == expected


# -- robustness (issue 16): whole-text checks, gzip to its end, HTML5 endings, depth, encodings, caps -----------
def test_nul_after_the_first_8_kib_is_binary(tmp_path: Path, good):
    bad = tmp_path / "late-nul.txt"
    bad.write_bytes(b"A line of words.\n" * 600 + b"\x00tail\n")  # 10,200 bytes of text, then a NUL
    assert _read_with_bad(good, str(bad)) == [
        f"{bad}: binary file (contains NUL bytes, the first at byte 10,200), not text or HTML"]


def test_control_characters_late_in_a_long_file(tmp_path: Path, good):
    bad = tmp_path / "late-junk.txt"
    bad.write_bytes(b"A line of words.\n" * 600 + bytes(range(1, 9)) * 200)  # 10,200 text bytes, 1,600 controls
    assert _read_with_bad(good, str(bad)) == [f"{bad}: binary data (13.6% control characters), not text or HTML"]


def test_utf16_without_bom_is_decoded_or_named_as_utf16(tmp_path: Path, good):
    le, be = tmp_path / "wide-le.txt", tmp_path / "wide-be.txt"
    le.write_bytes("Première ligne\nSecond line\n".encode("utf-16-le"))
    be.write_bytes("Première ligne\nSecond line\n".encode("utf-16-be"))
    pages, errors = read_pages([str(le), str(be)])
    assert errors == []
    assert [[p.text for p in page.passages] for page in pages] == [["Première ligne", "Second line"]] * 2
    broken = tmp_path / "broken-le.txt"
    broken.write_bytes(("Une ligne de texte\n" * 5).encode("utf-16-le") + b"\x00\xd8A\x00")  # a lone surrogate
    assert _read_with_bad(good, str(broken)) == [
        f"{broken}: looks like UTF-16-LE without a BOM (by its NUL bytes) but is not valid UTF-16-LE (byte 190)"]


def test_declared_utf8_with_a_few_bad_bytes_is_decoded_with_a_warning(tmp_path: Path):
    page = tmp_path / "damaged.html"
    page.write_bytes(b'<html><head><meta charset="utf-8"></head><body><p>Caf\xe9 reopens on the quay</p>'
                     b"<p>The owner said \xff it was time.</p></body></html>")
    docs = list(ingest.read_path(str(page)))
    assert docs[0].warnings == [
        f"{page}: 2 bytes are not valid UTF-8 (declared utf-8); decoded with U+FFFD in their place"]
    pages, errors = read_pages([str(page)])
    assert errors == []
    assert [p.text for p in pages[0].passages] == ["Caf\ufffd reopens on the quay", "The owner said \ufffd it was time."]
    assert pages[0].extra["warnings"] == docs[0].warnings


def test_a_few_nul_bytes_in_an_html_page_are_dropped_with_a_warning(tmp_path: Path, good):
    # Two real pages (a 69 KB news page, a 20 KB one) carry a stray NUL deep in the HTML; browsers show past it.
    page = tmp_path / "stray-nul.html"
    page.write_bytes(b"<html><body><p>The harbour board met on Tuesday.</p>" + b"<!-- pad -->" * 900
                     + b"<p>It voted to dredge\x00 the channel.</p></body></html>")
    docs = list(ingest.read_path(str(page)))
    assert docs[0].warnings == [f"{page}: 1 NUL byte dropped (the first at byte 10,873), as an HTML parser does"]
    pages, errors = read_pages([str(page)])
    assert errors == []
    assert [p.text for p in pages[0].passages] == ["The harbour board met on Tuesday.", "It voted to dredge the channel."]
    many = tmp_path / "many-nuls.html"  # over MAX_HTML_NUL_SHARE of the page: binary, as before
    many.write_bytes(b"<html><body><p>" + b"ab\x00" * 400 + b"</p></body></html>")
    assert _read_with_bad(good, str(many)) == [
        f"{many}: binary file (contains NUL bytes, the first at byte 17), not text or HTML"]


def test_a_stray_nul_in_a_jsonl_html_record_is_dropped_with_a_warning_naming_its_line(tmp_path: Path):
    html = "<html><body><p>Tide tables</p>" + "<!-- pad -->" * 200 + "<p>Out\u0000 now.</p></body></html>"
    pages = tmp_path / "pages.jsonl"
    pages.write_text(json.dumps({"id": "a", "text": "Plain."}) + "\n" + json.dumps({"id": "b", "html": html}) + "\n")
    docs = list(ingest.read_path(str(pages)))
    assert [d.warnings for d in docs] == [
        [], [f"{pages}:2: 1 NUL character dropped (the first at character 2,436), as an HTML parser does"]]
    assert docs[1].content.endswith("<p>Out now.</p></body></html>")


def test_a_page_without_body_whose_text_libxml2_leaves_in_head_is_read_as_a_browser_reads_it(tmp_path: Path):
    # A real news page opens an unknown element in <head> and never writes <body>: libxml2 keeps everything in
    # <head>, which the walk skips ("no text passages"); HTML5 closes the head at that element and reads on as body.
    page = tmp_path / "no-body.html"
    page.write_text('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"><html><head>'
                    "<title>Ferry timetable changes</title><meta charset=\"utf-8\"><widget><table><tr><td>"
                    "<p>The ferry leaves at nine from Monday.</p><p>Fares stay the same.</p></td></tr></table>"
                    "</widget>\n</html>", encoding="utf-8")
    pages, errors = read_pages([str(page)])
    assert errors == []
    assert [p.text for p in pages[0].passages] == ["The ferry leaves at nine from Monday.", "Fares stay the same."]
    assert pages[0].title == "Ferry timetable changes"


def test_mostly_utf8_without_declaration_and_a_misdeclared_charset(tmp_path: Path):
    damaged = tmp_path / "damaged.txt"
    damaged.write_bytes("Grüße aus Köln – ein Bericht\n".encode() + b"Ein kaputtes Byte: \x81\n")
    misdeclared = tmp_path / "misdeclared.html"
    misdeclared.write_bytes(b'<html><head><meta charset="iso-8859-7"></head><body><p>Caf\xe9 \xd2 open</p>'
                            b"</body></html>")
    docs = [d for p in (damaged, misdeclared) for d in ingest.read_path(str(p))]
    assert [d.warnings for d in docs] == [
        [f"{damaged}: 1 bytes are not valid UTF-8; decoded with U+FFFD in their place"],
        [f"{misdeclared}: declared iso8859-7 but not valid iso8859-7; decoded as windows-1252"]]
    assert docs[0].content.splitlines()[1] == "Ein kaputtes Byte: \ufffd"
    assert "Café Ò open" in docs[1].content


@pytest.mark.parametrize("name", ["page.txt.gz", "page.html.gz", "pages.jsonl.gz"])
def test_truncated_gzip_anywhere_is_an_error(tmp_path: Path, name: str):
    body = {"page.txt.gz": b"Headline of the day\nA body line.\n" * 50,
            "page.html.gz": b"<html><body>" + b"<p>A body paragraph.</p>" * 80 + b"</body></html>",
            "pages.jsonl.gz": b'{"id": "a", "text": "A line."}\n' * 80}[name]
    packed = gzip.compress(body)
    path = tmp_path / name
    for cut in (5, len(packed) // 2, len(packed) - 4, len(packed) - 1):
        path.write_bytes(packed[:cut])
        assert [str(e) for e in ingest.read_path(str(path))] == [
            f"{path}: truncated gzip stream (it ends before its end-of-stream marker)"], cut
    path.write_bytes(packed[:-8] + bytes(b ^ 0xFF for b in packed[-8:-4]) + packed[-4:])  # CRC flipped
    assert [str(e) for e in ingest.read_path(str(path))] == [
        f"{path}: corrupt gzip stream (Error -3 while decompressing data: incorrect data check)"]
    path.write_bytes(packed + gzip.compress(body))  # two members: both are read
    assert len(ingest.read_bytes(str(path))) == 2 * len(body)


def test_html5_page_ending_with_body_and_no_html_close_is_labelled(tmp_path: Path):
    page = tmp_path / "html5.html"
    page.write_text("<!doctype html><html><head><title>T</title></head><body><h1>Ferry timetable changes</h1>"
                    "<p>Boats leave an hour later.</p></body>\n<script>track()</script>\n<!-- served by cache -->\n",
                    encoding="utf-8")
    fragment = tmp_path / "fragment.html"
    fragment.write_text("<div><p>A fragment with omitted tags<p>and a second paragraph</div>", encoding="utf-8")
    pages, errors = read_pages([str(page), str(fragment)])
    assert errors == []
    assert [[p.text for p in pg.passages] for pg in pages] == [
        ["Ferry timetable changes", "Boats leave an hour later."],
        ["A fragment with omitted tags", "and a second paragraph"]]


@pytest.mark.parametrize(("html", "reason"), [
    ("<div><p>Text one.</p><a href=\"https://exa", "ends inside a tag ('<a href=\"https://exa')"),
    ("<p>Text one.</p><!-- a comment that never", "ends inside a comment ('<!-- a comment that never')"),
    ("<div><p>Text one.</p><p>Cut in the mid", "ends in the middle of text ('<p>Cut in the mid')"),
])
def test_cut_html_is_truncated(tmp_path: Path, good, html: str, reason: str):
    bad = tmp_path / "cut.html"
    bad.write_text(html, encoding="utf-8")
    assert _read_with_bad(good, str(bad)) == [f"{bad}: truncated HTML: {reason}"]


@pytest.mark.parametrize(("html", "reason"), [
    ("<html><body><div><p>Text one.</p></div>", "<html> is never closed (no </body> or </html>; it ends '</div>')"),
    ("<body><p>Text one.</p>", "<body> is never closed (no </body> or </html>; it ends '</p>')"),
    # Two real pages end in a whole sentence after their last tag ("... main page."): not cut, just unclosed.
    ("<html><body><p>Text one.</p>\nText one.\n",
     "<html> is never closed (no </body> or </html>; it ends '</p>\\nText one.')"),
    ("<div><p>Text one.</p></div> Text one.",
     "the page ends in text after its last tag (no </body> or </html>; it ends '</div> Text one.')"),
])
def test_html_without_end_tags_is_read_with_a_warning(tmp_path: Path, html: str, reason: str):
    page = tmp_path / "open.html"
    page.write_text(html, encoding="utf-8")
    pages, errors = read_pages([str(page)])
    assert errors == [] and {p.text for p in pages[0].passages} == {"Text one."}
    assert pages[0].extra["warnings"] == [f"{page}: {reason}: read as it is, it may be cut off"]


def test_html_ending_in_white_space_entities_is_not_cut(tmp_path: Path):
    page = tmp_path / "nbsp.html"
    page.write_text("<table><tr><td>Quote of the week.</td></tr></table>\n<br>&nbsp;\n<br>&nbsp;\n", encoding="utf-8")
    pages, errors = read_pages([str(page)])
    assert errors == [] and [p.text for p in pages[0].passages] == ["Quote of the week."]
    assert pages[0].extra.get("warnings", []) == []


def test_deep_nesting_keeps_every_passage(tmp_path: Path):
    paras = [f"<p>Paragraph number {i} of the story.</p>" for i in range(5)]
    deep = ("<html><body><h1>Deep page</h1>" + "<div class='w'>" * 10_000 + paras[0] + "<div>" * 3 + paras[1]
            + "</div>" * 3 + paras[2] + "</div>" * 10_000 + paras[3] + paras[4] + "</body></html>")
    mid = deep.replace("<div class='w'>" * 10_000, "<div>" * 1500).replace("</div>" * 10_000, "</div>" * 1500)
    (tmp_path / "deep.html").write_text(deep, encoding="utf-8")
    (tmp_path / "mid.html").write_text(mid, encoding="utf-8")  # past Python's recursion limit, within lxml's
    pages, errors = read_pages([str(tmp_path / "deep.html"), str(tmp_path / "mid.html")])
    assert errors == []
    want = ["Deep page"] + [f"Paragraph number {i} of the story." for i in range(5)]
    assert [[p.text for p in pg.passages] for pg in pages] == [want, want]
    assert pages[0].extra["warnings"] == [f"{tmp_path / 'deep.html'}: HTML nests elements over 2,048 deep; parsed "
                                          "with its <div> tags read as line breaks"]
    assert pages[1].extra["warnings"] == []
    assert pages[1].passages[1].tag_path == "div>div>div>div>div>p"
    spans = tmp_path / "spans.html"
    spans.write_text("<html><body>" + "<span>" * 3000 + "x" + "</span>" * 3000 + "</body></html>", encoding="utf-8")
    assert [str(e) for e in read_pages([str(spans)])[1]] == [
        f"{spans}: HTML nests elements over 2,048 deep (the parser's limit)"]


def test_body_that_the_parser_puts_inside_noscript_still_yields_passages(tmp_path: Path):
    page = tmp_path / "noscript.html"
    page.write_text("<html><head><noscript><iframe src='https://t.example/ns'></noscript></head><body>"
                    "<noscript><div>Please enable JavaScript</noscript><article><h1>Tram line reopens</h1>"
                    "<p>Trams run again from Monday.</p></article></body></html>", encoding="utf-8")
    assert [p.text for p in _one([str(page)]).passages] == ["Tram line reopens", "Trams run again from Monday."]


def test_long_lines_are_split_at_the_passage_cap(tmp_path: Path):
    from newslabel.ingest.segment import segment

    sentence = "The council met again on Tuesday to talk about the harbour wall. "  # 65 characters
    doc = ingest.RawDoc("long", "long.txt", "text", "Short first line\n" + sentence * 200 + "\n" + "x" * 12_000)
    page = segment(doc, max_chars=1000)
    lengths = [len(p.text) for p in page.passages]
    assert [p.line for p in page.passages] == [1] + [2] * 14 + [3] * 12
    assert lengths[1:15] == [15 * 65 - 1] * 13 + [5 * 65 - 1]  # 15 whole sentences each (the space dropped), then 5
    assert page.passages[1].text == (sentence * 15).strip()
    assert lengths[15:] == [1000] * 12  # no space in the run: cut hard
    assert ingest.limits()["max_passage_chars"] == 5000
    assert max(len(p.text) for p in segment(doc).passages) <= 5000


def test_unsupported_files_in_a_folder_are_listed_as_skipped(tmp_path: Path):
    (tmp_path / "a.txt").write_text("A page line\n", encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "README").write_text("notes", encoding="utf-8")
    skipped: list[str] = []
    assert ingest.expand([str(tmp_path)], skipped=skipped) == [str(tmp_path / "a.txt")]
    reads = "reads .txt, .text, .html, .htm, .jsonl, each optionally .gz"
    assert skipped == [f"{tmp_path / 'README'}: unsupported file type (no suffix); {reads}",
                       f"{tmp_path / 'report.pdf'}: unsupported file type (.pdf); {reads}"]


def test_cli_lists_skipped_files_and_warnings(repo_root: Path, tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes("Grüße aus Köln\nKaputt: \x81\n".encode("latin-1", "ignore")
                                               .replace(b"\xfc", "ü".encode()).replace(b"\xdf", "ß".encode())
                                               .replace(b"\xf6", "ö".encode()))
    (tmp_path / "in" / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    out = tmp_path / "p.jsonl"
    proc = _cli(repo_root, str(tmp_path / "in"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        f"skipped: {tmp_path / 'in' / 'scan.pdf'}: unsupported file type (.pdf); reads .txt, .text, .html, .htm, "
        ".jsonl, each optionally .gz",
        f"warning: {tmp_path / 'in' / 'a.txt'}: 1 bytes are not valid UTF-8; decoded with U+FFFD in their place",
        f"2 passages from 1 pages written to {out}; 0 inputs failed"]
