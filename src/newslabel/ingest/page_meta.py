"""An HTML page's metadata from the tree the segmenter parsed: title, publication date, authors, site name,
canonical URL and language, each with the source that gave it.

Sources, first that answers wins: the page's JSON-LD article (`structured.jsonld_article`), then its OpenGraph and
`<meta>` tags, then microdata (`itemprop`), then for a date still missing htmldate in fast mode (it reads the URL,
`<time>`, visible bylines, ...). A date is the publication day (yyyy-mm-dd), never a modification date, and none
before MIN_DATE or after today is kept (a candidate out of range passes to the next source).

>>> from lxml import html
>>> root = html.document_fromstring('<html lang="en"><head><meta property="og:site_name" content="Norvale Post">'
...     '<meta property="article:published_time" content="2025-11-04T09:30:00+00:00">'
...     '<meta property="article:modified_time" content="2025-11-05T10:00:00+00:00">'
...     '<meta name="author" content="By Ada Quill"><title>Seawall | Norvale Post</title></head>'
...     '<body><h1>Seawall repairs approved</h1></body></html>')
>>> meta = html_page_metadata(root, texts=["Seawall repairs approved"])
>>> [meta[k] for k in ("date", "author", "site_name", "language")]
['2025-11-04', ['Ada Quill'], 'Norvale Post', 'en']
>>> meta["sources"]["date"], meta["sources"]["author"]
('meta', 'meta')
"""

from __future__ import annotations

import logging
import re
from datetime import date
from urllib.parse import urljoin, urlparse

from newslabel.ingest.authors import clean_authors, last_first
from newslabel.ingest.language import page_language
from newslabel.ingest.metadata import parse_date, text_authors
from newslabel.ingest.structured import byline_texts, itemprop_values, jsonld_article, meta_tags
from newslabel.ingest.text import normalise_space

MIN_DATE = date(1990, 1, 1)  # the floor: an earlier "publication date" is a placeholder or a misread
FIELDS = ("title", "date", "author", "site_name", "url", "language")
# <meta> keys of a publication date / author / site name, in the order they are trusted.
DATE_KEYS = ("article:published_time", "og:article:published_time", "og:published_time", "datepublished",
             "article.published", "published_time", "publishdate", "publish-date", "publish_date", "pubdate",
             "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date",
             "citation_publication_date", "citation_date", "date", "rnews:datepublished")
AUTHOR_KEYS = ("author", "article:author", "og:article:author", "parsely-author", "sailthru.author", "dc.creator",
               "dcterms.creator", "byl", "citation_author")
SITE_KEYS = ("og:site_name", "application-name", "publisher", "apple-mobile-web-app-title")
BYLINE_WINDOW = 80  # passages from the top searched for a dated line or a "By ..." line
MAX_BYLINE_WORDS = 12  # a longer line is prose, not a byline
SITE_SUFFIX_WORDS = 4  # a title's trailing segment this short is the site's name or a section, not the headline
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
TITLE_KEYS = ("og:title", "twitter:title")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/_-](\d{1,2})[/_-](\d{1,2})(?=[/_.-]|$)")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGE_KEYS = ("content-language", "og:locale", "language", "dc.language")


def html_page_metadata(root, url: str | None = None, texts: list[str] | None = None) -> dict:
    """{title, date, author, site_name, url, language, sources, page_title}; `title` is the headline (a title tag's
    site suffix cut, `strip_site_suffix`), `page_title` the title as found, which the role model reads; `url` is the caller's (a base for a relative
    canonical link), `texts` the page's passages (for the language and the title's fallback)."""
    ld, tags = jsonld_article(root), meta_tags(root)
    found: dict[str, tuple] = {}
    found["title"] = _first(("meta", _tag(tags, TITLE_KEYS)), ("h1", lambda: _h1(root)), ("title", lambda: _title(root)))
    found["date"] = _date(root, ld, tags, texts or [], url)
    found["author"] = _authors(root, ld, tags, texts or [])
    found["site_name"] = _first(("json-ld", ld.get("site_name")), ("meta", _tag(tags, SITE_KEYS)))
    canonical, og_url = _absolute(_canonical(root), url), _absolute(_tag(tags, ("og:url",)), url)
    found["url"] = _first(("canonical", canonical), ("meta", og_url), ("json-ld", _absolute(ld.get("url"), url)))
    declared = root.get("lang") or root.get(_XML_LANG) or _tag(tags, LANGUAGE_KEYS)
    found["language"] = page_language(texts or [], declared)[::-1]  # (language, source) -> (source, language)
    out = {f: found[f][1] for f in FIELDS}
    out["author"] = out["author"] or []
    # The page's own title as the models read it (page.title), and the headline the output shows.
    out["page_title"] = out["title"]
    out["title"] = out["title"] if found["title"][0] == "h1" else strip_site_suffix(out["title"])
    # The site key's URL as the segmenter has always taken it (og:url before the canonical link), so that the
    # template features the role model learnt per site keep their keys.
    out["site_url"] = og_url or canonical
    out["sources"] = {f: found[f][0] for f in FIELDS if found[f][0]}
    return out


