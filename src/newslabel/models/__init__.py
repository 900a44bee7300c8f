"""4. models: feature transformers and estimators, combined into one pipeline a task.

`text` (TF-IDF and pair features), `role_context` (a passage in its page), `dom` and `dom_features`
(HTML structure), `sequence` (smoothing roles along a page), `pipeline` (the scikit-learn pipelines),
`transformer` and `transformer_inputs` (fine-tuned MiniLM).
"""
