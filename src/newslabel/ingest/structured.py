"""What a page says about itself in markup: its JSON-LD article and its `<meta>` tags, read from the parsed tree.

`jsonld_article(root)` is the page's schema.org article (`NewsArticle`, `Article`, `BlogPosting`, ... found in any
`<script type="application/ld+json">` block, inside `@graph` or a list; a block that is not JSON is ignored) as
the fields newslabel keeps; `meta_tags(root)` every `<meta>` tag's content by its lower-cased
property/name/itemprop (the first non-empty one a key).

>>> from lxml import html
>>> root = html.document_fromstring('<html><head><script type="application/ld+json">{"@graph": [{"@type": '
...     '"WebSite", "name": "Site"}, {"@type": "NewsArticle", "headline": "Dam opens", "datePublished": '
...     '"2025-03-01T08:00:00Z", "author": [{"@type": "Person", "name": "Ada Quill"}, "Bo Lark"], '
...     '"publisher": {"name": "Norvale Post"}}]}</script></head><body><p>x</p></body></html>')
>>> jsonld_article(root)
{'date': '2025-03-01T08:00:00Z', 'author': ['Ada Quill', 'Bo Lark'], 'site_name': 'Norvale Post', 'title': 'Dam opens', 'url': None}
"""

from __future__ import annotations

import json
import re

from newslabel.ingest.text import normalise_space

# schema.org types whose datePublished/author are an article's (lower-cased, prefix and namespace dropped).
ARTICLE_TYPES = frozenset(
    "article newsarticle blogposting reportagenewsarticle analysisnewsarticle opinionnewsarticle reviewnewsarticle "
    "backgroundnewsarticle askpublicnewsarticle liveblogposting techarticle scholarlyarticle report "
    "socialmediaposting discussionforumposting medicalscholarlyarticle satiricalarticle advertisertcontentarticle "
    "review recipe howto".split()
)
# Pages that are not articles, whose dates are a last resort: a WebPage's datePublished is often its own.
PAGE_TYPES = frozenset("webpage itempage collectionpage aboutpage faqpage qapage profilepage".split())
_JSON_JUNK = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>|;)\s*$")


def jsonld_objects(root) -> list[dict]:
    """Every object of the page's JSON-LD blocks, `@graph` members and list items flattened, in page order."""
    out: list[dict] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        data = _loads(script.text)
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list | dict):
                    stack[:0] = graph if isinstance(graph, list) else [graph]
    return out


def _loads(text: str):
    """A JSON-LD block's data; None for one that is not JSON (HTML comment or CDATA wrappers are tolerated)."""
    for attempt in (text, _JSON_JUNK.sub("", text.strip())):
        try:
            return json.loads(attempt, strict=False)  # strict=False: raw newlines inside strings are common
        except ValueError:
            continue
    return None


def _types(obj: dict) -> set[str]:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {re.split(r"[/:#]", k)[-1].lower() for k in kinds if isinstance(k, str)}


def jsonld_article(root) -> dict:
    """{date, author, site_name, title, url} from the page's JSON-LD article (a WebPage's date as a last resort);
    {} when the page has none."""
    objects = jsonld_objects(root)
    if not objects:
        return {}
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    article = next((o for o in objects if _types(o) & ARTICLE_TYPES), None)
    page = next((o for o in objects if _types(o) & PAGE_TYPES and o.get("datePublished")), None)
    main = article or page
    if main is None:
        return {}
    publisher = _resolve(main.get("publisher"), by_id)
    site = next((o for o in objects if "website" in _types(o)), None)
    return {
        "date": _text(main.get("datePublished")) or _text(main.get("dateCreated")),
        "author": names(main.get("author"), by_id) if article else [],
        "site_name": _name(publisher) or (_name(site) if site else None),
        "title": _text(main.get("headline")) if article else None,
        "url": _text(main.get("url")) if article else None,
    }


def _resolve(value, by_id: dict):
    """A `{"@id": ...}` reference replaced by the object it names elsewhere on the page."""
    if isinstance(value, list):
        return [_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    return value


def names(value, by_id: dict | None = None) -> list[str]:
    """The names in a JSON-LD `author`: strings, Person/Organization objects, lists, references; raw, in order.

    >>> names([{"@type": "Person", "name": "Ada Quill"}, "Bo Lark", {"@id": "#c"}], {"#c": {"name": "Cy Moss"}})
    ['Ada Quill', 'Bo Lark', 'Cy Moss']
    """
    value = _resolve(value, by_id or {})
    if isinstance(value, list):
        return [n for v in value for n in names(v, by_id)]
    name = _name(value) if isinstance(value, dict) else _text(value)
    return [name] if name else []


def _name(obj) -> str | None:
    if not isinstance(obj, dict):
        return _text(obj)
    name = obj.get("name")
    if isinstance(name, list):
        name = next((n for n in name if isinstance(n, str)), None)
    if isinstance(name, dict):
        name = name.get("@value")
    return _text(name) or _text(" ".join(x for x in (obj.get("givenName"), obj.get("familyName")) if isinstance(x, str)))


def _text(value) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("@id")
    return normalise_space(value) or None if isinstance(value, str) else None


def meta_tags(root) -> dict[str, list[str]]:
    """Each `<meta>` key (property, name or itemprop, lower-cased) -> its non-empty contents, in page order.

    >>> from lxml import html
    >>> meta_tags(html.document_fromstring('<meta property="og:title" content=" A  title "><meta name="author" '
    ...     'content="Ada"><meta name="author" content="Bo"><p>x</p>'))
    {'og:title': ['A title'], 'author': ['Ada', 'Bo']}
    """
    out: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        content = normalise_space(el.get("content") or "")
        key = el.get("property") or el.get("name") or el.get("itemprop")
        if content and key:
            out.setdefault(key.strip().lower(), []).append(content)
    return out


def itemprop_values(root, prop: str) -> list[str]:
    """Microdata: the values of the elements with `itemprop=prop` (a `datetime`/`content` attribute, else the text).

    >>> from lxml import html
    >>> itemprop_values(html.document_fromstring('<p><time itemprop="datePublished" datetime="2025-01-02">Jan 2'
    ...     '</time> <span itemprop="author"><span itemprop="name">Ada Quill</span></span></p>'), "author")
    ['Ada Quill']
    """
    out = []
    for el in root.xpath(f'//*[@itemprop="{prop}"]'):
        if el.tag == "meta":
            continue  # read by meta_tags
        named = el.xpath('.//*[@itemprop="name"]')
        value = el.get("datetime") or el.get("content") or (named[0] if named else el).text_content()
        value = normalise_space(value)
        if value:
            out.append(value)
    return out


# Elements that carry a visible byline's name: a rel=author link, then class/id names used for bylines.
BYLINE_XPATH = ('//*[@rel="author" or contains(@class, "author") or contains(@class, "byline") '
                'or contains(@class, "Author") or contains(@id, "author")]')
MAX_BYLINE_ELEMENTS = 20  # the first ones are the article's; later ones are comments' and teasers'


def byline_texts(root) -> list[str]:
    """The texts of the page's first byline-like elements (a `rel=author` link, class or id naming an author or
    a byline), in page order: candidates for `authors.clean_authors`, which drops what is not a name."""
    out = []
    for el in root.xpath(BYLINE_XPATH)[:MAX_BYLINE_ELEMENTS]:
        text = normalise_space(el.text_content())
        if text:
            out.append(text)
    return out
