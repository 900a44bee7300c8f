"""Which passages carry news text, and how related teasers group into stories.

Topic, stance and bias mean something only for news text. A teaser block ("Related Articles") mixes
story headlines and summaries with lines that carry none: source names (`The Independent`,
`• Daily Mail`), times (`time2 hours ago`), bullets and section headers. `carries_news` tells them
apart by their own text, `news_mask` also by the page around them (source names); `teaser_stories` groups the news lines of a teaser block into stories (a headline, its repeats
and its summary), so that each story gets one topic and one stance.

>>> [carries_news(t) for t in ["The Independent", "• Daily Mail", "time2 hours ago", "Related Articles",
...                             "Clear frontrunner emerges to succeed the mayor", "Rain fell."]]
[False, False, False, False, True, True]
>>> summary = "The storm struck at dawn, flooding homes along the shore, cutting power to " + "many more " * 8 + "homes."
>>> teaser_stories(["Storm hits coast", "Storm hits coast", "Storm hits coast", summary, "Mayor quits", "Council row grows"])
[[0, 1, 2, 3], [4], [5]]
"""

from __future__ import annotations

import re

from newslabel.ingest.metadata import AUTHOR_LINE
from newslabel.labels.context import norm_line
from newslabel.labels.rules import RELATED_HEADER, RELATIVE_TIME, TIMESTAMP, WIDGET
from newslabel.types import Page

BULLET = re.compile(r"^[\s•·◦▪●■\-–—*|>»]+")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_LINE = re.compile(rf"^(\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|(updated|published)\b.*|"
                       rf"\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})$", re.I)
SECTION_TIME = re.compile(r"^[\w&' ]{1,25},\s*(?P<time>.+)$")  # "World, 1 hour ago"
_AGO = re.compile(r"^(\d+\s*(s|m|h|d|min|mins|minutes?|hrs?|hours?|days?|weeks?)\s+ago|yesterday|just now)$", re.I)
MIN_NEWS_WORDS = 3        # "The Independent", "Daily Mail": shorter than a headline
SOURCE_MAX_WORDS = 6      # a bulleted line this short, or its bare twin, or a short neighbour of a time, is a source
SUMMARY_MIN_WORDS = 25    # a teaser line this long is a story's summary, not a headline


def carries_news(text: str) -> bool:
    """False for source names, times, dates, bullets, widget words and section headers; else True.

    A line is news text when, bullets stripped, it has at least MIN_NEWS_WORDS words and is none of
    the above. One short sentence that ends like one ("Rain fell.") is news too.
    """
    core = BULLET.sub("", text).strip()
    if not core or RELATED_HEADER.match(core) or RELATIVE_TIME.match(core) or TIMESTAMP.match(core):
        return False
    if DATE_LINE.match(core) or WIDGET.match(core):
        return False
    section = SECTION_TIME.match(core)
    if section and (_AGO.match(section["time"].strip()) or DATE_LINE.match(section["time"].strip())):
        return False
    words = re.findall(r"\w+", core)
    return len(words) >= MIN_NEWS_WORDS or (len(words) >= 2 and core[-1] in ".!?")


def news_mask(texts: list[str]) -> list[bool]:
    """`carries_news` of each line, less the page's source names: a short line that the page also shows
    with a bullet (`• The Western Wire`), the bulleted line itself, and a short name-like line next to a time.

    >>> news_mask(["Ferry route closes for two days", "The Western Wire", "time4 hours ago", "• The Western Wire",
    ...            "Ferry route closes for two days"])
    [True, False, False, False, True]
    """
    def short(t: str) -> bool:
        return len(re.findall(r"\w+", t)) <= SOURCE_MAX_WORDS

    bulleted = {norm_line(BULLET.sub("", t)) for t in texts if BULLET.match(t) and short(t)}
    timed = [bool(RELATIVE_TIME.match(BULLET.sub("", t).strip())) for t in texts]
    out = []
    for i, text in enumerate(texts):
        near_time = (i > 0 and timed[i - 1]) or (i + 1 < len(texts) and timed[i + 1])
        source = short(text) and (norm_line(BULLET.sub("", text)) in bulleted or near_time and _name_like(text))
        out.append(carries_news(text) and not source)
    return out


def _name_like(text: str) -> bool:
    """Every longer word capitalised, as in a name ("Midland Trade Post"), unlike most headlines."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 3]
    return bool(words) and all(w[0].isupper() for w in words)


def teaser_stories(texts: list[str]) -> list[list[int]]:
    """Consecutive teaser lines (news text only) -> stories, as lists of positions in `texts`.

    A short line (a headline) opens a story unless it repeats the open story's headline; a long line
    (a summary) joins the open story, or opens one when there is none.
    """
    stories: list[list[int]] = []
    headline = None
    for i, text in enumerate(texts):
        long = len(text.split()) >= SUMMARY_MIN_WORDS
        key = norm_line(text)
        if long and stories:
            stories[-1].append(i)
        elif not long and stories and key == headline:
            stories[-1].append(i)
        else:
            stories.append([i])
            headline = None if long else key
    return stories


def page_stories(roles: list[str | None], texts: list[str]) -> tuple[list[int], list[list[int]]]:
    """(the body's news passages, the teaser stories) of a page, as passage positions.

    Teaser blocks are runs of `related` passages; lines that carry no news text inside a run neither
    break it nor join a story.

    >>> page_stories(["title", "body", "related", "related", "related", "chrome"],
    ...              ["Storm hits coast", "The storm struck.", "Related Articles", "Mayor quits over row", "time2 hours ago"
    ...               , "logo"])
    ([1], [[3]])
    """
    news = news_mask(texts)
    body = [i for i, r in enumerate(roles) if r == "body" and news[i]]
    stories: list[list[int]] = []
    run: list[int] = []
    for i, role in enumerate([*roles, None]):
        if role == "related":
            if news[i]:
                run.append(i)
            continue
        if run:
            stories += [[run[k] for k in story] for story in teaser_stories([texts[j] for j in run])]
            run = []
    return body, stories


def story_text(texts: list[str], positions: list[int]) -> str:
    """A story's lines joined once each (a teaser headline is often repeated)."""
    seen = dict.fromkeys(texts[i] for i in positions)
    return "\n".join(seen)


def stance_contexts(roles: list[str | None], texts: list[str]) -> list[str | None]:
    """What each passage's stance is read in: the whole body for a body passage, its story for a teaser line."""
    body, stories = page_stories(roles, texts)
    out: list[str | None] = [None] * len(texts)
    body_text = story_text(texts, body)
    for i in body:
        out[i] = body_text
    for story in stories:
        for i in story:
            out[i] = story_text(texts, story)
    return out


def page_title(page: Page, rows: list[dict]) -> str | None:
    """The headline stance is read against. HTML: the page's own (og:title, <title>), else the passage the role
    model is surest is the title; text dumps the other way round, since their heuristic title is a guess."""
    candidates = [r for r in rows if r["role"] == "title" and not AUTHOR_LINE.match(r["text"])]
    predicted = max(candidates, key=lambda r: r["role_score"], default=None)
    guess = predicted["text"] if predicted else None
    return (page.title or guess) if page.kind == "html" else (guess or page.title)
