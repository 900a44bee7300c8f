"""DOM features of a passage in its page's HTML, and trafilatura's decision, for the role model.

`HtmlFeatures` reads each page's HTML (an ``html`` column, else the file at ``source_path``, plain or
gzipped), walks the DOM into a browser-like text dump (block elements end a line, inline elements join
it: the same dump the passages come from) and aligns the page's passages to those lines, so it works on
any passage list of the page (``passages.segment_html``'s, or a dataset's own). For each passage:

- where it sits in the DOM: depth, the tag that opened it, link density, and the class/id tokens of its
  ancestors (curated hints as flags, all tokens hashed);
- the main-content container: the deepest element holding more than half of the page's prose (lines with
  >= 10 tokens that end a sentence and are mostly not links), a readability-style best paragraph parent,
  and the prose share, prose density and link density of the passage's parent and grandparent;
- trafilatura's own decision (`peers.trafilatura_coverage`): the share of the passage matched by its
  output in precision, default and recall mode, and the same averaged over the neighbouring passages.

Rows of a page must be contiguous and in page order (as for `RoleContext`).

The role model uses it when the model config has ``html_features`` (``configs/model/role_html.yaml``), by
these lines in `models.build_pipeline`, after the context part (`benchmark` adds the part itself until then)::

    if task == "role" and cfg.get("html_features"):
        from .html_features import html_part
        parts.append(html_part(cfg.html_features))

>>> paras = ["The council met on Monday and approved the harbour plan after a debate.",
...          "Work on the new harbour starts in the spring, officials said on Monday.",
...          "The plan was first put forward three years ago by local fishermen."]
>>> html = "<html><body><nav><a href='/'>Home</a></nav><article><h1>Rain</h1>" \\
...        + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>"
>>> X = pd.DataFrame({"doc_id": ["d"] * 5, "html": [html] * 5, "text": ["Home", "Rain", *paras]})
>>> F = HtmlFeatures(trafilatura=False, hashed_tokens=0).fit_transform(X).toarray()
>>> F.shape[0], [float(v) for v in F[:, FEATURE_NAMES.index("in_main")]]
(5, [0.0, 1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

import gzip
import math
import re
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree
from lxml import html as lxml_html
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from .passages import BlockWalker

# The webextract README's skip list (passages.SKIP_TAGS also drops <button>).
SKIP_TAGS = frozenset(
    "script style noscript template head title svg math iframe object embed canvas audio video "
    "select option textarea input img picture map".split()
)
_WS = re.compile(r"[\s\u00a0]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_CLASS_TOKEN = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[.!?。！？…]['\"”’)\]]?$")
_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)

TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "a", "span", "figcaption", "blockquote",
        "pre", "dd", "dt", "section", "article", "header", "footer", "nav", "aside", "form", "strong", "em", "b")
HINTS = ("article", "body", "content", "story", "post", "entry", "main", "text", "paragraph", "prose", "rich",
         "related", "recommend", "more", "teaser", "promo", "newsletter", "subscribe", "comment", "share", "social",
         "nav", "menu", "footer", "header", "sidebar", "widget", "ad", "ads", "advert", "sponsor", "caption", "credit",
         "byline", "author", "date", "time", "meta", "tag", "tags", "breadcrumb", "cookie", "modal", "popup", "hidden",
         "video", "gallery", "embed", "tweet", "quote", "list", "card", "headline", "title", "summary", "lead")
PROSE_MIN_TOKENS = 10
MAIN_SHARES = (0.5, 0.8, 0.95)  # main containers: the deepest elements with more than these shares of the prose
ANCESTOR_LEVELS = 4  # trafilatura's share of the text of the passage's ancestors, 1 to this many levels up
WINDOW = 3
TRAFILATURA_MODES = ("precision", "default", "recall")

FEATURE_NAMES: list[str] = [
    "has_html", "matched", "log_depth", "link_density", "prose",
    "in_main", "main_depth_gap", "before_main", "after_main", "in_best", "best_depth_gap",
    *[f"in_main_{int(100 * share)}" for share in MAIN_SHARES[1:]],
    "parent_prose_share", "parent_prose_density", "parent_link_density", "parent_log_lines",
    "grand_prose_share", "grand_prose_density", "grand_link_density",
    "main_prose_density", "page_log_prose_lines",
    *[f"tag_{t}" for t in TAGS], "tag_other",
    *[f"hint_{h}" for h in HINTS],
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
    return len(toks) >= PROSE_MIN_TOKENS and bool(_SENTENCE_END.search(line["text"])) and line["link"] < 0.5


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
        dom.hint_cache[key] = (joined, [float(h in tokset or (len(h) >= 4 and h in joined)) for h in HINTS])
    joined, flags = dom.hint_cache[key]
    hint0 = FEATURE_NAMES.index(f"hint_{HINTS[0]}")
    f[hint0:hint0 + len(HINTS)] = flags
    return joined


def page_features(texts: list[str], html: str | None, dom: bool = True,
                  trafilatura: bool = True) -> tuple[np.ndarray, list[str]]:
    """(n x len(FEATURE_NAMES)) features of a page's passages, and each passage's ancestor class/id tokens."""
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
        _trafilatura_block(out, texts, html, page, where)
    return out, tokens


def _trafilatura_block(out: np.ndarray, texts: list[str], html: str, page: _Dom, where: list[int | None]) -> None:
    """trafilatura's coverage of each passage (three modes), flags, neighbour means, page share, and its share
    of the text of the passage's ancestors."""
    from .peers import trafilatura_coverage

    n, col = len(texts), FEATURE_NAMES.index
    cov = {m: np.asarray(c, dtype=float) for m, c in trafilatura_coverage(texts, html).items()}
    kernel = np.ones(2 * WINDOW + 1)
    norm = np.convolve(np.ones(n), kernel, "same")
    for mode in TRAFILATURA_MODES:
        c = cov[mode]
        out[:, col(f"traf_{mode}")] = c
        out[:, col(f"traf_{mode}_body")] = c >= 0.5
        out[:, col(f"traf_{mode}_window")] = np.convolve(c, kernel, "same") / norm
    out[:, col("traf_page_share")] = float(np.mean(cov["precision"] >= 0.5))
    out[:, col("traf_in_main")] = (cov["precision"] >= 0.5) * out[:, col("in_main")]
    if not page.lines:
        return
    lengths = np.asarray([len(t) for t in texts], dtype=float)
    for mode in ("precision", "recall"):
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


