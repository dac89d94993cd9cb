"""Cue words and the advice for each kind of message, worded for the person (no model)."""

from __future__ import annotations

import json

import pytest

from bot.safeguarding import advice as a
from bot.safeguarding.cues import cue_kinds

CLAUSES = {"8.1": "Cyber bullying is taken seriously.", "8.2": "In the school day…", "8.3": "Outside…",
           "8.4": "Not investigated…", "8.5": "Staff never retaliate…", "8.6": "Evidence saved…",
           "8.7": "Parent invited in…", "8.9": "Police…", "9.1": "Sexting reported…", "9.2": "Who had it…",
           "9.3": "Searching phones…"}


def cite(number: str) -> dict | None:
    text = CLAUSES.get(number)
    return {"policy": "D200", "clause": number, "label": f"D200 {number}", "text": text} if text else None


@pytest.mark.parametrize("text, kind", [
    ("my frend sed she wants to kill her self", "danger"),
    ("he has a knife in his bag", "danger"),
    ("im meeting a guy i met on roblox", "danger"),
    ("her stepdad hits her", "disclosure"),
    ("he touches me in my privates", "disclosure"),
    ("someone asked me to send nudes", "sexual_images"),
    ("they keep sending me nasty messages", "bullying"),
    ("a post says someone will come into school and hurt the kids", "danger"),
    ("my friend is going to meet him on saturday", "danger"),
    ("what if he has already got our address", "danger"),
    ("his coach did things to him at camp", "disclosure"),
    ("a man asked to see under my top", "sexual_images"),
    ("he wants another one or hell show everyone", "sexual_images"),
    ("they filmed her crying and put it on tiktok", "bullying"),
    ("the year 6s take my lunch every day", "bullying"),
    ("bullys at playtime again", "bullying"),
    ("name calling in Y3 every day", "bullying"),
    ("a boy keeps taking his things", "bullying"),
    ("is it bullying if they keep saying my mum is poor", "bullying"),  # asked, with what happened
    ("bullying in Y5 - where do I log it?", "bullying"),
])
def test_cue_words_per_kind(text, kind):
    assert kind in cue_kinds(text)


@pytest.mark.parametrize("text", [
    "can my mum pick me up from school early?", "we are meeting him at parents evening on Thursday",
    "my mum took my phone off me for being cheeky", "can I put the school's address on my Facebook page?",
    "I will come into school and see the head tomorrow",
])
def test_everyday_words_near_the_new_cues_fire_none(text):
    assert cue_kinds(text) == []


def test_being_picked_up_by_someone_from_a_game_is_a_concern_whatever_the_model_says():
    from bot.safeguarding.cues import decisive_kinds

    assert decisive_kinds("the roblox man says hell pick me up") == ["danger"]
    assert decisive_kinds("my friend from minecraft wants to come round to my house") == ["danger"]
    assert decisive_kinds("what does the policy say about meeting people from roblox?") == []


@pytest.mark.parametrize("text", [
    "kill the lights on the whiteboard please", "I'm dying to see the photos of sports day",
    "my phone died at lunch", "I'm not in danger, just asking about TikTok", "nobody is hurt, it's a question",
    "the school play was a killer performance",
])
def test_safe_idioms_and_negations_fire_no_cue(text):
    assert cue_kinds(text) == []


@pytest.mark.parametrize("text", [
    "is being mean on a game cyber bullying?", "what counts as cyberbullying", "whats cyberbullying?",
    "will I be told if my child is accused of bullying?", "is it still bullying if it's only online",
])
def test_asking_what_bullying_is_fires_no_bullying_cue(text):
    assert "bullying" not in cue_kinds(text)


@pytest.mark.parametrize("text", [
    "is it my fault they bully me", "is that boy bullying my daughter again",
    "what is being done about the bullying of my son", "is this kid going to bully me again tomorrow",
])
def test_a_question_that_tells_of_bullying_keeps_its_cue(text):
    assert "bullying" in cue_kinds(text)


@pytest.mark.parametrize("kind", ["danger", "disclosure"])
def test_danger_and_disclosures_say_what_to_do_now_for_each_person(kind):
    staff = a.advice_for(kind, "staff", " (Jo Bloggs)", "x", cite)
    parent = a.advice_for(kind, "parent", "", "x", cite)
    pupil = a.advice_for(kind, "pupil", "", "x", cite)
    assert "999" in staff.text and "Designated Safeguarding Lead (Jo Bloggs) in person" in staff.text
    assert "999" in parent.text and "Designated Safeguarding Lead" in parent.text and "CEOP" in parent.text
    assert "grown-up you trust" in pupil.text and "0800 1111" in pupil.text
    for advice in (staff, parent, pupil):
        assert advice.payload()["urgent"] is True
        assert json.loads(advice.buttons[0]["payload"].split("report_incident", 1)[1]) == {
            "incident_category": "child_at_risk"}


def test_a_disclosure_tells_staff_how_to_listen():
    text = a.advice_for("disclosure", "staff", "", "x", cite).text
    for words in ("don't promise to keep it a secret", "don't investigate", "write down their exact words"):
        assert words in text


