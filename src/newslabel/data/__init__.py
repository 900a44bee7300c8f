"""3. data: labelled rows -> Hugging Face datasets split by page.

`build` turns pages, annotations and rule votes into rows, `sources` composes the configured sources (the
sample, a public importer, or the mix of several), `store` saves and loads them as `datasets` with a card,
`importers/` reads the public sets in ../shared/data.
"""
