"""Labelling rules for `role`: named functions over a passage and its page, combined by a vote.

Each rule returns a role or None (abstain). They are combined by a weighted vote: the one-coin
Dawid-Skene model with rules independent given the role, in which a rule with accuracy a is right
with probability a and otherwise names each of the K-1 other roles alike. The posterior of role c
is then proportional to exp(sum of w = log(a (K-1) / (1-a)) over the rules voting c), so a rule
adds to its own label whenever it beats chance (a > 1/K), not only above a = 1/2. The accuracy is
estimated from gold passages where there are any, else the prior below. (snorkel's LabelModel, which would
also learn accuracies without gold, resolves with the pinned numpy/pandas but needs torch and tensorboard:
too heavy a core dependency for fifteen rules fit on gold.)

>>> from newslabel.labels.context import PageContext
>>> ctx = PageContext(["Logo", "A big headline for the day", "A big headline for the day",
...                    "It happened on Monday, officials said in a short statement.", "Related Articles",
...                    "Another story entirely, with its own long summary sentence here."],
...                   "A big headline for the day", "s", [None] * 6, [""] * 6, [0.0] * 6, [""] * 6)
>>> [RuleModel().predict_one(v)[0] for v in apply_rules(ctx)]
['chrome', 'title', 'title', 'body', 'related', 'related']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from newslabel.ingest.metadata import parse_byline
from newslabel.ingest.text import ENDS_SENTENCE
from newslabel.labels.context import PageContext
from newslabel.labels.schema import ROLE

# -- cue patterns (named constants, so they can be read and tuned) -----------------------
# a header that opens a block of other stories
RELATED_HEADER = re.compile(
    r"^(related( articles?| stories| posts| content| news| coverage)?|more (on|from|in|about) .{1,40}|"
    r"more stories|read (next|more)|you (may|might) (also )?like|most (read|popular|viewed|shared)|recent posts|"
    r"latest( [a-z]+)? (news|stories|headlines)|recommended( for you)?|top stories|trending( now)?|"
    r"what to read next|in other news|also in [a-z ]+)\W*$", re.I)
# a link line into another story, e.g. "Read more: ..."
READ_MORE = re.compile(r"^(read more|see also|related|also read|watch|more)\s*[:|–-]", re.I)
# a teaser's age, e.g. "time2 hours ago", "3h"
RELATIVE_TIME = re.compile(
    r"^(time)?\s*(\d+\s*(s|m|h|d|min|mins|minutes?|hrs?|hours?|days?|weeks?)\s+ago|\d+[mhd]|yesterday|just now)$", re.I)
# consent banners
COOKIE = re.compile(r"\b(cookies?|consent|accept all|reject all|manage (preferences|options|settings)|privacy settings)\b", re.I)
# app, newsletter, subscription and betting promotion
PROMO = re.compile(
    r"\b(download (the |our )?app|google play|newsletters?|subscribe|subscription|"
    r"subscriber|sign up|free trial|ai features?|powered by ai|ai-powered|free articles?|log ?in to|get started|premium|unlimited access|"
    r"bet responsibly|gamble|podcast|follow us|join (us|now|our)|digest|offer|per (week|month))\b|"
    r"app[- ]?store|play[- ]?store|\b18\+", re.I)
# share and comment widgets: a whole line that is only the widget's label
WIDGET = re.compile(
    r"^(share( this( article| story)?| on \w+)?|comments?|\d+ comments?|no comments yet.*|be the first to comment.*|"
    r"leave a (reply|comment).*|post comment|facebook|twitter|x|whatsapp|linkedin|email|print|copy link|"
    r"listen to this article.*|advertisement|advert|ad|sponsored|skip to (main )?content|menu|search|sign in|"
    r"log in|logo|home|close|back to top|show more|load more|tags?:.*|filed under:?.*|topics?:.*)$", re.I)
FOOTER = re.compile(
    r"(©|\(c\)\s*\d{4}|copyright|all rights reserved|privacy (policy|notice)|terms (of (use|service)|and conditions)|"
    r"contact us|about us|cookie policy|accessibility|careers|advertise with us|sitemap)", re.I)
CAPTION = re.compile(r"(^(photo|image|picture|credit|file photo|pictured)\s*[:(]|\((image|photo|picture)s?\b|"
                     r"\b(photo(graph)?|image|picture)s?( credit)?\s*:\s*\w|"
                     r"(getty images|/ ?reuters|ap photo|afp via|shutterstock)\)?$)", re.I)
# a header that opens the readers' comments (any language the sets hold), e.g. "Comments (12)", "Kommentare"
COMMENT_HEADER = re.compile(
    r"^(\d+\s+)?((reader|user|visitor)s?['’]?\s+)?(comments?|responses?|replies|reactions|discussion|"
    r"kommentare?|commentaires?|comentarios?|coment[aá]rios?|commenti|reacties|komentarze?|kommentarer|"
    r"kommentit|hozzászólások|комментарии|коментарі|yorumlar|评论|評論|コメント|댓글)(\s*[(\[]?\d+[)\]]?)?\W*$|"
    r"^(leave|post|add|write|submit) (a |your )?(comment|reply|response)\b|^(join|start) the (discussion|conversation)\b|"
    r"^have your say\W*$", re.I)
BYLINE = re.compile(r"^(by|words by|reporting by|posted (on|by)|published|updated|written by|editing by)\b", re.I)
TIMESTAMP = re.compile(r"^(\d{1,2}[:.]\d{2}( ?(am|pm|gmt|bst|utc))?|\d{1,3}(\+\d{1,2})?['’]?)$", re.I)
PROSE_MIN_WORDS = 10
SHORT_LINE_WORDS = 4
TEMPLATE_SHARE = 0.5  # a line on at least half a site's pages is template
TITLE_ZONE = 25  # bylines are looked for in the first passages


# Prior accuracy of each rule, used where there is no gold to estimate it from.
PRIOR_ACCURACY = 0.8
MIN_ACCURACY, MAX_ACCURACY = 0.05, 0.99


@dataclass
class Cues:
    """Per-page facts computed once and read by every rule."""

    related: list[bool]
    title_at: list[int]
    first_prose: int
    comments: list[bool] = field(default_factory=list)


def page_cues(ctx: PageContext) -> Cues:
    related, in_section = [], False
    for text in ctx.texts:
        if RELATED_HEADER.match(text) and len(text.split()) <= 8:
            in_section = True
        elif in_section and (PROMO.search(text) or COOKIE.search(text) or FOOTER.search(text)) and len(text.split()) <= 12:
            in_section = False
        related.append(in_section)
    title_at = ctx.title_positions()
    first_prose = next((i for i, t in enumerate(ctx.texts) if is_prose(t)), ctx.n)
    return Cues(related, title_at, first_prose, comment_section(ctx.texts, first_prose))


def comment_section(texts: list[str], first_prose: int) -> list[bool]:
    """Per passage: is it in the readers' comments? From a comment header after the article's first prose
    line to the next related-stories header or footer line (a header before the article is a link to them).

    >>> comment_section(["Comments (2)", "Rain fell all day in the town, said the people who live there.",
    ...                  "Comments", "So wet here too, I could not go out at all today.", "© 2026 Paper"], 1)
    [False, False, True, True, False]
    """
    out, inside = [], False
    for i, text in enumerate(texts):
        short = len(text.split()) <= 8
        if inside and short and (RELATED_HEADER.match(text) or FOOTER.search(text)):
            inside = False
        elif not inside and i > first_prose and short and COMMENT_HEADER.match(text):
            inside = True
        out.append(inside)
    return out


def is_prose(text: str) -> bool:
    """A sentence-like passage of PROSE_MIN_WORDS words or more: what body text looks like in a text dump."""
    return len(text.split()) >= PROSE_MIN_WORDS and bool(ENDS_SENTENCE.search(text))


# -- the rules ---------------------------------------------------------------------------
def repeated_title(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """The page's headline, wherever it is repeated before the related section: title."""
    return "title" if i in cues.title_at and not cues.related[i] else None


