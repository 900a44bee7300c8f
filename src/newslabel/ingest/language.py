"""A page's language (a BCP 47 primary tag, e.g. `en`) from its text, by py3langid, checked against the language
the page declares (`<html lang>`, `content-language`, `og:locale`).

The text decides when there is enough of it and py3langid is sure; otherwise the declared language, else None.

>>> page_language(["The council voted on Monday to repair the seawall before the winter storms arrive."], "en-GB")
('en', 'text')
>>> page_language(["Menu"], "de-DE")
('de', 'declared')
>>> declared_language("pt_BR"), declared_language("x-default"), declared_language("")
('pt', None, None)
"""

from __future__ import annotations

import re
from functools import cache

MIN_WORDS = 4  # passages of fewer words (menus, buttons) are left out of the sample while longer ones exist
MAX_SAMPLE_CHARS = 1500  # py3langid settles long before this (its cost grows with the sample); the cap keeps it flat
MIN_SAMPLE_CHARS = 40  # under this the text is too short to trust: the declared language decides
MIN_PROBABILITY = 0.9  # py3langid's normalised probability under which a declared language wins
_PRIMARY = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$", re.I)


@cache
def _identifier():
    """py3langid's model with normalised probabilities, loaded once a process, on first use."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def sample_text(texts: list[str]) -> str:
    """The passages that read as text (at least MIN_WORDS words; all of them if none does), up to the cap."""
    long = [t for t in texts if len(t.split()) >= MIN_WORDS] or texts
    out, size = [], 0
    for t in long:
        out.append(t)
        size += len(t) + 1
        if size >= MAX_SAMPLE_CHARS:
            break
    return "\n".join(out)[:MAX_SAMPLE_CHARS]


def page_language(texts: list[str], declared: str | None = None) -> tuple[str | None, str | None]:
    """(language, which decided: 'text' or 'declared') for a page's passage texts; (None, None) when neither says."""
    declared = declared_language(declared)
    sample = sample_text(texts)
    if len(sample) >= MIN_SAMPLE_CHARS:
        lang, prob = _identifier().classify(sample)
        if prob >= MIN_PROBABILITY or declared is None or declared == lang:
            return lang, "text"
    return (declared, "declared") if declared else (None, None)


def declared_language(value: str | None) -> str | None:
    """The primary language subtag of a declared tag or locale, lower-cased; None for none or a non-language."""
    m = _PRIMARY.match((value or "").strip())
    return m.group(1).lower() if m and m.group(1).lower() not in ("x", "i") else None