def test_sexual_images_never_ask_for_the_image_and_pupils_hear_they_are_not_in_trouble_first():
    pupil = a.advice_for("sexual_images", "pupil", "", "x", cite)
    staff = a.advice_for("sexual_images", "staff", "", "x", cite)
    assert pupil.text.startswith("You are not in trouble.")
    assert "Don't send the picture to anyone and don't delete it" in pupil.text
    assert "Do not view, copy, forward, save or delete" in staff.text and "D200 9.1" in staff.text
    for role in ("staff", "parent", "pupil"):
        text = a.advice_for("sexual_images", role, "", "x", cite).text.lower()
        assert "send me" not in text.replace("don't send me", "") and "describe" not in text


def test_bullying_quotes_the_clauses_that_fit_the_asker():
    def quoted(role, text="my son is bullied"):
        return [c["clause"] for c in a.advice_for("bullying", role, "", text, cite).citations]

    assert quoted("parent") == ["8.2", "8.3", "8.4", "8.6"]
    assert quoted("pupil") == ["8.1", "8.2"]
    assert quoted("staff", "a parent keeps posting nasty stuff about me on facebook") == ["8.5", "8.6", "8.7", "8.9"]
    assert a.advice_for("bullying", "parent", "", "x", cite).buttons[0]["title"] == "Report this"


def test_clauses_that_answer_the_message_are_quoted_instead():
    advice = a.advice_for("bullying", "parent", "", "x", cite, numbers=("8.3",))
    assert [c["clause"] for c in advice.citations] == ["8.3"]


def test_danger_advice_also_says_what_to_do_when_a_child_has_told_you():
    staff = a.advice_for("danger", "staff", "", "x", cite).text
    parent = a.advice_for("danger", "parent", "", "x", cite).text
    assert "call 999 now" in staff and "If a child has told you: listen" in staff
    assert "don't promise to keep it a secret" in staff
    assert "If your child has told you" in parent


def test_a_message_about_two_kinds_gets_both_and_a_child_hears_not_in_trouble_first():
    pupil = a.advice_for("disclosure", "pupil", "", "x", cite, also=("sexual_images",))
    assert pupil.text.startswith("You are not in trouble.")
    assert "Don't send any picture to anyone" in pupil.text and "0800 1111" in pupil.text
    staff = a.advice_for("disclosure", "staff", "", "x", cite, also=("sexual_images", "danger"))
    assert "do not view, copy, forward, save or delete it" in staff.text
    assert [c["clause"] for c in staff.citations] == ["9.1", "9.2", "9.3"]
    assert staff.text.count("999") == 1  # disclosure advice says 999 already
    assert staff.payload()["also"] == ["sexual_images"] and staff.payload()["urgent"] is True
    assert staff.buttons[0]["title"] == "Make an urgent report"
    bullied = a.advice_for("sexual_images", "parent", "", "x", cite, also=("bullying",))
    assert "Please don't send me the image" in bullied.text


@pytest.mark.parametrize("role", ["staff", "parent", "pupil"])
def test_nobody_is_asked_to_keep_copies_when_a_sexual_image_may_be_involved(role):
    """Bullying advice asks for screenshots as evidence (D200 8.6); beside a possible sexual image of a child it
    asks for a written note instead, and never quotes 8.6."""
    alone = a.advice_for("bullying", role, "", "a parent keeps posting about me", cite)
    assert "Keep the messages" in alone.text or "8.6" in [c["clause"] for c in alone.citations]
    for kind, also in (("sexual_images", ("bullying",)), ("bullying", ("sexual_images",))):
        advice = a.advice_for(kind, role, "", "they passed a picture of her round the class", cite, also=also)
        assert "evidence" not in advice.text and "Keep the messages" not in advice.text
        assert "8.6" not in [c["clause"] for c in advice.citations]
        if kind == "sexual_images":  # bullying's own line, in its no-copies form
            assert a.ALSO_BESIDE_IMAGES[role] in advice.text


def test_advice_covers_a_kind_when_it_carries_that_kinds_guidance():
    from bot.safeguarding.evaluation import covers, score

    assert covers("danger", ("disclosure",)) and covers("disclosure", ("danger",))
    assert covers("bullying", ("danger", "bullying")) and not covers("bullying", ("danger",))
    assert not covers("sexual_images", ())
    figures = score(["danger", "bullying", "none", "none"], ["disclosure", "danger", "none", "bullying"],
                    [("disclosure",), ("danger",), (), ("bullying",)])
    assert figures.kind("danger").recall == 0.0 and figures.kind("danger").advised == 1.0
    assert figures.kind("bullying").recall_any == 1.0 and figures.kind("bullying").advised == 0.0
    assert figures.false_alarms == 0.5


def test_the_sections_clauses_stand_in_for_the_askers_only_when_the_answer_leads_with_one():
    from bot.safeguarding.answers import answered_in_section

    def answer(*numbers: str) -> dict:
        return {"covered": True, "citations": [{"policy": "D200", "clause": n} for n in numbers]}

    assert answered_in_section(answer("8.4", "8.3", "6.6"), "bullying") == ("8.4", "8.3")
    assert answered_in_section(answer("5.10", "6.6", "8.8"), "bullying") == ()  # 8.8 third: the asker's clauses
    assert answered_in_section({"covered": False, "citations": []}, "bullying") == ()
    assert answered_in_section(None, "sexual_images") == ()
