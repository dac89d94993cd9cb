import numpy as np

from bot.policy.embeddings import cached_vectors
from bot.policy.glossary import Glossary
from bot.policy.keywords import BM25, tokens
from bot.policy.retrieval import PolicyIndex, Weights, passages_of
from tests.support.paths import CORPUS


def make_index(policies, encoder, tmp_path, **kw):
    return PolicyIndex(policies, encoder, Glossary.load(CORPUS / "glossary.yml"), tmp_path, **kw)


def test_tokens_drop_stopwords_and_keep_ex_pupils():
    assert tokens("Can I friend the ex-pupils?") == ["friend", "ex-pupil"]


def test_bm25_prefers_the_document_with_rare_matching_terms():
    bm25 = BM25(["staff must not friend pupils", "pupils may not use phones", "the firewall blocks sites"])
    scores = bm25.scores("friend pupils")
    assert scores.index(max(scores)) == 0 and scores[2] == 0


def test_glossary_maps_peoples_words_to_the_policys():
    glossary = Glossary.load(CORPUS / "glossary.yml")
    assert "social media" in glossary.expand("Can I use Snapchat?")
    assert "sexting" in glossary.expand("someone shared nudes")
    assert glossary.expand("Can I use a pencil?") == "Can I use a pencil?"


def test_passages_include_sentences_items_and_asks(policies):
    clause = policies[0].clause("3.1")
    found_by = passages_of(clause)
    assert any(p.endswith("ClassDojo") for p in found_by)
    assert any("Teams or Google Classroom" in p for p in found_by)


def test_vectors_are_cached_on_disk_and_reused(fake_encoder, tmp_path):
    first = cached_vectors(fake_encoder, ["a b", "c d"], tmp_path)
    again = cached_vectors(fake_encoder, ["a b", "c d"], tmp_path)
    assert fake_encoder.calls == 1 and np.array_equal(first, again)
    cached_vectors(fake_encoder, ["a b", "c e"], tmp_path)
    assert fake_encoder.calls == 2 and len(list(tmp_path.glob("vectors-*.npy"))) == 2


def test_corrupt_cache_is_rebuilt(fake_encoder, tmp_path):
    cached_vectors(fake_encoder, ["x"], tmp_path)
    next(tmp_path.glob("vectors-*.npy")).write_bytes(b"garbage")
    assert cached_vectors(fake_encoder, ["x"], tmp_path).shape == (1, fake_encoder.dims)


def test_ranking_finds_the_friending_clause(policies, fake_encoder, tmp_path):
    index = make_index(policies, fake_encoder, tmp_path, weights=Weights(covered_at=0.2))
    result = index.search("Can members of staff friend pupils or ex-pupils?", "staff")
    assert result.covered and result.best.clause.id == "D200 5.3"


def test_role_decides_between_staff_and_pupil_clauses(policies, fake_encoder, tmp_path):
    index = make_index(policies, fake_encoder, tmp_path, weights=Weights(role_bonus=0.5, covered_at=0.0))
    question = "may I access social media during the school day"
    assert index.search(question, "staff").hits[0].clause.audience == ("staff",)
    assert "pupils" in index.search(question, "pupil").hits[0].clause.audience


def test_nothing_relevant_is_not_covered(policies, fake_encoder, tmp_path):
    index = make_index(policies, fake_encoder, tmp_path, weights=Weights(covered_at=0.3))
    result = index.search("zebra quantum marmalade", "parent")
    assert not result.covered and result.best is None


def test_baseline_modes_use_one_signal(policies, fake_encoder, tmp_path):
    keyword = make_index(policies, fake_encoder, tmp_path, mode="keyword")
    assert keyword.vectors is None
    combined, dense, kw = keyword.scores("friend pupils")
    assert np.array_equal(combined, kw) and not dense.any()
    dense_only = make_index(policies, fake_encoder, tmp_path, mode="dense")
    assert len(dense_only.owners) == len(dense_only.clauses)


def test_a_question_closer_to_one_the_policy_does_not_answer_loses_score(policies, fake_encoder, tmp_path):
    import dataclasses

    question = "what is the uniform policy for shoes"
    plain = make_index(policies, fake_encoder, tmp_path).search(question, "parent", covered_at=float("-inf"))
    gated = [dataclasses.replace(p, not_covered=("what is the uniform policy for shoes and coats",)) for p in policies]
    index = make_index(gated, fake_encoder, tmp_path)
    result = index.search(question, "parent", covered_at=float("-inf"))
    assert result.hits[0].score < plain.hits[0].score - 0.1
    ok = index.search("staff must not friend pupils", "staff")
    assert ok.hits[0].score == make_index(policies, fake_encoder, tmp_path).search("staff must not friend pupils",
                                                                                     "staff").hits[0].score
