"""From class probabilities to a verdict: recall first, cue words, other kinds added (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.safeguarding.triage import CLASSES, Thresholds, Triage, decide

T = Thresholds()


def p(**given: float) -> np.ndarray:
    row = np.array([given.get(k, 0.0) for k in CLASSES])
    row[CLASSES.index("none")] += 1.0 - row.sum()
    return row


def test_clearly_none_is_none_and_a_short_message_without_cue_words_is_none():
    assert decide("what's the rule on sports day photos", p(bullying=0.2), T).kind == "none"
    assert not decide("and ex-pupils?", p(danger=0.9), T).concern  # "cancel", "quit", "start again" in a form, too


def test_a_short_message_is_bullying_when_the_model_says_so_more_than_anything_else():
    assert decide("nobody picks me", p(bullying=0.7), T).kind == "bullying"
    assert not decide("nobody picks me", p(bullying=0.45), T).concern  # not more likely than not
    assert not decide("nobody picks me", p(bullying=0.3, danger=0.6), T).concern  # short danger stays words-only
    assert decide("nobody picks me", p(bullying=0.6, danger=0.2), T).also == ("danger",)  # 999 is said too


def test_a_concern_when_none_is_not_clearly_most_likely_and_the_likeliest_kind_leads():
    verdict = decide("my son keeps being left out of the group at play", p(bullying=0.55), T)
    assert verdict.kind == "bullying" and verdict.kinds == ("bullying",)


def test_words_of_danger_win_when_the_meaning_does_not_rule_them_out():
    verdict = decide("he has a knife in his bag and says he'll use it", p(bullying=0.8, danger=0.06), T)
    assert verdict.kind == "danger" and "bullying" in verdict.also
    assert decide("he has a knife in his bag", p(bullying=0.99), T).kind == "bullying"  # below the cue floor


def test_other_likely_or_cued_kinds_are_added():
    verdict = decide("older boys made him take a photo in the changing rooms", p(disclosure=0.7, sexual_images=0.2), T)
    assert verdict.kind == "disclosure" and verdict.also == ("sexual_images",)
    cued = decide("she keeps sending nudes round the group chat", p(sexual_images=0.95, bullying=0.01), T)
    assert cued.kind == "sexual_images" and cued.also == ("bullying",)


def test_a_picture_passed_around_without_sexual_words_also_gets_the_bullying_clauses():
    mocking = decide("they posted a photo of him crying on snapchat", p(sexual_images=0.9, bullying=0.02), T)
    assert mocking.kind == "sexual_images" and mocking.also == ("bullying",)
    sexual = decide("they posted a naked photo of him on snapchat", p(sexual_images=0.9, bullying=0.02), T)
    assert sexual.kind == "sexual_images" and sexual.also == ()


def test_button_payloads_and_empty_messages_are_never_triaged():
    triage = Triage(lambda texts: np.tile(p(danger=1.0), (len(texts), 1)))
    assert not triage.check("/report_incident").concern and not triage.check("").concern
    assert triage.check("someone is coming to hurt me tonight").kind == "danger"


def test_arranging_to_meet_someone_known_online_is_danger_unless_the_meaning_all_but_rules_it_out():
    for text in ("im meeting my online bf after skool dont tell anyone", "gonna meet sumone from minecraft at the park",
                 "a lad off fortnite wants to meet up on saturday"):
        verdict = decide(text, p(danger=0.02, bullying=0.04), T)  # the model says none, 94% sure
        assert verdict.kind == "danger", text
    talk = decide("what does the policy say about meeting people you only know online?", p(danger=0.3), T)
    assert not talk.concern  # talking about the subject in general is left to the model
    asked = "are pupils allowed to meet up with someone they only know from online?"
    assert decide(asked, p(danger=0.02, bullying=0.04), T).kind == "danger"  # recall first: the model 94% sure
    assert not decide(asked, p(danger=0.01, bullying=0.01), T).concern  # the model 98% sure it is a question


def test_words_about_sexual_images_are_a_concern_and_never_give_way_to_a_policy_answer():
    from bot.safeguarding.answers import gives_way

    verdict = decide("found explicit videos in the history on a class ipad", p(sexual_images=0.06), T)
    assert verdict.kind == "sexual_images"
    answer = {"covered": True, "citations": [{"clause": "7.3"}]}
    assert not gives_way(verdict, answer)
    hesitant = decide("some boys were looking at something dodgy on the laptop", p(sexual_images=0.55), T)
    assert hesitant.kind == "sexual_images" and hesitant.also == ("bullying",) and gives_way(hesitant, answer)
    urgent_too = decide("some boys were looking at something dodgy on the laptop", p(sexual_images=0.5, danger=0.2), T)
    assert urgent_too.also == ("danger", "bullying") and not gives_way(urgent_too, answer)
    screen_prints = {"covered": True, "citations": [{"clause": "8.6"}]}
    assert not gives_way(hesitant, screen_prints)  # never to an answer asking for copies of a possible sexual image
    in_their_sections = {"covered": True, "citations": [{"clause": "8.2"}]}
    assert not gives_way(hesitant, in_their_sections)  # the answer leads with a section of one of its kinds


def test_a_hesitant_bullying_verdict_keeps_the_images_guidance_it_also_carries():
    from bot.safeguarding.answers import gives_way

    verdict = decide("the girls in my class were being weird about a picture", p(bullying=0.5, sexual_images=0.2), T)
    assert verdict.kind == "bullying" and verdict.also == ("sexual_images",)
    assert not gives_way(verdict, {"covered": True, "citations": [{"clause": "9.1"}]})
    assert gives_way(verdict, {"covered": True, "citations": [{"clause": "4.1"}]})


class Counting:
    """An encoder, counting its calls."""

    def __init__(self, encoder):
        self.encoder, self.name, self.calls = encoder, encoder.name, 0

    def encode(self, texts):
        self.calls += 1
        return self.encoder.encode(texts)


class CountingSoup:
    """The soup's surface: its encoder, and a fine-tuned head giving every vector `row`."""

    def __init__(self, encoder, row: np.ndarray):
        self.encoder, self.row = Counting(encoder), row

    def head(self, vectors):
        return np.tile(self.row, (len(vectors), 1))


