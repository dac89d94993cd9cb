"""The DSL's desk in Debian's Chromium (Playwright) against the running stack: an account made with
`policybot users add`, sign-in with a password and an authenticator code, a report made through /api/chat a moment
before, taken from open to closed, linked to a pupil imported from a CSV, and found in the pupil's chronology.
axe-core checks every page (injected from the gateway's own origin, so the strict CSP stays on); screenshots go to
test-artifacts/."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import urlparse

import pyotp
import pytest

from bot.cli import stack
from tests.support.browser import ARTIFACTS, AXE, axe_violations

pytestmark = pytest.mark.stack

PASSWORD = "a long pass phrase for the desk"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1024}
AXE_URL = "/desk/static/axe-under-test.js"  # served by the test from node_modules, never by the gateway
REPORT = [
    ("I want to report a pupil who sent me a friend request", "immediate danger"),
    ("no", "When did it happen"),
    ("yesterday at 3pm", "Who was involved"),
    ("a Year 6 pupil", "What happened"),
    ("Jamie in 6B sent me a friend request on Instagram late last night", "evidence"),
    ("yes", "your name"),
    ("Pat Teacher", "contact you"),
    ("pat.teacher@school.example", "Here is your report"),
    ("yes", ""),  # send it
]
PUPILS = "UPN,Legal Surname,Forename,Reg Group,DOB\nK100,Hart,Jamie,6B,04/05/2015\nK101,Ng,Lily,6B,11/12/2014\n"


def policybot(settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], input=stdin, capture_output=True, text=True,
                          env=stack.child_environment(settings), timeout=120, check=False)


def check_page(page, name: str, found: dict) -> None:
    """axe-core on the page as it is, and a screenshot."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(url=page.url.split("/desk")[0] + AXE_URL)
    found[name] = axe_violations(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}.png"), full_page=True)


def say(running_stack, sender: str) -> str:
    reference = ""
    for message, expected in REPORT:
        response = running_stack.chat(message, sender=sender)
        assert response.status_code == 200, response.text
        body = response.json()["messages"]
        assert expected.lower() in "\n".join(m["text"] for m in body).lower(), (message, body)
        reference = next((m["incident"]["reference"] for m in body if m.get("incident")), reference)
    assert reference.startswith("INC-")
    return reference


