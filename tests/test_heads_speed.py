"""The heads' fast paths give what scikit-learn's own path gives: topic, stance and bias models fitted here on
hand-written texts, each page's rows read through the fast path (inside `shared_analysis`, as the labeller reads
them) and through the reference computation (scikit-learn's transforms and classifiers, no sharing, the
tokenizer on each whole line, the similarity features row by row)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.feature_extraction.text import TfidfVectorizer
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from newslabel.labels.context import norm_line
from newslabel.models import pipeline, static_embed, text, topic
from newslabel.models.pipeline import build_pipeline
from newslabel.models.text import CompactTfidf, SimilarityFeatures, shared_analysis
from newslabel.models.topic import FixedEmbedding, TopicHead, TopicSettings

CFG = OmegaConf.create({"classifier": "logreg", "solver": "liblinear", "C": 1.0, "class_weight": None,
                        "calibration": "none", "word_ngrams": [1, 2], "char_ngrams": [2, 4], "max_features": 5000,
                        "min_df": 1, "sublinear_tf": True})
SPORT = ["The striker scored a late goal in the cup match.", "Fans cheered as the keeper saved a penalty.",
         "The coach praised his midfield after the derby win.", "A hat-trick sealed the title for the visitors."]
POLITICS = ["The minister resigned after the budget vote.", "Parliament passed the election bill on Monday.",
            "The opposition leader called for a fresh poll.", "Voters backed the mayor's housing plan."]
WEATHER = ["Heavy rain flooded streets across the valley.", "A storm warning was issued for the coast tonight.",
           "Snow closed the mountain pass for a second day.", "Forecasters expect a dry, sunny weekend."]
# hand-written pages as the labeller reads them: a headline and the body's passages
PAGES = [("Striker's late goal wins the cup", ["The striker scored in the ninetieth minute.",
                                               "Fans cheered  as the keeper saved a penalty\u00a0late on.",
                                               "The coach said: \"We never stopped believing!\""]),
         ("Minister resigns over budget vote", ["The minister resigned on Monday.",
                                                "Opposition MPs had called for a fresh poll. Voters were angry.",
                                                "Naïve voters? Café owners said the budget vote hurt them."]),
         ("Storm floods the valley", ["Heavy rain flooded streets.", "", "ＳＮＯＷ closed the pass\ttoo."])]


def wordpiece_tokenizer() -> str:
    """A BERT-style tokenizer (normaliser, pre-tokenizer, WordPiece) over the words above and their pieces."""
    words = {w.strip(".,!?:\"'").lower() for t in SPORT + POLITICS + WEATHER for w in t.split()}
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", ",", "!", "?", "'", ":", "\"", *sorted(words - {""}),
             "##s", "##ed", "##ing", "snow", "cafe", "naive"]
    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(dict.fromkeys(vocab))}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tok.to_str()


def reference_ids(tokenizer_json: str, texts: list[str], max_tokens: int) -> list[np.ndarray]:
    encoded = static_embed._tokenizer(tokenizer_json).encode_batch_fast(list(texts), add_special_tokens=False)
    return [np.asarray(e.ids[:max_tokens], dtype=np.int64) for e in encoded]


def reference_similarity(self: SimilarityFeatures, X: pd.DataFrame):
    """SimilarityFeatures.transform row by row: each column vectorised apart, each row's best sentence alone."""
    from scipy import sparse

    vec = lambda texts: TfidfVectorizer.transform(self.vectorizer_, texts)  # noqa: E731
    heads, texts = text._col(X, "headline"), text._col(X, "text")
    contexts = [c or t for c, t in zip(text._col(X, "context"), texts)]
    h, t, c = vec(heads), vec(texts), vec(contexts)
    rows = []
    for k, (head, ctx) in enumerate(zip(heads, contexts)):
        sentences = [x for x in text._SENTENCE.split(ctx) if x.strip()][:60] or [ctx]
        sims = vec(sentences) @ h[k].T
        best = sims.max() if sims.nnz else 0.0
        rows.append([h[k].multiply(t[k]).sum(), h[k].multiply(c[k]).sum(), best,
                     *reference_pair(head, texts[k]), *reference_pair(head, ctx)])
    return sparse.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), 13))


def reference_pair(h: str, t: str) -> list[float]:
    ht, tt = text._tokens(h), text._tokens(t)
    inter = len(ht & tt)
    return [inter / (len(ht | tt) or 1), inter / (len(ht) or 1), math.log1p(inter), math.log1p(len(tt)),
            float(norm_line(h) == norm_line(t))]


