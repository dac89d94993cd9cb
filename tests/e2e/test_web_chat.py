"""The web chat in a real browser (Debian's Chromium driven by Playwright) against the real stack.

Screenshots go to test-artifacts/. axe-core (from npm, installed by scripts/test-tools.sh) checks
accessibility.
"""

from __future__ import annotations

import http.server
import threading
from urllib.parse import urlparse

import pytest

from tests.support.browser import ARTIFACTS, AXE, axe_violations

pytestmark = pytest.mark.stack

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
REPLY_TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser, running_stack):
    context = browser.new_context(viewport=DESKTOP, base_url=running_stack.base)
    page = context.new_page()
    page.requests = []
    page.dialogs = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def choose(page, role_title: str) -> None:
    page.goto("/")
    page.get_by_role("button", name=role_title).click()


def ask(page, text: str) -> None:
    """Type and send a message, then wait for the assistant's reply to it."""
    replies = page.locator(".msg.bot").count()
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    page.locator(".msg.bot").nth(replies).wait_for(timeout=REPLY_TIMEOUT_MS)
    page.locator("#typing").wait_for(state="hidden", timeout=REPLY_TIMEOUT_MS)


def only_gateway(page, base: str, also: tuple[str, ...] = ()) -> list[str]:
    allowed = {urlparse(base).netloc, *also}
    return [url for url in page.requests if not url.startswith("data:") and urlparse(url).netloc not in allowed]


