"""Who may see what on the desk, page by page and endpoint by endpoint; signed out, half signed in, CSRF,
lock-out and session expiry."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.records import AccessEntry, DeskSession, Incident
from tests.desk.conftest import PASSWORD, csrf_of

GET_PAGES = ("/desk/", "/desk/reports", "/desk/reports/INC-2026-0001", "/desk/pupils", "/desk/pupils/1",
             "/desk/register", "/desk/gaps", "/desk/access-log", "/desk/sign-in/code", "/desk/sign-in/enrol")
POSTS = ("/desk/reports/INC-2026-0001/acknowledge", "/desk/reports/INC-2026-0001/action",
         "/desk/reports/INC-2026-0001/assign", "/desk/reports/INC-2026-0001/link", "/desk/reports/INC-2026-0001/close",
         "/desk/pupils/import", "/desk/register/missing", "/desk/sign-in/code", "/desk/sign-in/enrol")
KINDS = ("sexting", "cyberbullying", "inappropriate_content", "firewall", "friend_request", "child_at_risk")


def _pupils_csv() -> bytes:
    return b"UPN,Forename,Surname,Reg Group\nA100,Amy,Brown,6B\nA101,Ben,Clark,5A\n"


@pytest.fixture
def school(desk):
    """One report of each kind (references in KINDS order), two pupils, an account of each role."""
    refs = {kind: desk.report(category=kind, description=f"what happened ({kind})") for kind in KINDS}
    from bot.desk.pupils import import_pupils

    import_pupils(desk.accounts.db, _pupils_csv())
    for name, role in (("dee.dsl", "dsl"), ("hal.head", "head"), ("nat.network", "network_manager"),
                       ("sam.slt", "slt"), ("eve.esafety", "e_safety")):
        desk.add(name, role)
    return refs


def test_no_page_or_form_is_reachable_signed_out(desk, school):
    client = desk.client()
    for path in GET_PAGES:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/desk/sign-in"), path
    for path in POSTS:
        response = client.post(path, data={"csrf": "x", "text": "t"})
        assert response.status_code in (303, 403), path
        assert "what happened" not in response.text
    assert desk.incidents.get(school["sexting"]).status == "open"


def test_a_password_without_the_code_reaches_no_page(desk, school):
    client = desk.client()
    response = desk.password_step(client, "dee.dsl")
    assert response.headers["location"].startswith("/desk/sign-in/code")
    for path in GET_PAGES[:8]:
        assert client.get(path).status_code == 303, path
    page = client.get("/desk/sign-in/code")
    assert client.post("/desk/reports/INC-2026-0001/acknowledge", data={"csrf": csrf_of(page)}).status_code == 303
    assert desk.incidents.get("INC-2026-0001").status == "open"


# role -> (kinds of report it opens, pupils, register, gaps, access log)
MATRIX = {
    "dee.dsl": (set(KINDS), True, True, True, True),
    "hal.head": (set(KINDS), True, True, True, False),
    "nat.network": ({"inappropriate_content", "firewall"}, False, False, False, False),
    "sam.slt": ({"cyberbullying"}, False, False, False, False),
    "eve.esafety": (set(), False, True, True, False),
}


@pytest.mark.parametrize("username", list(MATRIX))
def test_each_role_sees_exactly_what_its_row_allows(desk, school, username):
    kinds, pupils, register, gaps, access_log = MATRIX[username]
    client = desk.client()
    desk.sign_in(client, username)
    listing = client.get("/desk/reports")
    assert listing.status_code == (200 if kinds else 403)
    for kind, reference in school.items():
        assert (reference in listing.text) == (kind in kinds), (kind, listing.text[:200])
        page = client.get(f"/desk/reports/{reference}")
        assert page.status_code == (200 if kind in kinds else 403), kind
        assert (f"what happened ({kind})" in page.text) == (kind in kinds)
    for path, allowed in (("/desk/pupils", pupils), ("/desk/pupils/1", pupils), ("/desk/register", register),
                          ("/desk/gaps", gaps), ("/desk/access-log", access_log)):
        assert client.get(path).status_code == (200 if allowed else 403), path
    home = client.get("/desk/")
    assert home.headers["location"] == ("/desk/reports" if kinds else "/desk/register")


@pytest.mark.parametrize("username", ["nat.network", "sam.slt"])
def test_only_the_dsl_and_head_assign_link_or_import(desk, school, username):
    client = desk.client()
    desk.sign_in(client, username)
    reference = school["cyberbullying" if username == "sam.slt" else "firewall"]
    token = csrf_of(client.get(f"/desk/reports/{reference}"))
    assert client.post(f"/desk/reports/{reference}/link", data={"csrf": token, "pupil": "1"}).status_code == 403
    assert client.post(f"/desk/reports/{reference}/assign", data={"csrf": token, "username": username}).status_code == 403
    assert client.post("/desk/pupils/import", data={"csrf": token},
                       files={"file": ("p.csv", _pupils_csv(), "text/csv")}).status_code == 403
    assert client.post(f"/desk/reports/{reference}/acknowledge", data={"csrf": token}).status_code == 303
    assert desk.incidents.get(reference).status == "acknowledged"


def test_a_network_manager_opening_a_sexting_report_gets_403_and_the_attempt_is_logged(desk, school):
    client = desk.client()
    desk.sign_in(client, "nat.network")
    reference = school["sexting"]
    response = client.get(f"/desk/reports/{reference}")
    assert response.status_code == 403
    assert "what happened" not in response.text and "does not give access" in response.text
    token = csrf_of(client.get(f"/desk/reports/{school['firewall']}"))
    assert client.post(f"/desk/reports/{reference}/acknowledge", data={"csrf": token}).status_code == 403
    assert desk.incidents.get(reference).status == "open"
    entries = [e for e in desk.accounts.access_log(reference)]
    assert [(e.username, e.action, e.allowed) for e in entries] == [("nat.network", "refused", False)] * 2
    dsl = desk.client()
    desk.sign_in(dsl, "dee.dsl")
    page = dsl.get(f"/desk/reports/{reference}")
    assert "Who has seen this report" in page.text and "nat.network" in page.text and "refused" in page.text


def test_a_form_posted_without_its_csrf_token_is_refused(desk, school):
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    reference = school["sexting"]
    for data in ({}, {"csrf": ""}, {"csrf": "forged-token"}):
        response = client.post(f"/desk/reports/{reference}/acknowledge", data=data)
        assert response.status_code == 403 and "This form has expired" in response.text
        response = client.post(f"/desk/reports/{reference}/close", data={**data, "text": "closed"})
        assert response.status_code == 403
    assert desk.incidents.get(reference).status == "open"
    other = desk.client()  # another person's token is not this session's
    desk.sign_in(other, "hal.head")
    foreign = csrf_of(other.get(f"/desk/reports/{reference}"))
    assert client.post(f"/desk/reports/{reference}/acknowledge", data={"csrf": foreign}).status_code == 403
    signed_out = desk.client()  # the sign-in form, too, needs the token its cookie carries
    response = signed_out.post("/desk/sign-in", data={"csrf": "x", "username": "dee.dsl", "password": PASSWORD})
    assert response.status_code == 403 and "desk_session" not in response.headers.get("set-cookie", "")


def test_the_sixth_wrong_password_locks_the_account(desk, school):
    client = desk.client()
    for attempt in range(1, 6):
        response = desk.password_step(client, "dee.dsl", "wrong password!!")
        assert response.status_code == 401 and "not right" in response.text, attempt
    response = desk.password_step(client, "dee.dsl", "wrong password!!")
    assert response.status_code == 401 and "locked" in response.text
    response = desk.password_step(client, "dee.dsl")  # the right password does not open a locked account
    assert response.status_code == 401 and "locked" in response.text
    desk.clock.advance(minutes=desk.settings.DESK_LOCK_MINUTES + 1)
    assert desk.password_step(client, "dee.dsl").status_code == 303


def test_wrong_codes_count_towards_the_lock_and_a_code_works_once(desk, school):
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    used = desk.code("dee.dsl")
    again = desk.client()
    response = desk.password_step(again, "dee.dsl")
    page = again.get(response.headers["location"])
    response = again.post("/desk/sign-in/code", data={"csrf": csrf_of(page), "code": used, "next": "/desk/"})
    assert response.status_code == 401 and "already used" in response.text  # replayed within its 30 seconds
    for _ in range(4):
        response = again.post("/desk/sign-in/code", data={"csrf": csrf_of(page), "code": "000000", "next": "/desk/"})
        assert response.status_code == 401
    response = again.post("/desk/sign-in/code", data={"csrf": csrf_of(page), "code": "000000", "next": "/desk/"})
    assert "locked" in response.text
    assert again.get("/desk/reports").status_code == 303


def test_a_session_expires_after_inactivity_and_after_its_longest_life(desk, school):
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    desk.clock.advance(minutes=desk.settings.DESK_IDLE_MINUTES - 1)
    assert client.get("/desk/reports").status_code == 200  # a click keeps it alive
    desk.clock.advance(minutes=desk.settings.DESK_IDLE_MINUTES - 1)
    assert client.get("/desk/reports").status_code == 200
    desk.clock.advance(minutes=desk.settings.DESK_IDLE_MINUTES + 1)
    response = client.get("/desk/reports")
    assert response.status_code == 303 and response.headers["location"] == "/desk/sign-in?next=/desk/reports"
    desk.sign_in(client, "dee.dsl")
    for _ in range(desk.settings.DESK_SESSION_HOURS * 4):
        desk.clock.advance(minutes=15)
        assert client.get("/desk/reports").status_code == 200
    desk.clock.advance(minutes=1)  # ten hours and a minute after signing in, however busy
    assert client.get("/desk/reports").status_code == 303
    abandoned = desk.client()
    desk.sign_in(abandoned, "hal.head")  # never comes back
    desk.clock.advance(minutes=desk.settings.DESK_IDLE_MINUTES + 1)
    desk.sign_in(client, "dee.dsl")  # a sign-in clears the sessions nobody came back to
    with desk.accounts.db.session(read_only=True) as session:
        assert [s.user_id for s in session.scalars(select(DeskSession))] == [desk.accounts.by_name("dee.dsl").id]


def test_a_disabled_account_or_a_reset_second_factor_signs_out_at_once(desk, school):
    client = desk.client()
    desk.sign_in(client, "hal.head")
    desk.accounts.reset_second_factor("hal.head")
    assert client.get("/desk/reports").status_code == 303
    response = desk.password_step(client, "hal.head")
    assert response.headers["location"].startswith("/desk/sign-in/enrol")
    desk.accounts.disable("hal.head")
    response = desk.password_step(client, "hal.head")
    assert response.status_code == 401 and "switched off" in response.text
    assert "switched off" not in desk.password_step(client, "hal.head", "not the password").text


def test_cookies_are_http_only_strict_and_secure_over_https(desk, school):
    client = desk.client("https://desk.norrisbank.example")
    response = desk.password_step(client, "dee.dsl")
    cookie = response.headers["set-cookie"]
    assert "desk_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=strict" in cookie.lower() and "Path=/desk" in cookie
    desk.sign_in(client, "dee.dsl")
    page = client.get("/desk/reports")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["strict-transport-security"]


def test_next_never_leads_off_the_desk(desk, school):
    desk.add("e.safety", "e_safety", enrol=False)  # the one role that may sign in with a password alone
    client = desk.client()
    for target in ("https://evil.example/", "//evil.example/desk/", "/\\evil.example", "/api/chat", "javascript:x"):
        page = client.get("/desk/sign-in", params={"next": target})
        response = client.post("/desk/sign-in", data={"csrf": csrf_of(page), "username": "e.safety",
                                                      "password": PASSWORD, "next": target})
        assert response.headers["location"] == "/desk/", target


def test_the_access_log_records_every_view(desk, school):
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    client.get("/desk/reports")
    client.get(f"/desk/reports/{school['sexting']}")
    client.get("/desk/pupils/1")
    with desk.accounts.db.session(read_only=True) as session:
        seen = [(e.username, e.action, e.target) for e in session.scalars(select(AccessEntry).order_by(AccessEntry.id))]
    assert seen == [("dee.dsl", "listed", "reports"), ("dee.dsl", "viewed", school["sexting"]),
                    ("dee.dsl", "viewed", "pupil:1")]
    page = client.get("/desk/access-log")
    assert school["sexting"] in page.text


def test_the_desk_logs_no_report_or_action_text(desk, school, caplog):
    caplog.set_level(logging.DEBUG)
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    reference = school["sexting"]
    token = csrf_of(client.get(f"/desk/reports/{reference}"))
    client.post(f"/desk/reports/{reference}/action",
                data={"csrf": token, "taken_on": "24/11/2026", "taken_by": "D", "text": "Spoke to mum about the photos"})
    client.post(f"/desk/reports/{reference}/close", data={"csrf": token, "text": "Outcome: police informed"})
    desk.sign_in(desk.client(), "nat.network")
    assert desk.incidents.get(reference).status == "closed"
    for secret in ("what happened", "Spoke to mum", "police informed", PASSWORD):
        assert secret not in caplog.text
    with desk.accounts.db.session(read_only=True) as session:
        assert session.scalar(select(Incident.action_taken).where(Incident.reference == reference)) == \
            "Outcome: police informed"


def test_bad_input_gets_a_clear_page_never_a_500(desk, school):
    client = desk.client()
    client.get("/desk/sign-in")  # its cookie carries an ASCII token; a posted one that is not ASCII is refused
    assert client.post("/desk/sign-in", data={"csrf": "é", "username": "x", "password": "y"}).status_code == 403
    response = desk.password_step(client, "dee.dsl")
    code_page = client.get(response.headers["location"])
    response = client.post("/desk/sign-in/code", data={"csrf": csrf_of(code_page), "code": "١٢٣٤٥٦"})
    assert response.status_code == 401 and "not right" in response.text
    desk.sign_in(client, "dee.dsl")
    reference = school["sexting"]
    token = csrf_of(client.get(f"/desk/reports/{reference}"))
    assert client.get("/desk/pupils/²").status_code == 404
    assert client.get("/desk/pupils/99999999999999").status_code == 404
    assert client.get("/desk/reports/<script>").status_code == 404
    for data, problem in (({"taken_on": "31/02/2026", "text": "x"}, "not a day up to today"),
                          ({"taken_on": "01/01/2030", "text": "x"}, "not a day up to today"),
                          ({"taken_on": "24/11/2026", "text": "   "}, "Write what was done"),
                          ({"taken_on": "24/11/2026", "text": "x" * 4001}, "longer than 4000")):
        response = client.post(f"/desk/reports/{reference}/action", data={"csrf": token, **data}, follow_redirects=True)
        assert response.status_code == 200 and problem in response.text, problem
    response = client.post(f"/desk/reports/{reference}/link", data={"csrf": token, "pupil": "²"}, follow_redirects=True)
    assert "Choose a pupil" in response.text
    response = client.post("/desk/pupils/import", data={"csrf": token},
                           files={"file": ("p.csv", b"\x00\x01\x02binary", "application/octet-stream")})
    assert response.status_code == 422 and "not a CSV text file" in response.text
    response = client.post("/desk/pupils/import", data={"csrf": token},
                           files={"file": ("p.csv", b"Name,Email\nAmy,a@b\n", "text/csv")})
    assert response.status_code == 422 and "needs columns for an id" in response.text
    big = b"UPN,Forename,Surname,Reg Group,DOB\n" + b"".join(
        f"B{n:04d},Pupil{n},Family{n},{n % 7}A,01/09/2016\n".encode() for n in range(900))
    response = client.post("/desk/pupils/import", data={"csrf": token}, files={"file": ("p.csv", big, "text/csv")})
    assert response.status_code == 200 and "900 added" in response.text
    response = client.get(f"/desk/reports/{reference}?problem=<b>call+0800</b>&done=nonsense")
    assert "call 0800" not in response.text and "<b>" not in response.text
    assert client.post("/desk/reports/INC-2026-0001/nonsense", data={"csrf": token}).status_code == 403


def test_a_closed_report_takes_no_more_changes(desk, school):
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    reference = school["cyberbullying"]
    token = csrf_of(client.get(f"/desk/reports/{reference}"))
    client.post(f"/desk/reports/{reference}/close", data={"csrf": token, "text": "Resolved with both families"})
    for step, data in (("action", {"taken_on": "24/11/2026", "text": "late note"}), ("link", {"pupil": "1"}),
                       ("assign", {"username": "hal.head"}), ("acknowledge", {})):
        response = client.post(f"/desk/reports/{reference}/{step}", data={"csrf": token, **data}, follow_redirects=True)
        assert "That was not done" in response.text, step
    assert [e.action for e in desk.incidents.get(reference).audit] == ["created", "closed"]
