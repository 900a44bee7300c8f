"""The HTML vocabulary the role models read: element names and class/id hints, each spelled once.

A passage's tag is one-hot over a tag list (anything else is "other"); its ancestors' class and id tokens are
matched against a hint list (words a page's template uses for its parts: content, comments, related stories,
ads, ...). The linear six-role model's page context (`role_context`) reads the core lists; the tree models
(`dom`, `block_features`) read the core lists and the extra ones after them: with the extra ones the linear model
lost on validation (docs/decisions.md, "Test suite and clean-up").

>>> TAGS[:3], len(CORE_TAGS) < len(TAGS), "comment" in CORE_HINTS
(('p', 'li', 'h1'), True, True)
"""

CORE_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "a", "span", "figcaption", "caption",
             "blockquote", "dd", "dt", "pre", "footer", "header", "nav", "aside")
TAGS = CORE_TAGS + ("section", "article", "form", "strong", "em", "b", "tr", "table", "main", "body", "label", "time",
                    "code", "small", "i", "summary", "address")
CORE_HINTS = ("related", "footer", "nav", "menu", "promo", "newsletter", "comment", "share", "social", "byline",
              "author", "caption", "article", "content", "body", "story", "post", "entry", "main", "sidebar", "ad",
              "cookie", "subscribe", "teaser", "widget", "header", "breadcrumb", "tags", "text", "paragraph")
CLASS_HINTS = CORE_HINTS + ("prose", "rich", "recommend", "more", "ads", "advert", "sponsor", "credit", "date", "time",
                            "meta", "tag", "modal", "popup", "hidden", "video", "gallery", "embed", "tweet", "quote",
                            "list", "card", "headline", "title", "summary", "lead", "reply", "message", "product",
                            "price", "description", "review", "item", "doc", "answer", "question", "copyright")
