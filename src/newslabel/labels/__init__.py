"""2. labels: the label sets, gold annotations and the programmatic rules that label passages.

`schema` defines the four label sets once, `annotations` reads gold labels, `context` is the page context
the rules read, `rules` are the named labelling functions and their vote, `stories` says which lines carry
news text and groups teaser lines into stories.
"""