def test_a_parent_sees_the_cited_clause_and_can_expand_it(browser, running_stack):
    context = browser.new_context(viewport=PHONE, base_url=running_stack.base, is_mobile=True, has_touch=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        choose(page, "Parent or carer")
        ask(page, "can my son go on snapchat at school?")
        summary = page.locator(".msg.bot details.cite summary").filter(has_text="D200 6.1").first
        summary.wait_for()
        clause = summary.locator("xpath=..").locator("blockquote")
        assert not clause.is_visible()
        summary.click()
        assert clause.inner_text() == "Pupils may not access social media during the school day."
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-chat-phone.png"), full_page=True)
        assert [u for u in requests if urlparse(u).netloc != urlparse(running_stack.base).netloc] == []
    finally:
        context.close()


def test_the_conversation_survives_a_reload(page, running_stack):
    choose(page, "Member of staff")
    ask(page, "can I friend a pupil?")
    before = page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId")
    page.reload()
    assert page.locator(".msg.me").first.inner_text().endswith("can I friend a pupil?")
    assert page.get_by_label("Your message").is_visible()  # the role is remembered too
    ask(page, "what about parents?")  # a follow-up only makes sense in the same conversation
    assert page.locator(".msg.bot details.cite summary").last.inner_text().startswith("D200 5.3")
    after = page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId")
    assert after == before and "." in after
    assert only_gateway(page, running_stack.base) == []


def test_helpful_feedback_is_stored(page, running_stack):
    from bot.database import open_database
    from bot.gateway.feedback import all_feedback

    choose(page, "Parent or carer")
    ask(page, "can my son go on snapchat at school?")
    page.get_by_role("button", name="Yes, this answer was helpful").click()
    page.get_by_text("Thank you for the feedback.").wait_for()
    sender = "web:" + page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId").split(".")[0]
    saved = [f for f in all_feedback(open_database(running_stack.settings.database_url())) if f.channel_user == sender]
    assert len(saved) == 1 and saved[0].helpful and "D200 6.1" in saved[0].clauses
    page.reload()
    assert page.get_by_text("Thank you for the feedback.").is_visible()  # remembered after a reload


def test_html_typed_by_a_user_is_shown_as_text(page):
    choose(page, "Pupil")
    ask(page, "<img src=x onerror=alert(1)>")
    assert page.locator(".msg.me .text").last.inner_text() == "<img src=x onerror=alert(1)>"
    assert page.locator("#log img").count() == 0 and page.dialogs == []


def test_the_whole_path_works_from_the_keyboard(page):
    page.goto("/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Parent or carer":
            break
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "message"
    page.keyboard.type("can my son go on snapchat at school?")
    page.keyboard.press("Enter")
    page.locator(".msg.bot details.cite").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    page.locator("#typing").wait_for(state="hidden")
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    page.keyboard.press("Enter")
    assert page.locator(".msg.bot details.cite[open] blockquote").first.is_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Report a concern":
            break
    page.keyboard.press("Enter")
    page.get_by_text("What I keep").wait_for(timeout=REPLY_TIMEOUT_MS)


def test_reporting_a_concern_shows_the_privacy_notice_first(page, running_stack):
    choose(page, "Parent or carer")
    page.get_by_role("button", name="Report a concern").click()
    first_reply = page.locator(".msg.bot").first
    first_reply.wait_for(timeout=REPLY_TIMEOUT_MS)
    assert "What I keep" in first_reply.inner_text() and "Who sees it" in first_reply.inner_text()
    page.locator(".msg.bot .quick button", has_text="No").last.click()
    page.get_by_text("What kind of thing are you reporting?").wait_for(timeout=REPLY_TIMEOUT_MS)
    assert page.locator(".msg.bot .quick button", has_text="Cyberbullying").last.is_enabled()
    page.get_by_role("button", name="Cyberbullying").last.click()
    page.get_by_text("When did it happen?").wait_for(timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "web-chat-report-desktop.png"), full_page=True)
    assert only_gateway(page, running_stack.base) == []


def test_no_serious_or_critical_accessibility_violations(browser, running_stack):
    assert AXE.exists(), "axe-core is not installed: run scripts/test-tools.sh (make test does)"
    context = browser.new_context(viewport=DESKTOP, base_url=running_stack.base, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/")
        found = axe_violations(page)
        choose(page, "Parent or carer")
        ask(page, "can my son go on snapchat at school?")
        page.locator(".msg.bot details.cite summary").first.click()
        found += axe_violations(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-chat-desktop.png"), full_page=True)
    finally:
        context.close()
    assert [v for v in found if v["impact"] in {"serious", "critical"}] == []


class _HostSite(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_embed_snippet_opens_the_chat_on_a_school_website(page, running_stack, tmp_path):
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Norris Bank Primary</title></head><body><h1>Norris Bank</h1>"
        f"<script src='{running_stack.base}/embed.js' defer></script></body></html>")
    port = running_stack.embed_site_port  # on EMBED_ALLOWED_ORIGINS, so the chat may be framed there
    site = http.server.ThreadingHTTPServer(("127.0.0.1", port), lambda *a: _HostSite(*a, directory=str(tmp_path)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        launcher = page.get_by_role("button", name="Questions about social media?")
        launcher.click()
        frame = page.frame_locator("iframe[title='Ask about the Social Media Policy']")
        frame.get_by_role("button", name="Parent or carer").click()
        frame.get_by_label("Your message").fill("can my son go on snapchat at school?")
        frame.get_by_label("Your message").press("Enter")
        frame.locator(".msg.bot details.cite summary", has_text="D200 6.1").first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.get_by_role("button", name="Close the chat").is_visible()
        assert only_gateway(page, running_stack.base, also=(f"127.0.0.1:{port}",)) == []
    finally:
        site.shutdown()
        site.server_close()


def phone_page(browser, running_stack):
    context = browser.new_context(viewport=PHONE, base_url=running_stack.base, is_mobile=True, has_touch=True)
    return context, context.new_page()


def in_view(page, locator) -> bool:
    """Is the top of this element on the screen and inside the conversation's visible area?"""
    box, log = locator.bounding_box(), page.locator("#log").bounding_box()
    return (box is not None and log is not None and 0 <= box["y"] < PHONE["height"]
            and log["y"] - 1 <= box["y"] < log["y"] + log["height"])


def test_on_a_phone_each_reply_comes_into_view_from_its_start(browser, running_stack):
    context, page = phone_page(browser, running_stack)
    try:
        choose(page, "Member of staff")
        welcome = page.locator(".welcome").bounding_box()
        assert welcome and welcome["height"] < PHONE["height"] / 8  # compact on a phone, with 999 in it
        assert "999" in page.locator(".welcome").inner_text()
        for question in ("can I friend a parent?", "can I use my own phone to take photos of pupils?",
                         "what should I do if a pupil sends me a friend request?", "can I post about the school?"):
            replies = page.locator(".msg.bot").count()
            ask(page, question)
            newest = page.locator(".msg.bot").nth(replies)
            assert in_view(page, newest), question
        page.screenshot(path=str(ARTIFACTS / "web-chat-phone-replies.png"))
    finally:
        context.close()


def test_on_a_phone_the_999_message_is_on_screen_when_it_is_sent(browser, running_stack):
    context, page = phone_page(browser, running_stack)
    try:
        choose(page, "Member of staff")
        for question in ("can I friend a parent?", "can I use my own phone to take photos of pupils?",
                         "what should I do if a pupil sends me a friend request?"):
            ask(page, question)
        ask(page, "a child just told me someone is coming to hurt them tonight")
        urgent = page.locator(".msg.bot").filter(has_text="999").last
        assert in_view(page, urgent)
        page.screenshot(path=str(ARTIFACTS / "web-chat-phone-999.png"))
    finally:
        context.close()


def test_the_review_notice_is_shown_once_per_conversation(page):
    choose(page, "Parent or carer")
    ask(page, "can my son go on snapchat at school?")
    ask(page, "can I post photos of the school play?")
    assert page.locator("#log").inner_text().count("was due for review") == 1


def test_a_new_conversation_clears_the_assistants_copy_of_the_old_one(page, running_stack):
    import httpx

    choose(page, "Member of staff")
    ask(page, "I need to report something")
    old = page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId")
    sender = "web:" + old.split(".")[0]

    def said() -> list[str]:
        tracker = httpx.get(f"{running_stack.settings.RASA_URL}/conversations/{sender}/tracker",
                            params={"token": running_stack.settings.RASA_TOKEN}, timeout=30).json()
        return [e.get("text") for e in tracker["events"] if e.get("event") == "user"]

    assert "I need to report something" in said()
    with page.expect_response("**/api/conversations/end") as ended:
        page.get_by_role("button", name="Start a new conversation").click()
    assert ended.value.status == 200
    assert said() == [] and page.locator(".msg").count() == 0
    ask(page, "can I friend a parent?")
    new = page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId")
    assert new != old


def test_when_the_conversation_has_expired_the_page_starts_a_new_one_and_says_so(page):
    choose(page, "Parent or carer")
    ask(page, "can my son go on snapchat at school?")
    old = page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId")
    status = page.evaluate("""async (id) => (await fetch('/api/conversations/end', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({conversation_id: id})})).status""", old)
    assert status == 200  # as if it had been idle too long: the gateway now refuses the id
    ask(page, "can I post photos of the school play?")
    assert page.get_by_text("so a new one has started").is_visible()
    assert "D200" in page.locator(".msg.bot").last.inner_text()
    assert page.evaluate("JSON.parse(sessionStorage.getItem('heatons-policy-chat')).conversationId") != old


def test_a_refused_message_says_why_and_keeps_what_was_typed(page):
    """The gateway's answer when it is too busy even after the wait (bot/gateway/guard.py): 503, Retry-After and a
    problem body with no messages. The page says so and gives the words back to send again."""
    choose(page, "Parent or carer")
    page.route("**/api/chat", lambda route: route.fulfill(
        status=503, headers={"Retry-After": "2"}, content_type="application/json",
        body='{"error": "busy", "message": "The assistant is very busy. Please try again in a moment."}'))
    page.get_by_label("Your message").fill("can I post photos of the school play?")
    page.keyboard.press("Enter")
    page.get_by_text("The assistant is very busy").wait_for(timeout=REPLY_TIMEOUT_MS)
    assert page.get_by_label("Your message").input_value() == "can I post photos of the school play?"
    assert page.locator(".msg.me").count() == 0  # not shown as sent: it was not
    page.unroute("**/api/chat")
    ask(page, page.get_by_label("Your message").input_value())
    assert "D200" in page.locator(".msg.bot").last.inner_text()