@pytest.fixture
def reference(monkeypatch):
    """Switches every fast path off: what scikit-learn and the tokenizer compute alone."""
    def switch():
        monkeypatch.setattr(CompactTfidf, "transform", TfidfVectorizer.transform)
        monkeypatch.setattr(CompactTfidf, "_shared", lambda self: None)
        monkeypatch.setattr(topic, "fast_proba", lambda m, X: m.predict_proba(X))
        monkeypatch.setattr(pipeline, "fast_proba", lambda m, X: m.predict_proba(X))
        monkeypatch.setattr(static_embed, "token_ids", reference_ids)
        monkeypatch.setattr(SimilarityFeatures, "transform", reference_similarity)
        monkeypatch.setattr(text.PairFeatures, "transform", lambda self, X: __import__("scipy").sparse.csr_matrix(
            np.asarray([reference_pair(h, t) for h, t in zip(text._col(X, "headline"), text._col(X, "text"))])))
    return switch


def fitted_heads() -> dict:
    texts = SPORT + POLITICS + WEATHER
    labels = ["sport"] * 4 + ["politics"] * 4 + ["weather"] * 4
    X = pd.DataFrame({"text": texts, "doc_id": [f"bbc-{i}" for i in range(len(texts))]}, dtype=object)
    words = build_pipeline("topic", CFG, {"char_ngrams": False}, seed=0)
    vectors = np.random.default_rng(0).normal(size=(len(static_embed._tokenizer(wordpiece_tokenizer()).get_vocab()),
                                                     8)).astype(np.float32)
    head = TopicHead(words, FixedEmbedding(vectors, wordpiece_tokenizer()), TopicSettings(mix_tokens=5, source_weights={"bbc": 1}))
    heads = [t.split(" the ")[0] for t in texts]
    stance_X = pd.DataFrame({"headline": heads * 2, "text": texts + texts[4:] + texts[:4],
                             "context": texts + texts[4:] + texts[:4]}, dtype=object)
    stance_y = ["agree", "discuss", "disagree"] * 4 + ["unrelated"] * 12
    stance = build_pipeline("stance", CFG, {"two_stage": True, "dedup_texts": True, "char_ngrams": False}, seed=0)
    bias = build_pipeline("bias", OmegaConf.merge(CFG, {"calibration": "sigmoid", "solver": None, "calibration_cv": 3, "calibration_ensemble": True}), {}, seed=0)
    bias_y = ["biased", "neutral"] * 6
    return {"topic": head.fit(X, labels), "stance": stance.fit(stance_X, stance_y),
            "bias": bias.fit(X[["text"]], bias_y)}


def page_frames(headline: str, passages: list[str]) -> dict:
    """The rows each head reads of a page, as `Labeller._news_labels` builds them (body only, no stories)."""
    body = "\n".join(passages)
    return {"topic": pd.DataFrame({"text": [body, passages[0]]}, dtype=object),
            "stance": pd.DataFrame({"headline": headline, "text": passages, "context": [body] * len(passages)},
                                   dtype=object),
            "bias": pd.DataFrame({"text": passages}, dtype=object)}


def test_the_fast_path_gives_the_reference_probabilities_on_hand_written_pages(reference):
    heads = fitted_heads()
    fast = []
    for headline, passages in PAGES:
        with shared_analysis():  # one page at a time, as Labeller.label reads it
            fast.append({t: heads[t].predict_proba(X) for t, X in page_frames(headline, passages).items()})
    reference()
    for (headline, passages), got in zip(PAGES, fast):
        for task, X in page_frames(headline, passages).items():
            np.testing.assert_allclose(got[task], heads[task].predict_proba(X), rtol=0, atol=1e-12, err_msg=task)


def test_token_ids_equal_the_tokenizer_on_whole_lines():
    tok = wordpiece_tokenizer()
    lines = [p for _, ps in PAGES for p in ps] + SPORT + ["", "  ", "a\x0bb\x1cc d\x85e", "x\u2028y\u3000z",
                                                          "e\u0301te naïve", "[CLS] goal[SEP]match", "goal" * 40,
                                                          "中文 goal中文", "\ufffd\x00rain"]
    for max_tokens in (3, 256):
        got = static_embed.token_ids(tok, lines, max_tokens)
        assert [g.tolist() for g in got] == [r.tolist() for r in reference_ids(tok, lines, max_tokens)]


def test_char_wb_analysis_by_word_equals_scikit_learns():
    docs = [p for _, ps in PAGES for p in ps] + ["  lead and trail  ", "a\x0bb\u00a0c\u2028d", "x"]
    for ngram_range in ((2, 4), (1, 3)):
        vec = CompactTfidf(analyzer="char_wb", ngram_range=ngram_range).fit(docs)
        assert [vec._word_memo_analyzer()(d) for d in docs] == [TfidfVectorizer.build_analyzer(vec)(d) for d in docs]