def _date(root, ld: dict, tags: dict, texts: list[str], url: str | None) -> tuple:
    """(source, day): a full date in the URL's path (the day the CMS filed it under, in the site's own time zone;
    right on 33 of 34 wcxb-dev pages that have one), JSON-LD, <meta>, microdata, a short dated line near the top
    (a visible byline), htmldate."""
    found = _first(("url", url_day(url)),
                   ("json-ld", _day(ld.get("date"))), ("meta", _first_day(tags.get(k) for k in DATE_KEYS)),
                   ("microdata", lambda: _first_day([itemprop_values(root, "datePublished")])),
                   ("byline", lambda: _first_day([[t for t in texts[:BYLINE_WINDOW]
                                                    if len(t.split()) <= MAX_BYLINE_WORDS]])),
                   ("htmldate", lambda: _htmldate(root, url)))
    return found


def _authors(root, ld: dict, tags: dict, texts: list[str]) -> tuple:
    """(source, names): JSON-LD, <meta> (citations' "Last, First" turned round), the first microdata author,
    the first byline-like element that names someone, a "By ..." line near the top."""
    found = _first(("json-ld", clean_authors(ld.get("author") or [])),
                   ("meta", next((a for k in AUTHOR_KEYS if (a := clean_authors(_names_of(k, tags.get(k, []))))), [])),
                   ("microdata", lambda: clean_authors(itemprop_values(root, "author")[:1])),
                   ("byline", lambda: next((a for t in byline_texts(root) if (a := clean_authors([t]))), [])),
                   ("byline", lambda: text_authors(texts, BYLINE_WINDOW, MAX_BYLINE_WORDS)))
    return found


def _names_of(key: str, values: list[str]) -> list[str]:
    return [last_first(v) for v in values] if key == "citation_author" else values


def _first(*candidates: tuple) -> tuple:
    """The first (source, value) whose value is not empty, a callable value called only when reached (the
    costlier sources run on the pages the cheaper ones left without an answer); (None, None) when none is."""
    for source, value in candidates:
        value = value() if callable(value) else value
        if value:
            return source, value
    return None, None


def strip_site_suffix(title: str | None) -> str | None:
    """A page title without the short segments (SITE_SUFFIX_WORDS words or fewer) that follow its headline after
    " | ", " - ", " – " or " — ": the site's name, a section. A headline of several segments keeps the long ones.

    >>> strip_site_suffix("Seawall repairs approved | Local News | Norvale Post")
    'Seawall repairs approved'
    >>> strip_site_suffix("Storm - what the council decided on the seawall - Norvale Post")
    'Storm - what the council decided on the seawall'
    """
    if not title:
        return title
    parts = _TITLE_SEPARATOR.split(title)
    while len(parts) > 1 and len(parts[-1].split()) <= SITE_SUFFIX_WORDS:
        parts.pop()
    return " - ".join(parts)


def _tag(tags: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    return next((tags[k][0] for k in keys if k in tags), None)


def _h1(root) -> str | None:
    h1 = next(root.iter("h1"), None)
    return normalise_space(h1.text_content()) or None if h1 is not None else None


def _title(root) -> str | None:
    el = next(root.iter("title"), None)
    return normalise_space(el.text_content()) or None if el is not None else None


def _canonical(root) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            return link.get("href").strip()
    return None


def _absolute(href: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL: `href` as it is, or joined to `base`; None when neither makes one."""
    if not href:
        return None
    joined = urljoin(base, href) if base else href
    return joined if joined.lower().startswith(("http://", "https://")) else None


def _day(value: str | None) -> str | None:
    """A date string -> yyyy-mm-dd when it is a real day between MIN_DATE and today, else None.

    >>> _day("2025-11-04T23:30:00-05:00"), _day("4 November 2025"), _day("1970-01-01"), _day("2999-01-01")
    ('2025-11-04', '2025-11-04', None, None)
    """
    day = parse_date(value) if value else None
    return day if day and MIN_DATE.isoformat() <= day <= date.today().isoformat() else None


def url_day(url: str | None) -> str | None:
    """The yyyy-mm-dd of a year/month/day run in a URL's path, when it is a real day in range.

    >>> url_day("https://norvale.example/2025/12/18/seawall"), url_day("https://x.example/news/2025-03-07-storm")
    ('2025-12-18', '2025-03-07')
    >>> url_day("https://x.example/2025/12/top-10"), url_day("https://x.example/a/1999/13/40/b"), url_day(None)
    (None, None, None)
    """
    m = _URL_DATE.search(urlparse(url).path) if url else None
    return _day(f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}") if m else None


def _first_day(groups) -> str | None:
    return next((d for values in groups if values for v in values if (d := _day(v))), None)


def _htmldate(root, url: str | None) -> str | None:
    """htmldate's publication date in fast mode (`original_date`, no extensive search), within the date range.

    It copies the tree before it prunes it, so the segmenter's tree is left as it was."""
    from htmldate import find_date

    logging.getLogger("htmldate").setLevel(logging.ERROR)  # it logs every unparsable candidate at WARNING
    try:
        found = find_date(root, url=url, extensive_search=False, original_date=True, min_date=MIN_DATE.isoformat(),
                          max_date=date.today().isoformat())
    except (ValueError, TypeError):  # a malformed page htmldate cannot read: no date rather than no page
        return None
    return _day(found)
