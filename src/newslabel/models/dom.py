"""A page's DOM as numbers: each passage aligned to its element, with depth, link density, container shares
and position features (and, as an option, trafilatura's own decision)."""

from __future__ import annotations

import gzip
import math
import re
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
from lxml import etree
from lxml import html as lxml_html

from newslabel.ingest import html as ingest_html
from newslabel.ingest import peers
from newslabel.ingest.html import BlockWalker
from newslabel.ingest.text import ENDS_WITH_MARK
from newslabel.labels.context import window_mean
from newslabel.models.role_context import WINDOW
from newslabel.models.vocab import CLASS_HINTS, TAGS

# The webextract README's skip list: the segmenter's, except that it keeps the text of <button>.
SKIP_TAGS = ingest_html.SKIP_TAGS - {"button"}
_WS = re.compile(r"[\s\u00a0]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_CLASS_TOKEN = re.compile(r"[a-z]+")
_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
PROSE_MIN_TOKENS = 10
MAIN_SHARES = (0.5, 0.8, 0.95)  # main containers: the deepest elements with more than these shares of the prose
ANCESTOR_LEVELS = 4  # trafilatura's share of the text of the passage's ancestors, 1 to this many levels up
TRAFILATURA_MODES = tuple(peers.TRAFILATURA_MODES)  # ("precision", "default", "recall")
FEATURE_NAMES: list[str] = [
    "has_html", "matched", "log_depth", "link_density", "prose",
    "in_main", "main_depth_gap", "before_main", "after_main", "in_best", "best_depth_gap",
    *[f"in_main_{int(100 * share)}" for share in MAIN_SHARES[1:]],
    "parent_prose_share", "parent_prose_density", "parent_link_density", "parent_log_lines",
    "grand_prose_share", "grand_prose_density", "grand_link_density",
    "main_prose_density", "page_log_prose_lines",
    *[f"tag_{t}" for t in TAGS], "tag_other",
    *[f"hint_{h}" for h in CLASS_HINTS],
    *[f"traf_{m}" for m in TRAFILATURA_MODES], *[f"traf_{m}_body" for m in TRAFILATURA_MODES],
    *[f"traf_{m}_window" for m in TRAFILATURA_MODES], "traf_page_share", "traf_in_main",
    *[f"traf_{m}_up{k}" for m in ("precision", "recall") for k in range(1, ANCESTOR_LEVELS + 1)],
]


def _norm(text: str) -> str:
    return _WS.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


def _key(text: str) -> str:
    return _norm(text).casefold()


class _Dom(BlockWalker):
    """The page's text dump: lines with the chain of elements above them, and per-element sizes."""

    skip_tags = SKIP_TAGS
    root_state = ()

    def __init__(self, html: str):
        super().__init__()
        self.parent: list[int] = []
        self.tag: list[str] = []
        self.tokens: list[tuple[str, ...]] = []
        self.lines: list[dict] = []
        self.hint_cache: dict[tuple[int, ...], tuple[str, list[float]]] = {}
        try:
            root = lxml_html.document_fromstring(html.encode("utf-8"), parser=_PARSER)
        except (etree.ParserError, ValueError):
            return
        self.run(root)

    @staticmethod
    def normalise(text: str) -> str:
        return _norm(text)

    def enter(self, el, tag: str, chain: tuple[int, ...]) -> tuple[int, ...]:
        """Registers the element; its state is the chain of element ids from the root down to it."""
        self.parent.append(chain[-1] if chain else -1)
        self.tag.append(tag)
        self.tokens.append(tuple(_CLASS_TOKEN.findall(f"{el.get('class', '')} {el.get('id', '')}".lower())))
        return chain + (len(self.tag) - 1,)

    def emit(self, text: str, chain, link_density: float) -> None:
        self.lines.append({"text": text, "chain": chain, "link": link_density})


def text_dump(html: str) -> str:
    """The page's browser-like text dump: a line per block element, inline elements joined, hidden ones left out
    (what a user gets by selecting a page's text and copying it).

    >>> text_dump("<html><body><nav><a href='/'>Home</a></nav><p>Rain <b>fell</b> today.</p><script>x</script>")
    'Home\\nRain fell today.'
    """
    return "\n".join(line["text"] for line in _Dom(html).lines)


def _align(texts: list[str], lines: list[dict]) -> list[int | None]:
    """Each passage's line in the dump (None when it has no counterpart), by an order-preserving match."""
    a, b = [_key(t) for t in texts], [ln["text"].casefold() for ln in lines]
    out: list[int | None] = [None] * len(a)
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            out[block.a + k] = block.b + k
    # A passage cut differently from the dump: the line that contains it, searching forward from the last match.
    last = 0
    for i, j in enumerate(out):
        if j is not None:
            last = j
            continue
        for jj in range(last, min(len(b), last + 50)):
            if a[i] and a[i] in b[jj]:
                out[i] = last = jj
                break
    return out


def _prose(line: dict) -> bool:
    toks = line["text"].split()
    return len(toks) >= PROSE_MIN_TOKENS and bool(ENDS_WITH_MARK.search(line["text"])) and line["link"] < 0.5


class _Layout:
    """Per-element sizes of a page's dump: characters, prose characters, link characters, lines, depth."""

    def __init__(self, dom: _Dom):
        n_el = len(dom.tag)
        self.chars, self.prose, self.link, self.lines = (np.zeros(n_el) for _ in range(4))
        self.prose_lines = [_prose(ln) for ln in dom.lines]
        best_score: dict[int, float] = defaultdict(float)
        for ln, is_prose in zip(dom.lines, self.prose_lines):
            c = len(ln["text"])
            for e in ln["chain"]:
                self.chars[e] += c
                self.link[e] += c * ln["link"]
                self.lines[e] += 1
                if is_prose:
                    self.prose[e] += c
            if is_prose and len(ln["chain"]) >= 2:  # readability-style: a paragraph scores its parent and grandparent
                best_score[ln["chain"][-2]] += c
                if len(ln["chain"]) >= 3:
                    best_score[ln["chain"][-3]] += c / 2
        self.page_prose = self.prose[0] if n_el and self.prose[0] > 0 else 1.0
        self.depth = np.zeros(n_el, dtype=int)
        for e in range(1, n_el):
            self.depth[e] = self.depth[dom.parent[e]] + 1 if dom.parent[e] >= 0 else 0
        # Main containers: the deepest element with more than each share of the page's prose (one chain each).
        self.main = []
        for share in MAIN_SHARES:
            candidates = [e for e in range(n_el) if self.prose[e] > share * self.page_prose]
            self.main.append(max(candidates, key=lambda e: self.depth[e]) if candidates else 0)
        self.best = max(best_score, key=best_score.get) if best_score else 0
        inside = [j for j, ln in enumerate(dom.lines) if self.main[0] in ln["chain"]]
        self.main_span = (inside[0], inside[-1]) if inside else (0, len(dom.lines) - 1)

    def ratios(self, e: int) -> tuple[float, float, float]:
        """(share of the page's prose, prose density, link density) of an element."""
        c = self.chars[e]
        return self.prose[e] / self.page_prose, self.prose[e] / c if c else 0.0, self.link[e] / c if c else 0.0


def _dom_row(f: np.ndarray, j: int, dom: _Dom, lay: _Layout) -> str:
    """Fill one passage's DOM features (f: its row) from its line j; returns its ancestors' class/id tokens."""
    ln = dom.lines[j]
    chain = ln["chain"]
    parent = chain[-2] if len(chain) >= 2 else chain[-1]
    grand = chain[-3] if len(chain) >= 3 else parent
    main, best = lay.main[0], lay.best

    def gap(e: int) -> float:
        return math.log1p(max(0, len(chain) - 1 - lay.depth[e])) if e in chain else 0.0

    f[FEATURE_NAMES.index("matched"):FEATURE_NAMES.index("in_main_80")] = [
        1.0, math.log1p(len(chain)), ln["link"], float(lay.prose_lines[j]),
        float(main in chain), gap(main), float(j < lay.main_span[0]), float(j > lay.main_span[1]),
        float(best in chain), gap(best),
    ]
    f[FEATURE_NAMES.index("in_main_80"):FEATURE_NAMES.index("parent_prose_share")] = [
        float(m in chain) for m in lay.main[1:]]
    mc = lay.chars[main]
    f[FEATURE_NAMES.index("parent_prose_share"):FEATURE_NAMES.index("tag_p")] = [
        *lay.ratios(parent), math.log1p(lay.lines[parent]), *lay.ratios(grand),
        lay.prose[main] / mc if mc else 0.0, math.log1p(sum(lay.prose_lines)),
    ]
    tag = dom.tag[chain[-1]]
    f[FEATURE_NAMES.index(f"tag_{tag}") if tag in TAGS else FEATURE_NAMES.index("tag_other")] = 1.0
    key = chain[-12:]
    if key not in dom.hint_cache:
        toks = [tok for e in key for tok in dom.tokens[e]]
        tokset, joined = set(toks), " ".join(toks)
        dom.hint_cache[key] = (joined, [float(h in tokset or (len(h) >= 4 and h in joined)) for h in CLASS_HINTS])
    joined, flags = dom.hint_cache[key]
    hint0 = FEATURE_NAMES.index(f"hint_{CLASS_HINTS[0]}")
    f[hint0:hint0 + len(CLASS_HINTS)] = flags
    return joined


def page_features(texts: list[str], html: str | None, dom: bool = True, trafilatura: bool = True,
                  modes: tuple[str, ...] = TRAFILATURA_MODES) -> tuple[np.ndarray, list[str]]:
    """(n x len(FEATURE_NAMES)) features of a page's passages, and each passage's ancestor class/id tokens;
    trafilatura's columns for the modes not in `modes` stay 0."""
    n = len(texts)
    out = np.zeros((n, len(FEATURE_NAMES)))
    tokens = [""] * n
    if not html or not n:
        return out, tokens
    out[:, 0] = 1.0
    page = _Dom(html)
    lay = _Layout(page) if page.lines else None
    where = _align(texts, page.lines) if page.lines else [None] * n
    if dom and lay is not None:
        for i, j in enumerate(where):
            if j is not None and page.lines[j]["chain"]:
                tokens[i] = _dom_row(out[i], j, page, lay)
    if trafilatura:
        _trafilatura_block(out, texts, html, page, where, modes)
    return out, tokens


def trafilatura_column(name: str, modes: tuple[str, ...]) -> bool:
    """Does feature `name` carry a value when trafilatura runs in `modes`? (The page-level ones read the first.)

    >>> [trafilatura_column(n, ("precision",)) for n in ("traf_recall_up1", "traf_precision", "traf_page_share")]
    [False, True, True]
    """
    mode = next((m for m in TRAFILATURA_MODES if name.startswith(f"traf_{m}")), None)
    return mode is None or mode in modes


def _trafilatura_block(out: np.ndarray, texts: list[str], html: str, page: _Dom, where: list[int | None],
                       modes: tuple[str, ...] = TRAFILATURA_MODES) -> None:
    """trafilatura's coverage of each passage (in each mode), flags, neighbour means, page share, and its share
    of the text of the passage's ancestors."""
    col = FEATURE_NAMES.index
    cov = {m: np.asarray(c, dtype=float) for m, c in peers.trafilatura_coverage(texts, html, modes).items()}
    for mode in modes:
        c = cov[mode]
        out[:, col(f"traf_{mode}")] = c
        out[:, col(f"traf_{mode}_body")] = c >= 0.5
        out[:, col(f"traf_{mode}_window")] = window_mean(c, WINDOW)
    first = cov["precision" if "precision" in cov else modes[0]]
    out[:, col("traf_page_share")] = float(np.mean(first >= 0.5))
    out[:, col("traf_in_main")] = (first >= 0.5) * out[:, col("in_main")]
    if not page.lines:
        return
    lengths = np.asarray([len(t) for t in texts], dtype=float)
    for mode in [m for m in ("precision", "recall") if m in modes]:
        covered, total = defaultdict(float), defaultdict(float)
        for i, j in enumerate(where):
            if j is not None:
                for e in page.lines[j]["chain"]:
                    covered[e] += lengths[i] * cov[mode][i]
                    total[e] += lengths[i]
        for i, j in enumerate(where):
            if j is None:
                continue
            chain = page.lines[j]["chain"]
            for k in range(1, ANCESTOR_LEVELS + 1):
                e = chain[-1 - k] if len(chain) > k else chain[0]
                out[i, col(f"traf_{mode}_up{k}")] = covered[e] / total[e] if total[e] else 0.0


def _read_html(path: str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    data = Path(path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")
