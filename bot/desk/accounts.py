"""Desk accounts: Argon2 password hashes, a TOTP second factor, lock-out after repeated failures, and sessions
held in the database (the browser's cookie carries a random token; only its hash is stored).

Every function takes `now`, so the tests decide what time it is.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select

from bot.database import Database, Duplicate
from bot.desk.access import ROLES, role_of
from bot.incidents.service import as_utc
from bot.records import AccessEntry, DeskSession, DeskUser
from bot.settings import Settings

HASHER = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD = 12
ISSUER = "Heatons policy desk"
TOTP_STEP = 30
SIX_DIGITS = re.compile(r"[0-9]{6}")


class AccountProblem(ValueError):
    """A request about an account that cannot be done; the message says why, plainly."""


@dataclass(frozen=True)
class SignIn:
    """What a password (or code) attempt came to: ok, wrong, locked (until), or disabled."""

    outcome: str
    user: DeskUser | None = None
    locked_until: datetime | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountProblem(f"A password needs at least {MIN_PASSWORD} characters (a few words make a good one).")
    if password.strip().lower() == username.lower():
        raise AccountProblem("A password cannot be the account's name.")


class Accounts:
    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db

    # --- managing accounts (policybot users ...)

    def add(self, username: str, display_name: str, role: str, password: str, contact_key: str | None,
            now: datetime) -> DeskUser:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountProblem("A username is 2 to 60 letters, digits, dots, dashes or underscores, e.g. j.smith.")
        if role not in ROLES:
            raise AccountProblem(f"Unknown role {role!r}: one of {', '.join(ROLES)}.")
        if not display_name.strip():
            raise AccountProblem("Give the person's name (--name).")
        check_password_rules(password, username)
        user = DeskUser(username=username, display_name=display_name.strip()[:120], role=role, contact_key=contact_key,
                        password_hash=HASHER.hash(password), totp_secret=None, totp_last_step=0, failed_attempts=0,
                        locked_until=None, disabled=False, created_at=now)
        try:
            with self.db.session() as session:
                session.add(user)
        except Duplicate:
            raise AccountProblem(f"There is already an account called {username}.") from None
        return user

    def all(self) -> list[DeskUser]:
        with self.db.session(read_only=True) as session:
            return list(session.scalars(select(DeskUser).order_by(DeskUser.username)))

    def by_name(self, username: str) -> DeskUser | None:
        with self.db.session(read_only=True) as session:
            return session.scalars(select(DeskUser).where(DeskUser.username == username.strip().lower())).first()

    def _change(self, username: str, **values) -> DeskUser:
        with self.db.session() as session:
            user = session.scalars(select(DeskUser).where(DeskUser.username == username.strip().lower())
                                   .with_for_update()).first()
            if user is None:
                raise AccountProblem(f"There is no account called {username}.")
            for name, value in values.items():
                setattr(user, name, value)
            if values.get("disabled") or "totp_secret" in values or "password_hash" in values:
                session.execute(delete(DeskSession).where(DeskSession.user_id == user.id))  # signed out everywhere
        return user

    def disable(self, username: str) -> DeskUser:
        return self._change(username, disabled=True)

    def enable(self, username: str) -> DeskUser:
        return self._change(username, disabled=False, failed_attempts=0, locked_until=None)

    def reset_second_factor(self, username: str) -> DeskUser:
        """The person sets up a new authenticator at their next sign-in (a lost phone)."""
        return self._change(username, totp_secret=None, totp_last_step=0)

    def unlock(self, username: str) -> DeskUser:
        return self._change(username, failed_attempts=0, locked_until=None)

    def set_password(self, username: str, password: str) -> DeskUser:
        check_password_rules(password, username)
        return self._change(username, password_hash=HASHER.hash(password), failed_attempts=0, locked_until=None)

    # --- signing in

    def check_password(self, username: str, password: str, now: datetime) -> SignIn:
        with self.db.session() as session:
            user = session.scalars(select(DeskUser).where(DeskUser.username == username.strip().lower()[:60])
                                   .with_for_update()).first()
            if user is None:
                _verify(_dummy_hash(), password)  # an unknown name takes as long as a known one
                return SignIn("wrong")
            right = _verify(user.password_hash, password)  # always, so no answer comes sooner than another
            if user.locked_until and as_utc(user.locked_until) > now:
                return SignIn("locked", locked_until=as_utc(user.locked_until))
            if not right:
                return self._failed(user, now)
            if user.disabled:
                return SignIn("disabled")
            if not needs_second_factor(user):  # else the count goes on until the code is right too
                user.failed_attempts = 0
            if HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = HASHER.hash(password)
            return SignIn("ok", user)

    def check_code(self, user_id: int, code: str, secret: str | None, now: datetime) -> SignIn:
        """A six-digit code from the authenticator (the account's, or the one being set up), each accepted once."""
        with self.db.session() as session:
            user = session.get(DeskUser, user_id, with_for_update=True)
            if user is None or user.disabled:
                return SignIn("disabled")
            if user.locked_until and as_utc(user.locked_until) > now:
                return SignIn("locked", locked_until=as_utc(user.locked_until))
            step = matching_step(secret or user.totp_secret or "", code, now)
            if step is None or step <= user.totp_last_step:
                return self._failed(user, now)
            user.totp_last_step, user.failed_attempts = step, 0
            if secret:
                user.totp_secret = secret
            return SignIn("ok", user)

    def _failed(self, user: DeskUser, now: datetime) -> SignIn:
        user.failed_attempts += 1
        if user.failed_attempts >= self.settings.DESK_LOCK_AFTER_FAILURES:
            user.failed_attempts = 0
            user.locked_until = now + timedelta(minutes=self.settings.DESK_LOCK_MINUTES)
            return SignIn("locked", user, locked_until=user.locked_until)
        return SignIn("wrong", user)

    # --- sessions

    def start_session(self, user: DeskUser, stage: str, now: datetime, pending_secret: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with self.db.session() as session:
            session.execute(delete(DeskSession).where(or_(  # sessions nobody came back to end here
                DeskSession.last_seen_at < now - timedelta(minutes=self.settings.DESK_IDLE_MINUTES),
                DeskSession.created_at < now - timedelta(hours=self.settings.DESK_SESSION_HOURS))))
            session.add(DeskSession(token_hash=_token_hash(token), user_id=user.id, stage=stage,
                                    csrf=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
                                    pending_secret=pending_secret))
        return token

    def session_for(self, token: str | None, now: datetime) -> tuple[DeskSession, DeskUser] | None:
        """The signed-in (or signing-in) session behind a cookie, seen now; None when there is none, it has been
        idle too long, it is too old, or the account was disabled."""
        if not token or len(token) > 100:
            return None
        idle = timedelta(minutes=self.settings.DESK_IDLE_MINUTES)
        longest = timedelta(hours=self.settings.DESK_SESSION_HOURS)
        with self.db.session() as session:
            found = session.get(DeskSession, _token_hash(token), with_for_update=True)
            if found is None:
                return None
            user = session.get(DeskUser, found.user_id)
            if (user is None or user.disabled or now - as_utc(found.last_seen_at) > idle
                    or now - as_utc(found.created_at) > longest):
                session.delete(found)
                return None
            found.last_seen_at = now
            return found, user

    def end_session(self, token: str | None) -> None:
        if token:
            with self.db.session() as session:
                session.execute(delete(DeskSession).where(DeskSession.token_hash == _token_hash(token)))

    # --- who saw what

    def log_access(self, user: DeskUser, action: str, target: str, now: datetime, allowed: bool = True) -> None:
        with self.db.session() as session:
            session.add(AccessEntry(at=now, username=user.username, role=user.role, action=action, target=target[:80],
                                    allowed=allowed))

    def access_log(self, target: str | None = None, limit: int = 500) -> list[AccessEntry]:
        query = select(AccessEntry).order_by(AccessEntry.id.desc()).limit(limit)
        if target:
            query = query.where(AccessEntry.target == target)
        with self.db.session(read_only=True) as session:
            return list(session.scalars(query))


@cache
def _dummy_hash() -> str:
    return HASHER.hash("a password nobody has")


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (30 s) whose code this is, allowing one step either way for a slow phone clock."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not SIX_DIGITS.fullmatch(code):
        return None
    import pyotp

    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // TOTP_STEP
    for candidate in (step, step - 1, step + 1):  # this step's code first, so it is never taken for the next one
        if secrets.compare_digest(totp.at(candidate * TOTP_STEP).encode(), code.encode()):
            return candidate
    return None


def needs_second_factor(user: DeskUser) -> bool:
    return role_of(user.role).needs_second_factor or bool(user.totp_secret)
