"""The desk's pages under /desk/: sign-in (password, then a code from an authenticator), reports, pupils and
their chronologies, the access log, the induction register and the gaps in the policy.

Server-rendered (Jinja2, autoescaped), no JavaScript needed, forms protected by a per-session CSRF token, every
page checked against the account's role (bot.desk.access) and every view of a report or chronology logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile

from bot import database
from bot.desk import accounts as acc
from bot.desk import gaps, pupils
from bot.desk.access import Role, may_open, role_of, sees_reports, visible_kinds
from bot.incidents.categories import BY_KEY, CATEGORIES
from bot.incidents.contacts import Contacts, load_contacts
from bot.incidents.service import IncidentNotFound, IncidentService, StatusChangeRefused, as_utc, local_time
from bot.records import DeskSession, DeskUser, Incident, utcnow
from bot.settings import Settings

log = logging.getLogger("bot.desk")
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
COOKIE = "desk_session"
FORM_COOKIE = "desk_form"  # before sign-in: the sign-in form's CSRF token (double-submit)
MAX_FORM_BYTES = 2_000_000
MAX_TEXT = 4000
DONE = {
    "acknowledged": "Acknowledged.", "action": "Action recorded.", "assigned": "Assignment changed.",
    "linked": "Linked to the pupil: the report is now in their chronology.", "closed": "Closed with its outcome.",
    "imported": "Pupil list imported.",
}
PROBLEMS = {
    "no_text": "Write what was done before saving the action.",
    "long_text": f"That is longer than {MAX_TEXT} characters: shorten it or record it as two actions.",
    "bad_day": "That date is not a day up to today: use the date picker, or type it as dd/mm/yyyy.",
    "no_outcome": "Write the outcome before closing the report.",
    "no_pupil": "Choose a pupil from the list.",
    "no_user": "Choose a colleague who may see this kind of report.",
    "refused": "That was not done: the report changed in the meantime (it may already be acknowledged, assigned, "
               "linked to that pupil, or closed). The page now shows it as it is.",
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


class Desk:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utcnow):
        self.settings = settings
        self.clock = clock
        self.zone = ZoneInfo(settings.SCHOOL_TIMEZONE)
        self.db = database.open_database(settings.database_url())
        self.accounts = acc.Accounts(settings, self.db)
        self.incidents = IncidentService(settings, db=self.db)
        self.templates = _env()
        self._contacts: Contacts | None = None

    @property
    def contacts(self) -> Contacts:
        if self._contacts is None:
            self._contacts = load_contacts(self.settings.path(self.settings.CONTACTS_FILE))
        return self._contacts

    # --- rendering

    def page(self, request: Request, template: str, status: int = 200, user: DeskUser | None = None,
             csrf: str = "", **values: Any) -> HTMLResponse:
        role = role_of(user.role) if user else None
        html = self.templates.get_template(template).render(
            user=user, role=role, csrf=csrf, sees_reports=bool(role and sees_reports(role)), path=request.url.path,
            when=lambda moment: local_time(moment, self.zone), day=lambda d: d.strftime("%d/%m/%Y") if d else "",
            kind=lambda key: BY_KEY[key].label if key in BY_KEY else key, **values)
        response = HTMLResponse(html, status_code=status)
        response.headers["Cache-Control"] = "no-store"  # child-protection records are never cached
        return response

    def _secure(self, request: Request) -> bool:
        """Cookies are Secure except on this machine's own loopback over plain HTTP (a TLS proxy in front may
        forward plain HTTP from another host: the browser still sees HTTPS)."""
        return request.url.scheme == "https" or (request.url.hostname or "") not in ("127.0.0.1", "localhost", "::1")

    def sign_in_form(self, request: Request, next: str, problem: str | None = None, status: int = 200) -> HTMLResponse:
        """The sign-in page, with a fresh token for its form in a cookie of its own (there is no session yet)."""
        token = secrets.token_urlsafe(32)
        response = self.page(request, "sign_in.html", status, csrf=token, next=next, problem=problem)
        response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", secure=self._secure(request),
                            path="/desk")
        return response

    def _set_session(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=self._secure(request), path="/desk")

    # --- who is asking

    def current(self, request: Request) -> tuple[DeskSession, DeskUser] | None:
        return self.accounts.session_for(request.cookies.get(COOKIE), self.clock())

    def to_sign_in(self, request: Request) -> RedirectResponse:
        target = request.url.path if request.method == "GET" else "/desk/"
        return RedirectResponse(f"/desk/sign-in?next={quote(target)}", status_code=303)

    def refused(self, request: Request, user: DeskUser, csrf: str, target: str) -> HTMLResponse:
        self.accounts.log_access(user, "refused", target, self.clock(), allowed=False)
        log.warning("desk: %s (%s) was refused %s", user.username, user.role, target)
        return self.page(request, "message.html", 403, user, csrf, title="Not for this account",
                         message="Your account does not give access to this page. If you need it, ask the "
                                 "Designated Safeguarding Lead.")

    async def form(self, request: Request) -> dict[str, Any] | None:
        """The posted form, or None when it is too large or not a form."""
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
            return None
        try:
            data = await request.form(max_files=1, max_fields=20)
        except Exception:  # a malformed body is a refused form, never a 500
            return None
        return dict(data)

    def csrf_ok(self, data: dict[str, Any] | None, expected: str) -> bool:
        sent = data.get("csrf") if data else None
        return isinstance(sent, str) and bool(expected) and secrets.compare_digest(sent.encode(), expected.encode())

    def bad_form(self, request: Request, user: DeskUser | None = None, csrf: str = "") -> HTMLResponse:
        return self.page(request, "message.html", 403, user, csrf, title="This form has expired",
                         message="The page was open too long, or the form did not come from this desk. Go back, "
                                 "reload the page and try again: nothing was saved.")

    def router(self) -> APIRouter:  # noqa: C901 (one place lists every page)
        router = APIRouter(include_in_schema=False)
        desk = self

        async def signed_in(request: Request) -> tuple[DeskSession, DeskUser] | Response:
            found = await asyncio.to_thread(desk.current, request)
            if found is None or found[0].stage != "signed_in":
                return desk.to_sign_in(request)
            return found

        async def allowed(request: Request, may: Callable[[Role], bool], target: str
                          ) -> tuple[DeskSession, DeskUser] | Response:
            """The signed-in session when its role may do this; else the way to sign in, or a logged 403."""
            found = await signed_in(request)
            if isinstance(found, Response):
                return found
            if not may(role_of(found[1].role)):
                return desk.refused(request, found[1], found[0].csrf, target)
            return found

        async def allowed_form(request: Request, may: Callable[[Role], bool], target: str
                               ) -> tuple[DeskSession, DeskUser, dict[str, Any]] | Response:
            """`allowed`, then `posted`: the session and its form, or why not."""
            found = await allowed(request, may, target)
            if isinstance(found, Response):
                return found
            data = await posted(request, *found)
            return data if isinstance(data, Response) else (*found, data)

        async def posted(request: Request, session: DeskSession, user: DeskUser) -> dict[str, Any] | Response:
            """The posted form when it carries this session's token; else the refusal page (nothing changes)."""
            data = await desk.form(request)
            if data is None or not desk.csrf_ok(data, session.csrf):
                return desk.bad_form(request, user, session.csrf)
            return data

        # --- signing in

        @router.get("/desk/sign-in")
        async def sign_in_page(request: Request, next: str = "/desk/") -> Response:
            return desk.sign_in_form(request, _safe_next(next))

        @router.post("/desk/sign-in")
        async def sign_in(request: Request) -> Response:
            data = await desk.form(request)
            if not desk.csrf_ok(data, request.cookies.get(FORM_COOKIE, "")):
                return desk.bad_form(request)
            assert data is not None
            username, password = str(data.get("username", ""))[:200], str(data.get("password", ""))[:500]
            result = await asyncio.to_thread(desk.accounts.check_password, username, password, desk.clock())
            target = _safe_next(str(data.get("next", "/desk/")))
            if result.outcome != "ok" or result.user is None:
                log.info("desk: a sign-in was refused (%s)", result.outcome)
                return desk.sign_in_form(request, target, _sign_in_problem(result, desk.zone), 401)
            user = result.user
            if acc.needs_second_factor(user):
                stage, secret = ("password", None) if user.totp_secret else ("enrol", acc.new_secret())
            else:
                stage, secret = "signed_in", None
            desk.accounts.end_session(request.cookies.get(COOKIE))
            token = await asyncio.to_thread(desk.accounts.start_session, user, stage, desk.clock(), secret)
            page = {"password": "/desk/sign-in/code", "enrol": "/desk/sign-in/enrol"}.get(stage, target)
            response: Response = RedirectResponse(f"{page}?next={quote(target)}" if stage != "signed_in" else target,
                                                  303)
            desk._set_session(response, request, token)
            response.delete_cookie(FORM_COOKIE, path="/desk")
            if stage == "signed_in":
                log.info("desk: %s signed in", user.username)
            return response

        async def code_page(request: Request, template: str, stage: str, next: str, problem: str | None = None,
                            status: int = 200) -> Response:
            found = await asyncio.to_thread(desk.current, request)
            if found is None or found[0].stage != stage:
                return desk.to_sign_in(request)
            session, user = found
            values: dict[str, Any] = {"next": _safe_next(next), "problem": problem}
            if stage == "enrol" and session.pending_secret:
                uri = acc.provisioning_uri(session.pending_secret, user.username)
                values.update(secret=session.pending_secret, qr=_qr_data_uri(uri))
            return desk.page(request, template, status, None, session.csrf, who=user, **values)

        @router.get("/desk/sign-in/code")
        async def code_form(request: Request, next: str = "/desk/") -> Response:
            return await code_page(request, "code.html", "password", next)

        @router.get("/desk/sign-in/enrol")
        async def enrol_form(request: Request, next: str = "/desk/") -> Response:
            return await code_page(request, "enrol.html", "enrol", next)

        async def take_code(request: Request, stage: str, template: str) -> Response:
            found = await asyncio.to_thread(desk.current, request)
            if found is None or found[0].stage != stage:
                return desk.to_sign_in(request)
            session, user = found
            data = await desk.form(request)
            if not desk.csrf_ok(data, session.csrf):
                return desk.bad_form(request)
            assert data is not None
            target = _safe_next(str(data.get("next", "/desk/")))
            secret = session.pending_secret if stage == "enrol" else None
            result = await asyncio.to_thread(desk.accounts.check_code, user.id, str(data.get("code", ""))[:20], secret,
                                             desk.clock())
            if result.outcome == "ok":
                desk.accounts.end_session(request.cookies.get(COOKIE))  # a new token once fully signed in
                token = await asyncio.to_thread(desk.accounts.start_session, user, "signed_in", desk.clock())
                response = RedirectResponse(target, 303)
                desk._set_session(response, request, token)
                log.info("desk: %s signed in", user.username)
                return response
            log.info("desk: a code was refused (%s)", result.outcome)
            if result.outcome in ("locked", "disabled"):
                desk.accounts.end_session(request.cookies.get(COOKIE))
                refused = desk.sign_in_form(request, target, _sign_in_problem(result, desk.zone), 401)
                refused.delete_cookie(COOKIE, path="/desk")
                return refused
            return await code_page(request, template, stage, target,
                                   "That code is not right (or was already used). Type the six digits your "
                                   "authenticator shows now.", 401)

        @router.post("/desk/sign-in/code")
        async def code(request: Request) -> Response:
            return await take_code(request, "password", "code.html")

        @router.post("/desk/sign-in/enrol")
        async def enrol(request: Request) -> Response:
            return await take_code(request, "enrol", "enrol.html")

        @router.post("/desk/sign-out")
        async def sign_out(request: Request) -> Response:
            found = await asyncio.to_thread(desk.current, request)
            data = await desk.form(request)
            if found is not None and not desk.csrf_ok(data, found[0].csrf):
                return desk.bad_form(request, found[1], found[0].csrf)
            desk.accounts.end_session(request.cookies.get(COOKIE))
            response = RedirectResponse("/desk/sign-in", 303)
            response.delete_cookie(COOKIE, path="/desk")
            return response

        # --- home

        @router.get("/desk/")  # FastAPI sends the address without its slash here
        async def home(request: Request) -> Response:
            found = await signed_in(request)
            if isinstance(found, Response):
                return found
            role = role_of(found[1].role)
            return RedirectResponse("/desk/reports" if sees_reports(role) else "/desk/register", 303)

        # --- reports

        @router.get("/desk/reports")
        async def reports(request: Request) -> Response:
            found = await allowed(request, sees_reports, "reports")
            if isinstance(found, Response):
                return found
            session, user = found
            role = role_of(user.role)
            filters = {k: request.query_params.get(k, "").strip()[:80] for k in
                       ("status", "kind", "urgency", "since", "until", "person")}
            kinds = visible_kinds(role, user.contact_key, desk.contacts)
            found_reports = await asyncio.to_thread(desk.filtered, kinds, filters)
            desk.accounts.log_access(user, "listed", "reports", desk.clock())
            choices = [c for c in CATEGORIES if kinds is None or c.key in kinds]
            return desk.page(request, "reports.html", user=user, csrf=session.csrf, reports=found_reports,
                             filters=filters, kinds=choices, statuses=("open", "acknowledged", "closed"))

        def report_target(reference: str) -> str:
            return reference.strip().upper()[:20]

        async def open_report(request: Request, reference: str) -> tuple[DeskSession, DeskUser, Incident] | Response:
            found = await signed_in(request)
            if isinstance(found, Response):
                return found
            session, user = found
            try:
                incident = await asyncio.to_thread(desk.incidents.get, reference)
            except IncidentNotFound:
                incident = None
            role = role_of(user.role)
            if incident is None or not sees_reports(role):
                if not sees_reports(role):
                    return desk.refused(request, user, session.csrf, report_target(reference))
                return desk.page(request, "message.html", 404, user, session.csrf, title="No such report",
                                 message=f"There is no report {report_target(reference)}.")
            if not may_open(role, user.contact_key, desk.contacts, incident.category):
                return desk.refused(request, user, session.csrf, incident.reference)
            return session, user, incident

        @router.get("/desk/reports/{reference}")
        async def report(request: Request, reference: str) -> Response:
            opened = await open_report(request, reference)
            if isinstance(opened, Response):
                return opened
            session, user, incident = opened
            role = role_of(user.role)
            desk.accounts.log_access(user, "viewed", incident.reference, desk.clock())
            linked = pupils.pupils_of(desk.db, incident.id)
            values: dict[str, Any] = {
                "incident": incident, "routed": [desk.contacts.people[k].name if k in desk.contacts.people else k
                                                 for k in incident.routed_to],
                "actions": pupils.actions_of(desk.db, incident.id), "linked": linked,
                "colleagues": [u for u in desk.accounts.all() if not u.disabled and sees_reports(role_of(u.role))
                               and may_open(role_of(u.role), u.contact_key, desk.contacts, incident.category)],
                "today": desk.today().isoformat(), "done": DONE.get(request.query_params.get("done", "")),
                "problem": PROBLEMS.get(request.query_params.get("problem", "")),
            }
            if role.pupils:
                values["all_pupils"] = [p for p in pupils.find_pupils(desk.db, limit=5000) if p not in linked]
            if role.access_log:
                values["access"] = desk.accounts.access_log(incident.reference)
            return desk.page(request, "report.html", user=user, csrf=session.csrf, **values)

        @router.post("/desk/reports/{reference}/{step}")
        async def change(request: Request, reference: str, step: str) -> Response:
            opened = await open_report(request, reference)
            if isinstance(opened, Response):
                return opened
            session, user, incident = opened
            data = await posted(request, session, user)
            if isinstance(data, Response):
                return data
            role = role_of(user.role)
            if step not in ("acknowledge", "action", "assign", "link", "close") or (
                    step in ("assign", "link") and not role.manage):
                return desk.refused(request, user, session.csrf, f"{incident.reference} {step}"[:80])
            outcome = await asyncio.to_thread(desk.apply, step, incident, user, data)
            here = f"/desk/reports/{incident.reference}"
            if outcome in DONE:
                return RedirectResponse(f"{here}?done={outcome}", 303)
            return RedirectResponse(f"{here}?problem={outcome if outcome in PROBLEMS else 'refused'}", 303)

        # --- pupils

        @router.get("/desk/pupils")
        async def pupil_list(request: Request, q: str = "") -> Response:
            found = await allowed(request, lambda role: role.pupils, "pupils")
            if isinstance(found, Response):
                return found
            session, user = found
            found_pupils = pupils.find_pupils(desk.db, q)
            return desk.page(request, "pupils.html", user=user, csrf=session.csrf, pupils=found_pupils, q=q[:60],
                             imported=None, problem=None)

        @router.post("/desk/pupils/import")
        async def pupil_import(request: Request) -> Response:
            form = await allowed_form(request, lambda role: role.manage, "pupils import")
            if isinstance(form, Response):
                return form
            session, user, data = form
            upload = data.get("file")
            imported, problem = None, None
            if not isinstance(upload, UploadFile):
                problem = "Choose the CSV file exported from the school's MIS."
            else:
                try:
                    imported = await asyncio.to_thread(pupils.import_pupils, desk.db, await upload.read(MAX_FORM_BYTES))
                    log.info("desk: %s imported pupils (%d added, %d updated)", user.username, imported.added,
                             imported.updated)
                except pupils.PupilImportProblem as exc:
                    problem = str(exc)
            return desk.page(request, "pupils.html", 200 if problem is None else 422, user=user, csrf=session.csrf,
                             pupils=pupils.find_pupils(desk.db), q="", imported=imported, problem=problem)

        @router.get("/desk/pupils/{pupil_id}")
        async def chronology(request: Request, pupil_id: str) -> Response:
            found = await allowed(request, lambda role: role.pupils, f"pupil:{pupil_id[:20]}")
            if isinstance(found, Response):
                return found
            session, user = found
            child = pupils.pupil(desk.db, int(pupil_id)) if _number(pupil_id) else None
            if child is None:
                return desk.page(request, "message.html", 404, user, session.csrf, title="No such pupil",
                                 message="There is no pupil with that number.")
            desk.accounts.log_access(user, "viewed", f"pupil:{child.id}", desk.clock())
            entries = pupils.chronology(desk.db, child.id, desk.zone)
            return desk.page(request, "pupil.html", user=user, csrf=session.csrf, pupil=child, entries=entries,
                             printed=local_time(desk.clock(), desk.zone))

        # --- access log, register, gaps

        @router.get("/desk/access-log")
        async def access_log(request: Request) -> Response:
            found = await allowed(request, lambda role: role.access_log, "access log")
            if isinstance(found, Response):
                return found
            session, user = found
            desk.accounts.log_access(user, "viewed", "access log", desk.clock())
            return desk.page(request, "access_log.html", user=user, csrf=session.csrf,
                             entries=desk.accounts.access_log(request.query_params.get("target") or None))

        @router.get("/desk/register")
        async def register(request: Request) -> Response:
            found = await allowed(request, lambda role: role.register, "register")
            if isinstance(found, Response):
                return found
            session, user = found
            return desk.page(request, "register.html", user=user, csrf=session.csrf, **desk.register_values())

        @router.post("/desk/register/missing")
        async def missing(request: Request) -> Response:
            form = await allowed_form(request, lambda role: role.register, "register")
            if isinstance(form, Response):
                return form
            session, user, data = form
            upload = data.get("file")
            values = desk.register_values()
            if not isinstance(upload, UploadFile):
                values["problem"] = "Choose the staff list (a CSV file with a name column)."
            else:
                values.update(await asyncio.to_thread(desk.missing_from, await upload.read(MAX_FORM_BYTES)))
            return desk.page(request, "register.html", 422 if values.get("problem") else 200, user=user,
                             csrf=session.csrf, **values)

        @router.get("/desk/gaps")
        async def gap_page(request: Request) -> Response:
            found = await allowed(request, lambda role: role.gaps, "gaps")
            if isinstance(found, Response):
                return found
            session, user = found
            groups = await asyncio.to_thread(gaps.gaps_by_topic, desk.db, desk.sections())
            return desk.page(request, "gaps.html", user=user, csrf=session.csrf, groups=groups)

        return router

    # --- the work behind the pages

    def today(self):
        return self.clock().astimezone(self.zone).date()

    def filtered(self, kinds: frozenset[str] | None, filters: dict[str, str]) -> list[Incident]:
        found = [i for i in reversed(self.incidents.list(filters["status"] or None))
                 if kinds is None or i.category in kinds]
        if filters["kind"]:
            found = [i for i in found if i.category == filters["kind"]]
        if filters["urgency"] in ("urgent", "not_urgent"):
            found = [i for i in found if i.urgent == (filters["urgency"] == "urgent")]
        for name, keep in (("since", lambda i, d: as_utc(i.created_at).astimezone(self.zone).date() >= d),
                           ("until", lambda i, d: as_utc(i.created_at).astimezone(self.zone).date() <= d)):
            day = pupils.parse_day(filters[name], self.today() + timedelta(days=1)) if filters[name] else None
            if day:
                found = [i for i in found if keep(i, day)]
        if filters["person"]:
            words = filters["person"].lower()
            linked = {i.id: " ".join(p.name for p in pupils.pupils_of(self.db, i.id)) for i in found}
            found = [i for i in found if words in " ".join(
                [i.reporter_name, i.people_text or "", i.assigned_to or "", linked.get(i.id, "")]).lower()]
        return found

    def apply(self, step: str, incident: Incident, user: DeskUser, data: dict[str, Any]) -> str:
        """Do one thing to a report; the answer is a DONE key, a PROBLEMS key or the service's refusal."""
        actor = f"{user.display_name} ({user.username}, desk)"
        text = str(data.get("text", "")).strip()
        try:
            if step == "acknowledge":
                self.incidents.change_status(incident.reference, "acknowledged", actor)
                return "acknowledged"
            if step == "close":
                if not text:
                    return "no_outcome"
                if len(text) > MAX_TEXT:
                    return "long_text"
                self.incidents.change_status(incident.reference, "closed", actor, text)
                return "closed"
            if step == "action":
                day = pupils.parse_day(str(data.get("taken_on", "")), self.today())
                if not text:
                    return "no_text"
                if len(text) > MAX_TEXT:
                    return "long_text"
                if day is None:
                    return "bad_day"
                taken_by = str(data.get("taken_by", "")).strip()[:120] or user.display_name
                self.incidents.record_action(incident.reference, day, taken_by, text, actor)
                return "action"
            if step == "assign":
                name = str(data.get("username", "")).strip()
                colleague = self.accounts.by_name(name) if name else None
                if name and (colleague is None or colleague.disabled or not may_open(
                        role_of(colleague.role), colleague.contact_key, self.contacts, incident.category)):
                    return "no_user"
                self.incidents.assign(incident.reference, colleague.username if colleague else None, actor)
                return "assigned"
            pupil_id = str(data.get("pupil", ""))
            if not _number(pupil_id):
                return "no_pupil"
            self.incidents.link_pupil(incident.reference, int(pupil_id), actor)
            return "linked"
        except (StatusChangeRefused, IncidentNotFound):
            return "refused"

    def register_values(self) -> dict[str, Any]:
        from bot.induction.service import InductionService

        service = InductionService(self.settings)
        try:
            version = service.content.version
        except Exception:  # an induction that does not load still shows the register
            version = "(the induction could not be read)"
        return {"rows": service.register(), "version": version, "missing": None, "problem": None}

    def missing_from(self, data: bytes) -> dict[str, Any]:
        from bot.cli.register import StaffListProblem, staff_from_text
        from bot.induction.service import InductionService

        try:
            staff = staff_from_text(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, StaffListProblem) as exc:
            reason = str(exc) if isinstance(exc, StaffListProblem) else "that is not a CSV text file"
            return {"problem": f"The staff list could not be read: {reason}."}
        return {"missing": InductionService(self.settings).missing(staff), "listed": len(staff)}

    def sections(self) -> dict[str, str]:
        from bot.policy.corpus import load_corpus

        try:
            policies = load_corpus(self.settings.path(self.settings.POLICY_CORPUS_DIR))
        except Exception:
            return {}
        return {f"{p.code} {c.number}": f"{p.code} {c.section}" for p in policies for c in p.clauses}


def _number(text: str) -> bool:
    """A row number as typed in a URL or form: ASCII digits, not too many."""
    return text.isascii() and text.isdigit() and len(text) < 10


def _safe_next(target: str) -> str:
    """Only a page of the desk itself, never another site."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/desk/") or "\\" in target or "//" in target:
        return "/desk/"
    return parsed.path


def _sign_in_problem(result: acc.SignIn, zone: ZoneInfo) -> str:
    if result.outcome == "locked" and result.locked_until:
        return ("This account is locked after too many wrong attempts. Try again after "
                f"{result.locked_until.astimezone(zone).strftime('%H:%M')}, or ask the DSL to unlock it.")
    if result.outcome == "disabled":
        return "This account is switched off. Ask the DSL if you need it again."
    return "That username or password is not right."


def _qr_data_uri(text: str) -> str:
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=2, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

