"""1. ingest: files -> decoded documents -> pages of ordered passages with their metadata.

`files` reads inputs and `decoding` turns their bytes into checked text (one-line errors), `segment` cuts a
document into passages (`html` for HTML, `text` helpers for both), `metadata` finds title, source and date,
`corpus` reads many inputs.
"""
