"""The HTML vocabulary the role models read: element names and class/id hints, one list each.

A passage's tag is one-hot over `TAGS` (anything else is "other"); its ancestors' class and id tokens are matched
against `CLASS_HINTS` (words a page's template uses for its parts: content, comments, related stories, ads, ...).

>>> TAGS[:3], "comment" in CLASS_HINTS
(('p', 'li', 'h1'), True)
"""

TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "a", "span", "figcaption", "blockquote",
        "pre", "dd", "dt", "section", "article", "header", "footer", "nav", "aside", "form", "strong", "em", "b",
        "tr", "table", "main", "body", "label", "time", "code", "small", "i", "summary", "caption", "address")
CLASS_HINTS = ("article", "body", "content", "story", "post", "entry", "main", "text", "paragraph", "prose", "rich",
               "related", "recommend", "more", "teaser", "promo", "newsletter", "subscribe", "comment", "share",
               "social", "nav", "menu", "footer", "header", "sidebar", "widget", "ad", "ads", "advert", "sponsor",
               "caption", "credit", "byline", "author", "date", "time", "meta", "tag", "tags", "breadcrumb",
               "cookie", "modal", "popup", "hidden", "video", "gallery", "embed", "tweet", "quote", "list", "card",
               "headline", "title", "summary", "lead", "reply", "message", "product", "price", "description",
               "review", "item", "doc", "answer", "question", "copyright")