def test_a_dsl_signs_in_and_takes_a_new_report_to_the_pupils_chronology(browser, running_stack, tmp_path):
    assert AXE.exists(), "axe-core is not installed: run scripts/test-tools.sh (make test does)"
    made = policybot(running_stack.settings, "users", "add", "dee.lane", "--name", "Dee Lane", "--role", "dsl",
                     "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0 and "Added dee.lane" in made.stdout, made.stderr
    reference = say(running_stack, "desk-reporter")
    pupils_csv = tmp_path / "pupils.csv"
    pupils_csv.write_text(PUPILS, encoding="utf-8")

    context = browser.new_context(viewport=DESKTOP, base_url=running_stack.base, locale="en-GB",
                                  timezone_id=running_stack.settings.SCHOOL_TIMEZONE)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    context.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    found: dict[str, list] = {}
    try:
        page.goto("/desk/reports")
        assert page.url.endswith("/desk/sign-in?next=/desk/reports")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "Skip to the content"
        check_page(page, "sign-in", found)
        page.get_by_label("Username").fill("dee.lane")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()

        page.get_by_role("heading", name="Set up your authenticator").wait_for()
        check_page(page, "enrol", found)
        secret = page.locator("#secret").inner_text()
        page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Finish and sign in").click()

        page.get_by_role("heading", name="Reports").wait_for()
        assert page.get_by_role("link", name=reference).is_visible()
        check_page(page, "reports", found)

        page.get_by_role("link", name="Pupils").click()
        page.get_by_label("CSV file").set_input_files(str(pupils_csv))
        page.get_by_role("button", name="Import").click()
        page.get_by_text("2 added, 0 updated").wait_for()
        check_page(page, "pupils", found)

        page.goto(f"/desk/reports/{reference}")
        assert "Jamie in 6B sent me a friend request" in page.locator(".description").inner_text()
        check_page(page, "report-new", found)
        page.get_by_role("button", name="Acknowledge").click()
        page.get_by_text("Acknowledged.", exact=True).wait_for()
        page.get_by_label("What was done").fill("Spoke to Jamie and his parents about contacting staff online")
        page.get_by_role("button", name="Save the action").click()
        page.get_by_text("Action recorded.").wait_for()
        page.get_by_label("Link to a pupil").select_option(label="Jamie Hart (6B)")
        page.get_by_role("button", name="Link", exact=True).click()
        page.get_by_text("now in their chronology").wait_for()
        page.get_by_label("Outcome").fill("Request declined and reported; parents spoken to; no further action")
        page.get_by_role("button", name="Close with this outcome").click()
        page.get_by_text("Closed with its outcome.").wait_for()
        check_page(page, "report-closed", found)

        page.get_by_role("link", name="Jamie Hart").click()
        page.get_by_role("heading", name="Chronology: Jamie Hart").wait_for()
        chronology = page.locator("table.chronology").inner_text()
        steps = (reference, "Report received", "Acknowledged", "Action: Spoke to Jamie", "Linked to this pupil",
                 "Closed: Request declined")
        assert [chronology.index(words) for words in steps] == sorted(chronology.index(words) for words in steps)
        check_page(page, "chronology", found)
        page.set_viewport_size(TABLET)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "desk-chronology-tablet.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible() and page.locator(".printonly").is_visible()
        page.emulate_media(media="screen")
        page.set_viewport_size(DESKTOP)

        for name, link in (("register", "Induction register"), ("gaps", "Gaps in the policy"),
                           ("access-log", "Access log")):
            page.get_by_role("link", name=link).click()
            page.get_by_role("heading", name=link).wait_for()
            check_page(page, name, found)
        assert reference in page.locator("table").inner_text()  # the DSL's own views are in the access log

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Sign in").wait_for()
        assert page.goto("/desk/reports") and page.url.endswith("/desk/sign-in?next=/desk/reports")
        page.get_by_label("Username").fill("dee.lane")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name="Your code").wait_for()
        check_page(page, "code", found)
        next_step = pyotp.TOTP(secret)  # the code of the next 30 seconds: accepted, and never the one used above
        page.get_by_label("Six-digit code").fill(next_step.at(time.time() + next_step.interval))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Reports").wait_for()
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
    base = urlparse(running_stack.base).netloc
    assert [url for url in requests if not url.startswith("data:") and urlparse(url).netloc != base] == []


def test_questions_no_policy_answers_and_answers_marked_unhelpful_reach_the_gaps_without_who_asked(running_stack):
    from sqlalchemy import select

    from bot.database import open_database
    from bot.records import Feedback, UnansweredQuestion

    question = "what time does the school minibus leave on fridays?"
    response = running_stack.chat(question, role="parent", sender="gap-asker")
    assert [m for m in response.json()["messages"] if m.get("covered") is False], response.text
    answered = running_stack.chat("can my son use snapchat at school?", role="parent", sender="gap-feedback")
    [answer] = [m for m in answered.json()["messages"] if m.get("covered")]
    assert answer["question"] == "can my son use snapchat at school?"
    sent = running_stack.http.post("/api/feedback", json={
        "conversation_id": running_stack.conversation("gap-feedback"), "helpful": False, "answer": "a1",
        "clauses": [c["label"] for c in answer["citations"]], "question": answer["question"]})
    assert sent.status_code == 201, sent.text
    db = open_database(running_stack.settings.database_url())
    with db.session(read_only=True) as session:
        kept = [(q.question, q.audience) for q in session.scalars(select(UnansweredQuestion))]
        unhelpful = [f.question for f in session.scalars(select(Feedback).where(Feedback.helpful.is_(False)))]
    assert (question, "parent") in kept and "can my son use snapchat at school?" in unhelpful
    assert "snapchat" not in " ".join(q for q, _ in kept)  # an answered question is not a gap
