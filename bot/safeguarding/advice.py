"""What each kind of safeguarding message gets first, worded for the person who wrote it.

Danger and disclosures: what to do now (999, the Designated Safeguarding Lead in person) and an
urgent report in one tap. Sexual images: the section 9 guidance, and never a request for the image.
Bullying: the section 8 clauses that fit the asker, then "Report this". Pupils (aged 4 to 11) get
short words, a grown-up they trust and Childline. The Social Media Policy does not cover abuse or
danger, but the answer is never "not covered": the school's safeguarding duties come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from bot.contract import REPORT_INCIDENT, payload
from bot.safeguarding.cues import KINDS

CHILDLINE = "Childline (free, any time): 0800 1111"
CEOP = "CEOP (www.ceop.police.uk)"
REPORT_CATEGORY = {"danger": "child_at_risk", "disclosure": "child_at_risk", "sexual_images": "sexting",
                   "bullying": "cyberbullying"}
URGENT = ("danger", "disclosure")
ADULT_HARASSED = re.compile(r"\b(me|my|us|our|staff|teacher|colleague|head|ta)\b", re.I)
BY_PARENT = re.compile(r"\b(parent|parents|carer|mum|mom|dad|father|mother|family|families)\b", re.I)

TEXTS: dict[tuple[str, str], str] = {
    ("danger", "staff"): (
        "If anyone is in immediate danger, call 999 now. Then tell the Designated Safeguarding Lead{dsl} in "
        "person straight away: don't wait for this chat or an email. If a child is with you, stay with them."),
    ("disclosure", "staff"): (
        "This may be a disclosure: tell the Designated Safeguarding Lead{dsl} in person today, now if you can. "
        "If anyone is in immediate danger, call 999 first. With the child: listen and stay calm; don't promise to "
        "keep it a secret; don't investigate or ask leading questions; write down their exact words, with the time "
        "and date, and sign it."),
    ("danger", "parent"): (
        "If your child or anyone else is in immediate danger, call 999 now. Then tell the school's Designated "
        "Safeguarding Lead{dsl} as soon as you can (ask for them through the school office). If an adult has "
        "contacted a child online, asked to meet or asked for pictures, you can also report it to " + CEOP + "."),
    ("disclosure", "parent"): (
        "If anyone is in immediate danger, call 999 now. Tell the school's Designated Safeguarding Lead{dsl} "
        "as soon as you can (ask for them through the school office), or the police. Listen to your child, don't "
        "make them go over it again and again, and write down what they said. If an adult has contacted a child "
        "online, you can also report it to " + CEOP + "."),
    ("danger", "pupil"): (
        "Thank you for telling me. Please tell a grown-up you trust right now, like your teacher or your mum, dad "
        "or carer. If you are in danger now, call 999. You can talk to " + CHILDLINE + "."),
    ("disclosure", "pupil"): (
        "Thank you for telling me. You did the right thing. Please tell a grown-up you trust today, like your "
        "teacher. It is not your fault. If you are in danger now, call 999. You can talk to " + CHILDLINE + "."),
    ("sexual_images", "staff"): (
        "Do not view, copy, forward, save or delete the image, and don't ask anyone to send it to you. Secure the "
        "device (keep it safe, switched off) and tell the Designated Safeguarding Lead{dsl} in person now. "
        "Please don't send me any image or link either."),
    ("sexual_images", "parent"): (
        "Please don't forward, copy or share the image, even to show the school, and don't delete it yet. Tell "
        "the school's Designated Safeguarding Lead{dsl} straight away. If an adult is involved, or someone is "
        "threatening to share pictures, contact the police or " + CEOP + ". Please don't send me the image."),
    ("sexual_images", "pupil"): (
        "You are not in trouble. Don't send the picture to anyone and don't delete it. Tell a grown-up you trust "
        "now, like your teacher or your mum, dad or carer. You can talk to " + CHILDLINE + ". Please don't send "
        "me the picture."),
    ("bullying", "staff"): "Bullying is taken seriously (D200 8.1). This is what the policy says:",
    ("bullying", "parent"): "I'm sorry this is happening. This is what the school's policy says:",
    ("bullying", "pupil"): (
        "I'm sorry this is happening. It is not your fault. Tell a grown-up you trust, like your teacher or your "
        "mum, dad or carer. Keep the messages: don't delete them. You can talk to " + CHILDLINE + "."),
}
ALSO: dict[str, dict[str, str]] = {  # added when the message is about this kind too, after the main advice
    "danger": {"staff": "If anyone is in immediate danger, call 999 now.",
               "parent": "If anyone is in immediate danger, call 999 now.",
               "pupil": "If you are in danger now, call 999."},
    "disclosure": {
        "staff": ("If a child has told you: listen and stay calm; don't promise to keep it a secret; don't "
                  "investigate or ask leading questions; write down their exact words, with the time and date."),
        "parent": ("If your child has told you: listen, don't make them go over it again and again, and write down "
                   "what they said."),
        "pupil": "It is not your fault."},
    "sexual_images": {
        "staff": ("If there is an image, do not view, copy, forward, save or delete it; secure the device. Please "
                  "don't send me any image or link."),
        "parent": "If there is an image, don't forward, copy or delete it, and please don't send it to me.",
        "pupil": "Don't send any picture to anyone, and don't send it to me."},
    "bullying": {"staff": "Keep the messages or posts as evidence: screenshots with dates and times.",
                 "parent": "Keep the messages as evidence: screenshots with dates and times.",
                 "pupil": "Keep the messages: don't delete them."},
}
# Bullying's line when the message may be about a sexual image too: nobody is asked to screenshot or keep a copy of
# a picture that may be an indecent image of a child (and 8.6, "screen prints", is not quoted).
SCREEN_PRINTS = "8.6"
ALSO_BESIDE_IMAGES: dict[str, str] = {
    "staff": "Write down what happened, when and who was involved; don't screenshot, save or forward any picture.",
    "parent": "Write down what happened and when; don't screenshot, save or forward any picture.",
    "pupil": "Don't delete the messages, and don't send any picture on.",
}
NOT_IN_TROUBLE = "You are not in trouble."
CLAUSES: dict[tuple[str, str], tuple[str, ...]] = {
    ("sexual_images", "staff"): ("9.1", "9.2", "9.3"),
    ("sexual_images", "parent"): ("9.1",),
    ("sexual_images", "pupil"): (),
    ("bullying", "pupil"): ("8.1", "8.2"),
    ("bullying", "parent"): ("8.2", "8.3", "8.4", "8.6"),
    ("bullying", "staff"): ("8.2", "8.6"),
    ("bullying", "staff-harassed"): ("8.5", "8.6", "8.7", "8.9"),
}


@dataclass(frozen=True)
class Advice:
    kind: str
    text: str
    buttons: list[dict] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)

    also: tuple[str, ...] = ()

    def payload(self) -> dict:
        """The json_message: which kind it is, and the clauses quoted (for each channel to render)."""
        return {"safeguarding": self.kind, "also": list(self.also), "urgent": self.kind in URGENT,
                "covered": bool(self.citations), "citations": self.citations, "notices": [], "question": ""}


def clause_numbers(kind: str, role: str, text: str) -> tuple[str, ...]:
    if kind == "bullying" and role == "staff" and BY_PARENT.search(text) and ADULT_HARASSED.search(text):
        return CLAUSES[("bullying", "staff-harassed")]
    return CLAUSES.get((kind, role), ())


def advice_for(kind: str, role: str | None, dsl: str, text: str, cite: Callable[[str], dict | None],
               numbers: tuple[str, ...] = (), also: tuple[str, ...] = ()) -> Advice:
    """The first thing said for a safeguarding message; `cite("9.1")` gives a clause's citation. `numbers`
    are clauses that answer this very message (from retrieval), quoted instead of the usual ones. `also`
    are other kinds the message is about too: each adds its own line (and images their section 9 clauses)."""
    role = role if role in ("staff", "parent", "pupil") else "staff"
    if kind == "danger":  # danger and disclosures come together: what to do if a child told you, every time
        also = (*also, "disclosure")
    also = tuple(dict.fromkeys(k for k in also if k != kind and not (k == "danger" and kind == "disclosure")))
    usual = clause_numbers(kind, role, text)
    chosen = list(numbers if numbers and usual else usual)  # pupils get no quotes for images, only what to do
    if "sexual_images" in also:
        chosen += [n for n in clause_numbers("sexual_images", role, text) if n not in chosen]
    images = kind == "sexual_images" or "sexual_images" in also
    if images:
        chosen = [n for n in chosen if n != SCREEN_PRINTS]
    citations = [c for c in (cite(n) for n in chosen) if c]
    lines = [TEXTS[(kind, role)].format(dsl=dsl)]
    if kind == "bullying" and images:
        lines[0] = lines[0].replace(ALSO["bullying"]["pupil"], ALSO_BESIDE_IMAGES["pupil"])
    if role == "pupil" and "sexual_images" in also:  # a child hears they are not in trouble first
        lines.insert(0, NOT_IN_TROUBLE)
    lines += [ALSO_BESIDE_IMAGES[role] if k == "bullying" and images else ALSO[k][role]
              for k in sorted(also, key=KINDS.index)]
    lines += [f"{c['label']}: “{c['text']}”" for c in citations]
    title = "Make an urgent report" if kind in URGENT else "Report this"
    if role == "pupil":
        title = "Tell the school" if kind in URGENT else "Report this to the school"
    button = {"title": title, "payload": payload(REPORT_INCIDENT, incident_category=REPORT_CATEGORY[kind])}
    return Advice(kind, "\n".join(lines), [button], citations, also)