def test_two_heads_read_one_encoding_and_average_their_probabilities(tmp_path, fake_encoder):
    from bot.safeguarding.triage import features, regression, softmax, two_heads

    prototypes = [("he said he will hurt me", "danger"), ("my dad hits me", "disclosure"),
                  ("someone sent me a nude", "sexual_images"), ("they keep calling me names", "bullying"),
                  ("can I friend a parent?", "none"), ("what is the SMART rule?", "none")]
    weights = regression(fake_encoder, prototypes, tmp_path, T)
    model = CountingSoup(fake_encoder, p(bullying=0.9))
    texts = ["my son keeps being left out of the group at play", "what time is it"]
    both = two_heads(model, weights).probabilities(texts)
    assert model.encoder.calls == 1
    regression_alone = softmax(features(texts, fake_encoder.encode(texts)) @ weights)
    assert np.allclose(both, (np.tile(p(bullying=0.9), (2, 1)) + regression_alone) / 2)
    assert two_heads(model, weights).probabilities([]).shape == (0, len(CLASSES))


def test_the_neighbour_head_votes_with_the_nearest_examples_weighted_by_closeness():
    from bot.safeguarding.triage import NEAREST_SCALE, Neighbours

    examples = Neighbours(np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.0, 2.0]]),
                          ["bullying", "danger", "none", "none"])
    near_bullying = examples.head(np.array([[3.0, 0.0]]), nearest=1)[0]  # length does not matter, only direction
    assert near_bullying[CLASSES.index("bullying")] == 1.0
    two = examples.head(np.array([[1.0, 0.0]]), nearest=2)[0]  # cosines 1.0 and 0.8
    expected = 1 / (1 + np.exp(NEAREST_SCALE * (0.8 - 1.0)))
    assert np.isclose(two[CLASSES.index("bullying")], expected)
    assert np.isclose(two[CLASSES.index("danger")], 1 - expected)
    everything = examples.head(np.array([[0.0, 1.0], [0.6, 0.8]]), nearest=50)  # more than there are: all of them
    assert np.allclose(everything.sum(axis=1), 1.0) and everything[0].argmax() == CLASSES.index("none")
    assert examples.head(np.zeros((0, 2))).shape == (0, len(CLASSES))
    assert examples.head(np.zeros((1, 2)))[0].sum() == 1.0  # an empty vector is no crash: every example ties
    assert np.allclose(examples.head(np.array([[1.0, 0.0]]), nearest=0), examples.head(np.array([[1.0, 0.0]]), 1))
    with pytest.raises(ValueError):  # a head with nothing to vote would pull every message towards none
        Neighbours(np.zeros((0, 2)), [])