class HtmlFeatures(BaseEstimator, TransformerMixin):
    """DOM and trafilatura features of each passage (see the module docstring); sparse output.

    With ``stack=True`` the output is instead the cross-fitted log-probabilities of a boosted-tree model
    (`HistGradientBoostingClassifier`) over the dense features above, plus, where enabled, the page-context
    features of `features.RoleContext` (``context``), how many training pages of other sites carry the same
    line (``line_frequency``; learned in `fit`, like the context's site templates, never read from the batch) and a stacked character n-gram TF-IDF logistic regression (``text_model``). On the
    training rows the outputs come from models fit on the other folds of pages (``folds``), so the outer linear
    model learns how far to trust them. With ``dom`` and ``trafilatura`` off, it reads the text dump only.
    """

    def __init__(self, dom: bool = True, trafilatura: bool = True, hashed_tokens: int = 4096, stack: bool = False,
                 context: bool = True, line_frequency: bool = True, text_model: bool = True, folds: int = 4,
                 learning_rate: float = 0.05, max_iter: int = 300, max_leaf_nodes: int = 15, seed: int = 0):
        self.dom = dom
        self.trafilatura = trafilatura
        self.hashed_tokens = hashed_tokens
        self.stack = stack
        self.context = context
        self.line_frequency = line_frequency
        self.text_model = text_model
        self.folds = folds
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.seed = seed

    # -- the features --------------------------------------------------------------------------
    def _page_block(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        texts = X["text"].fillna("").astype(str).tolist()
        docs = X["doc_id"].astype(str).to_numpy()
        dense = np.zeros((len(X), len(FEATURE_NAMES)))
        tokens = [""] * len(X)
        if not (self.dom or self.trafilatura):
            return dense, tokens
        html_col = X["html"].tolist() if "html" in X else None
        paths = X["source_path"].tolist() if "source_path" in X else [None] * len(X)
        for rows in _page_slices(docs):
            html = html_col[rows.start] if html_col is not None else _read_html(paths[rows.start])
            dense[rows], tokens[rows] = page_features(texts[rows], html, self.dom, self.trafilatura)
        return dense, tokens

    def _plain(self, X: pd.DataFrame):
        dense, tokens = self._page_block(X)
        blocks = [sparse.csr_matrix(dense)]
        if self.dom and self.hashed_tokens:
            vec = HashingVectorizer(n_features=self.hashed_tokens, alternate_sign=False, binary=True, norm=None,
                                    token_pattern=r"[a-z]{2,}", lowercase=False, dtype=np.float64)
            blocks.append(vec.transform(tokens))
        return sparse.hstack(blocks, format="csr")

    def _stack_inputs(self, X: pd.DataFrame, training: bool) -> np.ndarray:
        dense, _ = self._page_block(X)
        keep = [k for k, name in enumerate(FEATURE_NAMES) if (self.dom or not name.startswith(_DOM_PREFIXES))
                and (self.trafilatura or not name.startswith("traf_"))]
        blocks = [dense[:, keep]]
        if self.context:
            from .features import RoleContext

            if training:
                self.context_ = RoleContext(use_html=self.dom)
                blocks.append(self.context_.fit_transform(X).toarray())
            else:  # models fitted before the context was kept read each page on its own
                ctx = getattr(self, "context_", None) or RoleContext(use_html=self.dom)
                blocks.append(ctx.transform(X).toarray())
        if self.line_frequency:
            if training:
                self.site_line_pages_, self.site_pages_ = line_counts(X)
                self.line_pages_ = _totals(self.site_line_pages_)
            blocks.append(line_frequency(X, getattr(self, "site_line_pages_", {}), getattr(self, "site_pages_", {}),
                                         getattr(self, "line_pages_", None)))
        return np.hstack(blocks)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        if not self.stack:
            return self._plain(X)
        if y is None:
            raise ValueError("HtmlFeatures(stack=True) is supervised: fit it with the labels")
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression

        from .features import CompactTfidf

        y = np.asarray(y)
        texts = X["text"].fillna("").astype(str).tolist()
        base = self._stack_inputs(X, training=True)
        fold = _page_folds(X["doc_id"].astype(str).to_numpy(), self.folds)
        parts = [base]
        if self.text_model:
            self.text_vectorizer_ = CompactTfidf(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                                    max_features=100000, dtype=np.float32)
            T = self.text_vectorizer_.fit_transform(texts)

            def text_lr():
                return LogisticRegression(C=4.0, max_iter=2000, random_state=self.seed)

            parts.append(_cross_fit(text_lr, T, y, fold))
            self.text_lr_ = text_lr().fit(T, y)
        A = np.hstack(parts)

        def gbm():
            return HistGradientBoostingClassifier(learning_rate=self.learning_rate, max_iter=self.max_iter,
                                                  max_leaf_nodes=self.max_leaf_nodes, random_state=self.seed)

        with _one_thread():  # OpenMP threads on a busy 2-core machine make the trees ~6x slower, not faster
            oof = _cross_fit(gbm, A, y, fold)
            self.gbm_ = gbm().fit(A, y)
        return sparse.csr_matrix(_log_odds(oof))

    def transform(self, X: pd.DataFrame):
        if not self.stack:
            return self._plain(X)
        parts = [self._stack_inputs(X, training=False)]
        if self.text_model:
            T = self.text_vectorizer_.transform(X["text"].fillna("").astype(str).tolist())
            parts.append(self.text_lr_.predict_proba(T))
        with _one_thread():
            proba = self.gbm_.predict_proba(np.hstack(parts))
        return sparse.csr_matrix(_log_odds(proba))


_DOM_PREFIXES = ("matched", "log_depth", "link_density", "prose", "in_", "main_", "before_main", "after_main",
                 "best_", "parent_", "grand_", "page_log", "tag_", "hint_")


def _one_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _page_slices(docs) -> list[slice]:
    cuts = [0] + [i for i in range(1, len(docs)) if docs[i] != docs[i - 1]] + [len(docs)]
    return [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _page_folds(docs: np.ndarray, folds: int) -> np.ndarray:
    """A fold per row, the same for every row of a page (by a hash of its doc_id)."""
    import hashlib

    ids = {d: int(hashlib.sha256(d.encode()).hexdigest()[:8], 16) % folds for d in set(docs)}
    return np.asarray([ids[d] for d in docs])


def _cross_fit(make, A, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Out-of-fold class probabilities (columns in sorted class order) of make() fit on the other folds."""
    classes = np.unique(y)
    out = np.zeros((A.shape[0], len(classes)))
    for k in np.unique(fold):
        test = fold == k
        if len(np.unique(y[~test])) < 2:  # a fold that leaves one class: the class shares instead
            out[test] = [(y[~test] == c).mean() for c in classes]
            continue
        model = make().fit(A[~test], y[~test])
        cols = np.searchsorted(classes, model.classes_)
        out[np.ix_(test, cols)] = model.predict_proba(A[test])
    return out


def _log_odds(proba: np.ndarray) -> np.ndarray:
    p = np.clip(proba, 1e-4, 1 - 1e-4)
    if p.shape[1] == 2:
        return np.log(p[:, 1:] / p[:, :1])
    return np.log(p)


def _site_keys(X: pd.DataFrame) -> list[str]:
    """Each row's site; a page with no site is a site of its own."""
    docs = X["doc_id"].astype(str).tolist()
    sites = X["site"].fillna("").astype(str).tolist() if "site" in X else [""] * len(docs)
    return [s or f"page:{d}" for s, d in zip(sites, docs)]


def line_counts(X: pd.DataFrame) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """({site: {normalised line: pages of the site carrying it}}, {site: pages}): learned on the training pages.

    >>> line_counts(pd.DataFrame({"doc_id": ["a", "a", "b"], "site": ["s", "s", ""], "text": ["Home", "Hi!", "hi"]}))
    ({'s': {'home': 1, 'hi': 1}, 'page:b': {'hi': 1}}, {'s': 1, 'page:b': 1})
    """
    from .context import norm_line

    pages: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for t, d, site in zip(X["text"].fillna("").astype(str), X["doc_id"].astype(str), _site_keys(X)):
        pages[site][norm_line(t)].add(d)
    site_pages = {site: len(set().union(*lines.values())) for site, lines in pages.items()}
    return {site: {k: len(v) for k, v in lines.items()} for site, lines in pages.items()}, site_pages


def _totals(site_lines: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for lines in site_lines.values():
        for k, v in lines.items():
            out[k] += v
    return dict(out)


def line_frequency(X: pd.DataFrame, site_lines: dict[str, dict[str, int]], site_pages: dict[str, int],
                   totals: dict[str, int] | None = None) -> np.ndarray:
    """How many training pages of other sites carry the passage's (normalised) line, plus its own page: log
    count and share of pages.

    The page's own site is left out on training pages and new pages alike, so the feature reads the same for a
    page of an unseen site (the usual case: splits are by site) as for the training pages, and a page's features
    never depend on the other pages of the batch. Site templates are `features.RoleContext`'s template share.

    >>> site_lines, site_pages = {"s": {"home": 2, "rain": 1}, "t": {"home": 1}}, {"s": 2, "t": 1}
    >>> X = pd.DataFrame({"doc_id": ["new", "new", "old"], "site": ["u", "u", "s"], "text": ["Home", "Sun", "Home"]})
    >>> line_frequency(X, site_lines, site_pages).round(3).tolist()
    [[1.386, 1.0], [0.0, 0.25], [0.693, 1.0]]
    """
    from .context import norm_line

    totals = _totals(site_lines) if totals is None else totals
    n_total = sum(site_pages.values())
    found, n = [], []
    for t, site in zip(X["text"].fillna("").astype(str), _site_keys(X)):
        k = norm_line(t)
        found.append(totals.get(k, 0) - site_lines.get(site, {}).get(k, 0) + 1)
        n.append(n_total - site_pages.get(site, 0) + 1)
    found_a, n_a = np.asarray(found, dtype=float), np.asarray(n, dtype=float)
    return np.c_[np.log(found_a), found_a / n_a]


def html_part(options) -> tuple[str, object]:
    """The ("html", transformer) FeatureUnion part for a model config's ``html_features`` block."""
    opts = dict(options) if options is not True else {}
    return "html", make_pipeline(HtmlFeatures(**opts), MaxAbsScaler())


def ensure_wired(pipeline, options) -> bool:
    """Add the html part to an untrained role pipeline that lacks it; returns True when it was added.

    A stand-in for the wiring in `models.build_pipeline` (the module docstring's two lines) where that
    is not there yet; it does nothing where it is.
    """
    inner = getattr(pipeline, "estimator", pipeline)
    union = inner.named_steps["features"]
    if any(name == "html" for name, _ in union.transformer_list):
        return False
    union.transformer_list.append(html_part(options))
    return True