def byline_pattern(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """A short author/source/date line near the top ('By …', 'Independent21-06-2025'): byline."""
    text = ctx.texts[i]
    if i > TITLE_ZONE or cues.related[i] or len(text.split()) > 16:
        return None
    source, when = parse_byline(text)
    if BYLINE.match(text) and when:
        return "byline"  # 'Published 4 Nov 2025 at 6.12pm | Updated …' reads like a sentence but is not one
    return "byline" if (when or source or BYLINE.match(text)) and not is_prose(text) else None


def related_section(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Everything from a 'Related Articles'-style header to the next promo/footer switch: related."""
    return "related" if cues.related[i] else None


def read_more_link(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """'Read more: …' / 'See also: …' links to other stories: related."""
    return "related" if READ_MORE.match(ctx.texts[i]) else None


def relative_time(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """'time2 hours ago', '5h ago' after the article has started (teaser metadata): related."""
    return "related" if RELATIVE_TIME.match(ctx.texts[i]) and i > cues.first_prose else None


def promo_phrases(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """App, newsletter, subscription, paywall and betting calls to action: promo."""
    text = ctx.texts[i]
    return "promo" if PROMO.search(text) and len(text.split()) <= 30 and not COOKIE.search(text) else None


def cookie_banner(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Cookie and consent banners: chrome."""
    return "chrome" if COOKIE.search(ctx.texts[i]) and len(ctx.texts[i].split()) <= 40 else None


def share_comment_widget(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Share bars, comment widgets, ad slots, tags and other interface words: chrome."""
    return "chrome" if WIDGET.match(ctx.texts[i]) else None


def footer_phrases(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Copyright, legal and corporate links: chrome."""
    text = ctx.texts[i]
    return "chrome" if FOOTER.search(text) and len(text.split()) <= 15 else None


def image_caption(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Photo captions and credits: chrome."""
    return "chrome" if CAPTION.search(ctx.texts[i]) else None


def live_timestamp(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Bare times and match minutes ('17:42', "45+2'") in live blogs: chrome."""
    return "chrome" if TIMESTAMP.match(ctx.texts[i]) else None


def site_template(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """A line on at least half the pages of the same site (menus, footers): chrome."""
    share = ctx.template_share[i]
    return "chrome" if share is not None and share >= TEMPLATE_SHARE and not is_prose(ctx.texts[i]) else None


def short_line_before_article(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """Short label-like lines above the headline (logo, menu, breadcrumb): chrome."""
    start = cues.title_at[0] if cues.title_at else cues.first_prose
    text = ctx.texts[i]
    return "chrome" if i < start and len(text.split()) <= SHORT_LINE_WORDS and not ENDS_SENTENCE.search(text) else None


def prose_paragraph(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """A sentence-shaped paragraph after the headline and outside any related section: body."""
    after_title = not cues.title_at or i > cues.title_at[0]
    return "body" if is_prose(ctx.texts[i]) and after_title and not cues.related[i] else None


def short_sentence_in_body(ctx: PageContext, i: int, cues: Cues) -> str | None:
    """A short sentence between two body-like paragraphs: body (one-line paragraphs exist)."""
    if cues.related[i] or not 0 < i < ctx.n - 1 or not ENDS_SENTENCE.search(ctx.texts[i]):
        return None
    return "body" if is_prose(ctx.texts[i - 1]) and is_prose(ctx.texts[i + 1]) else None


RULES: dict[str, Callable[[PageContext, int, Cues], str | None]] = {
    f.__name__: f
    for f in (repeated_title, byline_pattern, related_section, read_more_link, relative_time, promo_phrases,
              cookie_banner, share_comment_widget, footer_phrases, image_caption, live_timestamp, site_template,
              short_line_before_article, prose_paragraph, short_sentence_in_body)
}


def apply_rules(ctx: PageContext, cues: Cues | None = None) -> list[dict[str, str]]:
    """For each passage, {rule name: role} for the rules that fired."""
    cues = cues or page_cues(ctx)
    votes = []
    for i in range(ctx.n):
        fired = {}
        for name, rule in RULES.items():
            label = rule(ctx, i, cues)
            if label is not None:
                fired[name] = label
        votes.append(fired)
    return votes


@dataclass
class RuleModel:
    """Weighted vote over rule outputs; weights are one-coin Dawid-Skene log-likelihood ratios (see above)."""

    accuracy: dict[str, float] = field(default_factory=dict)

    def fit(self, votes: list[dict[str, str]], gold: list[str | None]) -> RuleModel:
        hits, seen = Counter(), Counter()
        for fired, y in zip(votes, gold):
            if y is None:
                continue
            for name, label in fired.items():
                seen[name] += 1
                hits[name] += label == y
        # Laplace smoothing towards the prior keeps rarely firing rules from extreme weights.
        self.accuracy = {
            name: min(MAX_ACCURACY, max(MIN_ACCURACY, (hits[name] + 2 * PRIOR_ACCURACY) / (seen[name] + 2)))
            for name in RULES
        }
        return self

    def weight(self, name: str) -> float:
        """The one-coin log-likelihood ratio log(a (K-1) / (1-a)): positive above chance (1/K)."""
        acc = self.accuracy.get(name, PRIOR_ACCURACY)
        return math.log(acc * (len(ROLE.names) - 1) / (1 - acc))

    def predict_one(self, fired: dict[str, str]) -> tuple[str | None, float]:
        """(role, confidence) for one passage; (None, 0.0) when no rule fired."""
        if not fired:
            return None, 0.0
        score = Counter()
        for name, label in fired.items():
            score[label] += self.weight(name)
        # The posterior under a uniform prior: softmax over the six roles, roles no rule voted for scoring 0.
        exp = {r: math.exp(score.get(r, 0.0)) for r in ROLE.names}
        best = max(exp, key=exp.get)
        return best, exp[best] / sum(exp.values())


def rule_report(votes: list[dict[str, str]], gold: list[str | None], model: RuleModel,
                splits: list[str] | None = None, fitted_on: str = "train", held_out: str = "validation") -> list[dict]:
    """Per rule: coverage, overlaps, conflicts, accuracy against gold and weight; then the combined vote.

    With `splits` (each passage's split), ``accuracy`` is measured on the `held_out` split's gold, which the
    weights were not fitted on, and ``train_accuracy`` on the `fitted_on` gold they were fitted on (in-sample);
    ``accuracy_on`` names the split. Without, both are measured on all gold, and ``in_sample`` says so.
    """
    n = len(votes) or 1
    if splits is None:
        held = fit = [True] * len(votes)
    else:
        held, fit = [s == held_out for s in splits], [s == fitted_on for s in splits]
    combined = [model.predict_one(f)[0] for f in votes]

    def judge(picks: list[tuple[str | None, str | None, bool]]) -> tuple[float | None, int]:
        judged = [(p, g) for p, g, keep in picks if keep and g is not None and p is not None]
        return (sum(p == g for p, g in judged) / len(judged) if judged else None), len(judged)

    rows = []
    for name in [*RULES, "COMBINED"]:
        if name == "COMBINED":
            picks = list(zip(combined, gold))
            fired_rows = [f for f in votes if f]
        else:
            picks = [(f.get(name), g) for f, g in zip(votes, gold)]
            fired_rows = [f for f in votes if name in f]
        acc, n_gold = judge([(p, g, k) for (p, g), k in zip(picks, held)])
        train_acc, n_train = judge([(p, g, k) for (p, g), k in zip(picks, fit)])
        rows.append({
            "rule": name,
            "label": "" if name == "COMBINED" else next((f[name] for f in fired_rows), ""),
            "coverage": len(fired_rows) / n,
            "overlaps": None if name == "COMBINED" else sum(len(f) > 1 for f in fired_rows) / n,
            "conflicts": sum(len(set(f.values())) > 1 for f in fired_rows) / n,
            "accuracy": acc, "n_gold": n_gold,
            "accuracy_on": "all gold" if splits is None else held_out,
            "in_sample": splits is None,
            "train_accuracy": None if splits is None else train_acc,
            "n_train_gold": None if splits is None else n_train,
            "weight": None if name == "COMBINED" else round(model.weight(name), 3),
        })
    return rows