def test_three_heads_add_the_neighbour_head_to_the_average_on_the_same_encoding(tmp_path, fake_encoder):
    from bot.safeguarding.triage import features, neighbours, regression, softmax, three_heads

    prototypes = [("he said he will hurt me", "danger"), ("they keep calling me names", "bullying"),
                  ("can I friend a parent?", "none")]
    weights = regression(fake_encoder, prototypes, tmp_path, T)
    nearest = neighbours(fake_encoder, prototypes, [("nobody will sit with me at lunch again", "bullying")], tmp_path)
    model = CountingSoup(fake_encoder, p(danger=0.9))
    texts = ["nobody will sit with me at lunch again", "what time is it"]
    three = three_heads(model, weights, nearest).probabilities(texts)
    assert model.encoder.calls == 1
    vectors = fake_encoder.encode(texts)
    alone = [np.tile(p(danger=0.9), (2, 1)), softmax(features(texts, vectors) @ weights), nearest.head(vectors)]
    assert np.allclose(three, sum(alone) / 3)
    assert nearest.head(vectors)[0].argmax() == CLASSES.index("bullying")  # the same words as a neighbour
    assert three[0][CLASSES.index("bullying")] > (alone[0][0] + alone[1][0])[CLASSES.index("bullying")] / 2


def test_the_running_triage_reads_the_neighbour_files_only_as_neighbours(tmp_path, monkeypatch):
    """The neighbour examples are never fine-tuned on or in the regression (fine-tuned on, they made danger recall
    worse); the neighbour head reads the prototypes and them."""
    from bot.safeguarding import triage as module

    seen: dict[str, list[str]] = {}

    class Model:
        encoder = None

    def soup(cache_dir, files):
        seen["fine-tuned"] = [t for pairs in files.values() for t, _ in pairs]
        return Model()

    def regression(encoder, prototypes, cache_dir, t):
        seen["regression"] = [t for t, _ in prototypes]
        return np.zeros((1, len(CLASSES)))

    def neighbours(encoder, prototypes, others, cache_dir):
        seen["prototypes"], seen["neighbours"] = [t for t, _ in prototypes], [t for t, _ in others]

    monkeypatch.setattr(module, "soup", soup)
    monkeypatch.setattr(module, "regression", regression)
    monkeypatch.setattr(module, "neighbours", neighbours)
    module.fine_tuned_triage(tmp_path)
    read_as_neighbours = {module.for_model(t) for t in seen["neighbours"]}
    assert len(read_as_neighbours) >= 1000
    assert seen["prototypes"] == seen["regression"] and len(seen["fine-tuned"]) == len(seen["regression"])
    assert not read_as_neighbours & {module.for_model(t) for t in seen["fine-tuned"] + seen["regression"]}


