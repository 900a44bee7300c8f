"""The topic head (models/topic.py), its static embeddings (models/static_embed.py), the MasakhaNEWS importer and
the labeller benchmark's MasakhaNEWS row, on small inputs written here."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from tokenizers import Tokenizer, models, pre_tokenizers

from newslabel.bench.labeller import eval_masakhanews
from newslabel.data.importers.topic import import_masakhanews
from newslabel.models import static_embed
from newslabel.models.static_embed import StaticEmbedding
from newslabel.models.topic import FixedEmbedding, TopicHead, TopicSettings, source_weights

WORDS = ["[UNK]", "the", "goal", "match", "striker", "vote", "poll", "minister"]


def word_tokenizer(words=WORDS) -> str:
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok.to_str()


# sport words point one way, politics words the other; "the" and [UNK] nowhere in particular
VECTORS = np.array([[0, 0], [0.1, 0.1], [1, 0], [1, 0.1], [0.9, 0], [0, 1], [0.1, 1], [0, 0.9]], dtype=np.float32)


def test_static_embedding_weighs_each_token_by_how_rare_it_is():
    tok = word_tokenizer(["[UNK]", "the", "rain", "goal"])
    emb = StaticEmbedding(sif=0.1).fit_arrays(np.eye(4, dtype=np.float32), tok, ["the rain", "the goal", "the the"])
    # counts [UNK] 0, the 4, rain 1, goal 1 -> p = (c + 1) / 10 -> w = 0.1 / (0.1 + p)
    assert [round(float(w), 4) for w in emb.weights_] == [0.5, 0.1667, 0.3333, 0.3333]


def test_static_embedding_reads_at_most_max_tokens_and_counts_them():
    emb = StaticEmbedding(max_tokens=2).fit_arrays(VECTORS, word_tokenizer(), ["goal vote"])
    vectors, counts = emb.embed(["goal match striker", "poll", ""])
    assert counts.tolist() == [2, 1, 0]
    assert np.allclose(vectors[0], emb.embed(["goal match"])[0][0])  # the third token is not read
    assert vectors[2].tolist() == [0.0, 0.0]


def _head(mix_tokens: float = 1.0) -> TopicHead:
    X = pd.DataFrame({"text": ["goal match", "striker goal", "vote poll", "minister vote", "the goal"],
                      "doc_id": ["bbc-1", "bbc-2", "bbc-3", "bbc-4", "hp-1"]})
    y = ["sport", "sport", "politics", "politics", "sport"]
    head = TopicHead(DummyClassifier(strategy="prior"), FixedEmbedding(VECTORS, word_tokenizer()),
                     TopicSettings(C=10.0, mix_tokens=mix_tokens, source_weights={}))
    return head.fit(X, y)


def test_topic_head_gives_an_empty_text_the_word_models_flat_answer():
    proba = _head().predict_proba(pd.DataFrame({"text": [""]}))
    assert proba.round(4).tolist() == [[0.4, 0.6]]  # classes politics, sport: the prior, as the words say


def test_topic_head_leans_on_the_lines_as_a_text_grows():
    head = _head(mix_tokens=2.0)
    short, long = "striker", "\n".join(["minister vote poll"] * 4)
    p_short, p_long = head.predict_proba(pd.DataFrame({"text": [short, long]}))
    lines_short = head.lines_.predict_proba(head.embedding_.transform(["striker"]))[0]
    assert np.allclose(p_short, 1 / 3 * lines_short + 2 / 3 * np.array([0.4, 0.6]))  # 1 token: share 1 / (1 + 2)
    assert head.predict(pd.DataFrame({"text": [short, long]})).tolist() == ["sport", "politics"]
    assert p_long[0] > 0.8  # 12 tokens of politics: share 12 / 14 of the politics lines


def test_source_weights_leave_unlisted_sources_at_one():
    owner = np.array([0, 1, 1, 2])
    assert source_weights(["x-1", "y-1", "z"], owner, {"bbc": 2.0}).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert source_weights(["bbc-1", "hp-1", "z"], owner, {"bbc": 3.0, "hp": 1.0}).tolist() == [2.25, 0.375, 0.375, 1.0]


def test_a_saved_topic_head_loads_with_the_trusted_types_and_names_no_src_module():
    from skops.io import dumps, get_untrusted_types, loads

    from newslabel.tracking.model_files import TRUSTED_TYPES

    head = _head()
    data = dumps(head)
    types = get_untrusted_types(data=data)
    assert not [t for t in types if t.startswith("src.")]
    assert "newslabel.models.topic.TopicHead" in types
    back = loads(data, trusted=TRUSTED_TYPES)
    X = pd.DataFrame({"text": ["goal\nmatch", "poll"]})
    assert np.allclose(back.predict_proba(X), head.predict_proba(X))


def test_cached_vectors_distils_once_then_reads_the_file(tmp_path, monkeypatch):
    calls = []

    def fake_distil(path):
        calls.append(path)
        return VECTORS, word_tokenizer()

    monkeypatch.setattr(static_embed, "encoder_path", lambda: tmp_path / "encoder")
    monkeypatch.setattr(static_embed, "distil", fake_distil)
    target = tmp_path / "static" / "v.npz"
    first = static_embed.cached_vectors(target)
    second = static_embed.cached_vectors(target)
    assert calls == [tmp_path / "encoder"] and target.exists()
    assert np.allclose(first[0], VECTORS, atol=1e-3) and second[1] == word_tokenizer()


def test_distil_runs_each_vocabulary_token_through_the_encoder(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "rain", "goal"]
    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=16, max_position_embeddings=16)
    model = transformers.BertModel(config).eval()
    model.save_pretrained(str(tmp_path))
    vectors, tokenizer_json = static_embed.distil(tmp_path)
    assert vectors.shape == (6, 8) and tokenizer_json == (tmp_path / "tokenizer.json").read_text(encoding="utf-8")
    with torch.inference_mode():
        rain = model(input_ids=torch.tensor([[2, 4, 3]])).last_hidden_state.mean(dim=1)[0].numpy()
    assert np.allclose(vectors[4], rain, atol=1e-5)


def _masakha(tmp_path, rows) -> None:
    folder = tmp_path / "topic-masakhanews-eng"
    folder.mkdir()
    with gzip.open(folder / "validation.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))


ARTICLES = [
    {"id": "a1", "headline": "Ward reopens", "text": "The ward reopened today.\n\nNurses returned.", "label": "health",
     "iptc": "health", "url": "/news/health-1"},
    {"id": "b2", "headline": "Cup final won", "text": "The home side won 2-0.", "label": "sports", "iptc": "sport",
     "url": "/sport/2"},
]


def test_import_masakhanews_gives_validation_rows_only(tmp_path):
    _masakha(tmp_path, ARTICLES)
    splits = import_masakhanews(tmp_path / "topic-masakhanews-eng")["topic"]
    assert splits["train"] == [] and splits["test"] == []
    assert [(r["doc_id"], r["text"], r["label"], r["native_label"]) for r in splits["validation"]] == [
        ("masakhanews-a1", "Ward reopens\nThe ward reopened today.\nNurses returned.", "health", "health"),
        ("masakhanews-b2", "Cup final won\nThe home side won 2-0.", "sport", "sports"),
    ]


def test_import_masakhanews_names_a_missing_field(tmp_path):
    _masakha(tmp_path, [{k: v for k, v in ARTICLES[0].items() if k != "iptc"}])
    path = tmp_path / "topic-masakhanews-eng" / "validation.jsonl.gz"
    with pytest.raises(ValueError, match=rf"^{path}: missing field\(s\) iptc$"):
        import_masakhanews(tmp_path / "topic-masakhanews-eng")


class _Pages:
    """A labeller stand-in: each page's topic by a word of its body."""

    def label_page(self, text, doc_id="page"):
        return {"topic": "health" if "Nurses" in text or "side" in text else "sport"}


def test_eval_masakhanews_scores_pages_by_label_as_validation(tmp_path):
    _masakha(tmp_path, [*ARTICLES, {**ARTICLES[1], "id": "c3", "text": "Rain stopped play."}])
    frames = {s: pd.DataFrame(r) for s, r in import_masakhanews(tmp_path / "topic-masakhanews-eng")["topic"].items()}
    rows = eval_masakhanews(_Pages(), frames)
    got = [(r["system"], r["metric"], round(r["value"], 4), r["split"], r["target"]) for r in rows]
    assert got == [
        ("newslabel label_page", "accuracy", 0.6667, "validation", 0.8),
        ("newslabel label_page: health", "recall", 1.0, "validation", 0.65),
        ("newslabel label_page: sport", "recall", 0.5, "validation", 0.65),
        ("majority (sport)", "accuracy", 0.6667, "validation", None),
    ]
    assert rows[0]["confusion"] == "sport -> health: 1"


def test_the_mix_scores_masakhanews_on_validation_and_never_trains_on_it():
    from pathlib import Path

    from omegaconf import OmegaConf

    from newslabel.config import compose
    from newslabel.data.sources import build_mix

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (data / "topic-masakhanews-eng").is_dir():
        pytest.skip("../shared/data/topic-masakhanews-eng not found")
    cfg = OmegaConf.to_container(compose("train", ["data=mix", "data.tasks=[topic]"]).data, resolve=True)
    cfg["mix"]["topic"] = [s for s in cfg["mix"]["topic"] if s["source"] == "masakhanews"]
    rows = build_mix(cfg, 10_000_000, log=lambda _: None).rows["topic"]
    assert {s: len(r) for s, r in rows.items()} == {"train": 0, "validation": 472, "test": 0}
    assert {r["source"] for r in rows["validation"]} == {"masakhanews"}