def test_no_question_of_the_independent_set_is_among_the_neighbour_examples():
    """../shared/eval/dev_questions.jsonl is measured, never learnt from: no neighbour example holds one of its
    questions, or sits whole inside one, once case and punctuation are set aside."""
    import json
    import re

    from bot.cli.triage_bench import DEV
    from bot.safeguarding.triage import prototype_files

    if not DEV.exists():
        pytest.skip("../shared/eval is not beside the project")
    words = lambda text: " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "  # noqa: E731
    questions = [words(json.loads(line)["q"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples = [words(t) for pairs in prototype_files(pattern="neighbours*.yml").values() for t, _ in pairs]
    assert len(questions) >= 200 and len(examples) >= 1000
    assert [e for e in examples for q in questions if q in e or (len(e.split()) >= 4 and e in q)] == []


def test_a_misspelt_kind_in_an_examples_file_is_an_error_not_a_loss(tmp_path):
    from bot.safeguarding.triage import prototype_files

    (tmp_path / "prototypes_x.yml").write_text("bullying:\n- they hide my bag\nbulying:\n- nobody sits with me\n")
    with pytest.raises(ValueError, match="bulying"):
        prototype_files(tmp_path)
    (tmp_path / "prototypes_x.yml").write_text("bullying:\n- they hide my bag\nnone:\n- when is sports day\n")
    assert prototype_files(tmp_path) == {"prototypes_x.yml": [("they hide my bag", "bullying"),
                                                              ("when is sports day", "none")]}


def test_a_readers_weights_are_trained_once_and_read_from_the_cache(tmp_path, fake_encoder, monkeypatch):
    from bot.safeguarding import triage as module

    prototypes = [("he said he will hurt me", "danger"), ("my dad hits me", "disclosure"),
                  ("someone sent me a nude", "sexual_images"), ("they keep calling me names", "bullying"),
                  ("can I friend a parent?", "none"), ("what is the SMART rule?", "none")]
    first = module.frozen_triage(fake_encoder, prototypes, tmp_path)
    assert len(list(tmp_path.glob("triage-weights-*.npy"))) == 1
    monkeypatch.setattr(module, "train", lambda *args: (_ for _ in ()).throw(AssertionError("trained again")))
    second = module.frozen_triage(fake_encoder, prototypes, tmp_path)
    texts = ["they keep calling me names", "what time is it"]
    assert np.allclose(first.probabilities(texts), second.probabilities(texts))


def test_danger_stated_outright_is_danger_even_when_the_model_is_sure_of_none():
    for text in ("my daughter is in danger right now", "I'm in danger", "a child is in immediate danger"):
        assert decide(text, p(), T).kind == "danger", text
    for text in ("I'm not in danger, just asking about TikTok", "what does the policy say about children in danger?",
                 "no one is in danger", "nobody's in immediate danger, it happened last week", "she isn't in danger"):
        assert not decide(text, p(), T).concern, text


def test_an_emergency_in_a_few_words_is_danger_even_when_the_model_is_sure_of_none():
    for text in ("kid on roof", "pupil collapsed, blue lips", "child sat on railway bridge wall",
                 "kids playing on the train tracks behind school", "she swallowed a load of paracetamol",
                 "stranger in the playground", "a man with a knife at the gates", "he's not breathing"):
        assert decide(text, p(), T).kind == "danger", text
    for text in ("what is the procedure if a child has a seizure on a trip?", "can we go on the roof garden",
                 "is there epipen training for lunchtime staff", "we walked on the bridge to school"):
        assert not decide(text, p(), T).concern, text


def test_a_missing_child_or_harm_hinted_is_a_danger_cue_the_model_decides_on():
    for text in ("my son never arrived at school today", "she hasn't come back from break", "im still at school and "
                 "no ones here", "theres gonna be a massive fight behind the mobile at 3", "won't be around much longer"):
        assert decide(text, p(danger=0.06), T).kind == "danger", text
        assert not decide(text, p(danger=0.01), T).concern, text


def test_an_emergency_during_an_activity_is_still_danger():
    for text in ("at swimming training she went under and isn't breathing", "he has a plan and he's on the roof now",
                 "at football practice a boy collapsed"):
        assert decide(text, p(), T).kind == "danger", text


def test_medical_words_in_ordinary_questions_are_not_emergencies():
    for text in ("does my child need to bring his epipen to school", "my son has epilepsy, can staff give him seizure "
                 "meds?", "she took some medicine for her cold, can she come in", "my son has anaphylaxis to nuts"):
        assert not decide(text, p(), T).concern, text


def test_emergency_words_in_everyday_wording_and_as_phones_type_them():
    for text in ("she isn\u2019t breathing", "he\u2019s choking", "kid on top of the school roof", "boy on the tracks",
                 "child drowning", "the teaching assistant collapsed in class", "she is fitting in the hall",
                 "he drank bleach", "she swallowed 20 paracetamol", "strangers in the playground", "pupil with a knife",
                 "child standing on the roof garden wall"):
        assert decide(text, p(), T).kind == "danger", text
    for text in ("Who looks after my son if he has a seizure on the trip?", "He had a fit of the giggles in assembly",
                 "He can't breathe through his nose with this cold, can he skip swimming?",
                 "Is there unconscious bias training for governors?", "The gazebo collapsed at sports day",
                 "The intruder alarm went off at school last night", "Is my son in danger of failing his SATs?",
                 "Can he bring his wooden train tracks for show and tell?", "what is the lockdown procedure",
                 "he's been having seizures since he was a baby, does the school have a care plan",
                 "She has taken all of her tablets now so the course is finished"):
        assert not decide(text, p(), T).concern, text


def test_a_child_taken_is_danger_but_a_parent_taking_their_child_is_not():
    for text in ("someone took my little sister from the playground", "a man grabbed a girl outside school",
                 "he pulled my son into his car", "she was snatched by a man"):
        assert decide(text, p(), T).kind == "danger", text
    for text in ("my mum took my brother out of school for a holiday, is that allowed",
                 "Dad pulled my son out of school early", "she took her daughter from school at lunch"):
        assert not decide(text, p(), T).concern, text


def test_a_child_lost_or_on_the_ice_and_an_online_contact_collecting_a_child_are_danger():
    for text in ("he's gone blue", "hes gone blue", "her lips are turning blue", "lost a child at the zoo",
                 "we've lost one of the kids on the trip", "lost my group on the trip",
                 "at the museum cant find my class", "my son is on the ice at the pond and its cracking",
                 "kids walking on the frozen canal"):
        assert decide(text, p(), T).kind == "danger", text
    for text in ("fortnite contact collecting pupil today", "a man from roblox says he is collecting me after school"):
        assert decide(text, p(danger=0.02, bullying=0.04), T).kind == "danger", text  # the model 94% sure of none
    for text in ("I lost my class's homework sheet", "lost my group chat password", "can't find my teacher's email",
                 "my dad is collecting me today, can I bring my phone?",
                 "the ice rink trip is on friday", "the sky has gone blue again",
                 "our team has gone blue this year", "who do I tell if we lose a child on a trip?"):
        assert not decide(text, p(), T).concern, text

