"""Every setting the assistant reads from the environment, with its default and meaning.

One frozen dataclass per process. ``.env.example`` and the README's settings table list
the same variables; tests/test_settings.py checks that the three agree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _setting(default, help_text: str):
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class Settings:
    GATEWAY_HOST: str = _setting("127.0.0.1", "Address the gateway listens on (the only public port).")
    GATEWAY_PORT: int = _setting(8000, "Port of the gateway: web page, /api/chat and /healthz.")
    RASA_URL: str = _setting(
        "http://127.0.0.1:5005", "Rasa server, reached over loopback (or a private network); several servers on "
                                 "other hosts may be listed, comma-separated.")
    RASA_SERVERS: int = _setting(
        1, "How many Rasa servers make run starts, on RASA_URL's port and the ports after it; the gateway spreads "
           "conversations over them and moves one to another server when its own is down.")
    ACTION_SERVER_URL: str = _setting(
        "http://127.0.0.1:5055", "Action server, reached by Rasa over loopback only."
    )
    ACTION_SERVER_SANIC_WORKERS: int = _setting(
        1, "Worker processes of the action server (rasa-sdk reads this name); each loads its own models.")
    RASA_TIMEOUT_SECONDS: float = _setting(30.0, "How long the gateway waits for Rasa before apologising.")
    GATEWAY_WORKERS: int = _setting(
        1, "Gateway worker processes on the one port; they share conversation keys, limits and redelivery checks "
           "through Redis.")
    GATEWAY_MAX_CONCURRENT: int = _setting(
        64, "Requests the gateway handles at once; more wait their turn (see GATEWAY_QUEUE_SECONDS).")
    GATEWAY_QUEUE_SECONDS: float = _setting(
        10.0, "Longest a request waits for a turn before 503 with Retry-After; at most 4 wait per request handled.")
    GATEWAY_BODY_TIMEOUT_SECONDS: float = _setting(10.0, "Longest a request body may take to arrive before a 408.")
    GATEWAY_HEADER_TIMEOUT_SECONDS: float = _setting(
        10.0, "Longest a connection may take to send a request's headers before it is closed.")
    EMBED_ALLOWED_ORIGINS: str = _setting(
        "", "Space-separated origins allowed to frame the web chat (the school's sites, https://...); empty: none.")
    MAX_MESSAGE_CHARS: int = _setting(1000, "Longest message accepted; longer ones are refused politely.")
    POLICY_CORPUS_DIR: str = _setting("policy_corpus", "Folder of policy files (relative to the project folder or absolute).")
    INDEX_CACHE_DIR: str = _setting(
        ".cache/index", "Where clause embeddings are cached (relative to the project folder or absolute)."
    )
    RETRIEVAL_MODEL_DIR: str = _setting(
        ".cache/retrieval", "Where the retrieval encoder fine-tuned on the phrasings is kept (trained by make setup if missing)."
    )
    TRIAGE_MODEL_DIR: str = _setting(
        ".cache/triage", "Where the fine-tuned safeguarding triage model is kept (trained by make setup when missing)."
    )
    RETRIEVAL_PRECISION: str = _setting(
        "float32", "How the retrieval encoder answers: float32 (exactly as trained) or int8 (feed-forward weights in 8 "
                   "bits: 1.5 ms faster a question, answers differ on about 1 question in 100); the triage is always float32.")
    ENCODER_THREADS: int = _setting(
        2, "Threads that encode one question for retrieval (ONNX Runtime); 2 uses both cores of a two-core machine "
           "(about 4 ms a question instead of 5), 1 keeps each action-server worker to one core.")
    SESSION_SECRET: str = _setting(
        "", "Key that signs web conversation ids; when empty, one is made once and kept in Redis (restarts keep it).")
    WEB_CONVERSATION_IDLE_MINUTES: float = _setting(
        60.0, "A web conversation with no message for this long expires; the page starts a new one and says so.")
    WEB_CONVERSATION_MAX_HOURS: float = _setting(12.0, "A web conversation expires this long after it began, however busy.")
    CHAT_LIMIT_PER_CONVERSATION: int = _setting(20, "Messages one web conversation may send per minute.")
    CHAT_LIMIT_PER_ADDRESS: int = _setting(60, "Messages (and new conversations) one network address may send per minute.")
    LOG_LEVEL: str = _setting("INFO", "Log level of the gateway and the outbox worker (DEBUG, INFO, WARNING).")
    DATA_DIR: str = _setting("var", "Folder of the SQLite database (relative to the project folder or absolute).")
    RUN_DIR: str = _setting(
        ".run", "Folder of the running stack's logs, generated configuration and state (relative to the project folder "
                "or absolute).")
    DATABASE_URL: str = _setting(
        "", "SQLAlchemy URL of the incident database, e.g. postgresql+psycopg://user@host/db; empty means SQLite in DATA_DIR."
    )
    DATABASE_OWNER_URL: str = _setting(
        "", "PostgreSQL URL as the tables' owner, for migrations and grants; DATABASE_URL's user then gets row rights only."
    )
    REDIS_URL: str = _setting(
        "", "Redis for Rasa's conversations and locks and the gateway's shared key, e.g. redis://:password@host:6379/0; "
            "empty: make run starts its own on loopback (REDIS_PORT), its data in DATA_DIR/redis.")
    REDIS_PORT: int = _setting(6390, "Loopback port of the Redis make run starts when REDIS_URL is empty.")
    REDIS_PASSWORD: str = _setting("", "Password of the Redis make run starts; a new one each run when empty.")
    CONVERSATION_KEEP_HOURS: float = _setting(
        12.0, "How long Rasa keeps a conversation in Redis after its last message (reports clear theirs sooner).")
    SCHOOL_TIMEZONE: str = _setting("Europe/London", "Time zone for reading and showing the times of incidents.")
    SCHOOL_DAY_START: str = _setting(
        "08:45", "When the school day starts (HH:MM): what \"this morning\" or \"before school\" mean in a report."
    )
    SCHOOL_LUNCH_TIME: str = _setting("12:00", "When lunch starts (HH:MM): what \"at lunch\" means in a report.")
    SCHOOL_DAY_END: str = _setting("15:15", "When the school day ends (HH:MM): what \"after school\" means in a report.")
    CONTACTS_FILE: str = _setting(
        "policy_corpus/contacts.yml", "Who is told about each kind of report (see the comments in the file)."
    )
    INDUCTION_PASS_MARK: int = _setting(80, "Percentage of quiz answers needed to pass the safeguarding induction.")
    RETENTION_REPORT_YEARS: int = _setting(25, "Years after it was received that a report's content is disposed of.")
    RETENTION_REGISTER_YEARS: int = _setting(6, "Years the induction register and induction progress are kept.")
    RETENTION_FEEDBACK_DAYS: int = _setting(
        365, "Days \"Helpful?\" answers, unanswered questions and Teams chat references are kept.")
    DSL_GROUP: str = _setting(
        "", "Operating-system group whose members may use `policybot incidents` and `audit` (empty: anyone).")
    SMTP_HOST: str = _setting("", "SMTP server for email notifications; empty means email waits in the outbox.")
    SMTP_PORT: int = _setting(25, "Port of the SMTP server.")
    SMTP_STARTTLS: bool = _setting(False, "Use STARTTLS with the SMTP server (true/false).")
    SMTP_CA_FILE: str = _setting("", "PEM file of the CA that signs the SMTP server's certificate, when it is not a public one.")
    SMTP_USERNAME: str = _setting("", "SMTP login name, if the server needs one.")
    SMTP_PASSWORD: str = _setting("", "SMTP password (from the environment only, never from a file in the repository).")
    SMTP_FROM: str = _setting("policy-assistant@localhost", "Sender address of notification emails.")
    OUTBOX_POLL_SECONDS: float = _setting(2.0, "How often the outbox worker looks for notifications to send.")
    OUTBOX_RETRY_SECONDS: float = _setting(30.0, "First wait before re-sending a failed notification; doubles each time.")
    OUTBOX_MAX_ATTEMPTS: int = _setting(10, "Attempts before a notification is marked failed (and escalated).")
    URGENT_ESCALATE_MINUTES: int = _setting(
        15, "Minutes an URGENT report may stay unacknowledged before the escalation contacts are told.")
    REPORTS_PER_HOUR: int = _setting(5, "Reports one person may make in an hour; the next is refused and the DSL alerted.")
    DESK_URL: str = _setting(
        "", "The desk's address as staff reach it (https://.../desk/); notifications then link to the report there.")
    DESK_IDLE_MINUTES: int = _setting(20, "Minutes without a click after which a desk session ends (sign in again).")
    DESK_SESSION_HOURS: int = _setting(10, "Hours after signing in that a desk session ends, however busy.")
    DESK_LOCK_AFTER_FAILURES: int = _setting(
        6, "Wrong passwords or codes in a row that lock a desk account (the last of them locks it).")
    DESK_LOCK_MINUTES: int = _setting(30, "Minutes a locked desk account stays locked (`policybot users unlock` ends it).")
    SLACK_BOT_TOKEN: str = _setting("", "Slack bot token (xoxb-...); Slack is off when empty.")
    SLACK_SIGNING_SECRET: str = _setting("", "Slack signing secret, for HTTP mode at /slack/events.")
    SLACK_APP_TOKEN: str = _setting("", "Slack app-level token (xapp-...); when set, Socket Mode is used (no public URL).")
    SLACK_TEAM_IDS: str = _setting(
        "", "Comma-separated Slack workspace ids whose members are served (others, Slack Connect too, are refused).")
    SLACK_API_URL: str = _setting("https://slack.com/api/", "Slack Web API address (changed only by tests).")
    TEAMS_APP_ID: str = _setting("", "Microsoft app (client) id of the Azure Bot registration; Teams is off when empty.")
    TEAMS_APP_PASSWORD: str = _setting("", "Client secret of the app registration (or use a certificate instead).")
    TEAMS_CERTIFICATE_THUMBPRINT: str = _setting("", "Thumbprint of the app's certificate, when it signs in with one.")
    TEAMS_CERTIFICATE_KEY_FILE: str = _setting("", "PEM file with the certificate's private key (kept outside the repository).")
    TEAMS_TENANT_ID: str = _setting(
        "", "Tenant id of a single-tenant bot (only that tenant is served); empty for a multi-tenant registration."
    )
    TEAMS_TENANT_IDS: str = _setting(
        "", "Comma-separated tenant ids a multi-tenant bot serves (others are refused); a single-tenant bot serves its own."
    )
    TEAMS_APP_WEBSITE: str = _setting(
        "", "School website (https) named in the Teams app package as its website, privacy and terms pages."
    )
    TEAMS_SERVICE_URL_HOSTS: str = _setting(
        "smba.trafficmanager.net", "Comma-separated hosts the bot may reply to (an activity's serviceUrl must be one)."
    )
    TEAMS_SERVICE_URL: str = _setting(
        "https://smba.trafficmanager.net/uk/", "Bot Connector address for messages to people who never wrote to the bot."
    )
    TEAMS_OPENID_METADATA_URL: str = _setting(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        "Where Bot Framework publishes its token signing keys (changed only by tests or sovereign clouds).",
    )
    TEAMS_LOGIN_URL: str = _setting(
        "https://login.microsoftonline.com/", "Microsoft Entra sign-in address for the bot's own tokens."
    )
    TEAMS_KEY_REFETCH_SECONDS: float = _setting(
        60.0, "Shortest wait between fetching the signing keys again because a token names an unknown key."
    )
    TEAMS_CLOCK_SKEW_SECONDS: int = _setting(300, "Clock difference allowed when checking a token's times.")
    RASA_TOKEN: str = _setting("", "Token for Rasa's loopback-only HTTP API; a new one is made for each run when empty.")
    ACTION_SERVER_TOKEN: str = _setting(
        "", "Token Rasa sends with every call to the action server; a new one is made for each run when empty.")

    def __post_init__(self):
        names = ("SCHOOL_DAY_START", "SCHOOL_LUNCH_TIME", "SCHOOL_DAY_END")
        times = [getattr(self, name) for name in names]
        for name, value in zip(names, times, strict=True):
            if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
                raise SystemExit(f"Setting {name}={value!r} is not a time of day like 08:45")
        if not _minutes(times[0]) < _minutes(times[1]) < _minutes(times[2]):
            raise SystemExit("SCHOOL_DAY_START, SCHOOL_LUNCH_TIME and SCHOOL_DAY_END must be in that order")
        if self.RETRIEVAL_PRECISION not in ("int8", "float32"):
            raise SystemExit(f"Setting RETRIEVAL_PRECISION={self.RETRIEVAL_PRECISION!r} must be int8 or float32")
        if not 1 <= self.ENCODER_THREADS <= 64:
            raise SystemExit(f"Setting ENCODER_THREADS={self.ENCODER_THREADS!r} must be a whole number from 1 to 64")

    def slack_mode(self) -> str | None:
        """"socket", "http" or None (Slack off), from which Slack settings are present."""
        if not self.SLACK_BOT_TOKEN:
            return None
        if self.SLACK_APP_TOKEN:
            return "socket"
        return "http" if self.SLACK_SIGNING_SECRET else None

    def teams_hosts(self) -> set[str]:
        return {h.strip().lower() for h in self.TEAMS_SERVICE_URL_HOSTS.split(",") if h.strip()}

    def teams_tenants(self) -> set[str]:
        """The tenants served: TEAMS_TENANT_IDS, and a single-tenant bot's own (empty set: any)."""
        return {t.strip() for t in self.TEAMS_TENANT_IDS.split(",") if t.strip()} | (
            {self.TEAMS_TENANT_ID} if self.TEAMS_TENANT_ID else set())

    def slack_teams(self) -> set[str]:
        """The Slack workspaces whose members are served (empty set: any)."""
        return {t.strip() for t in self.SLACK_TEAM_IDS.split(",") if t.strip()}

    def rasa_urls(self) -> list[str]:
        """The Rasa servers: those RASA_URL lists, or RASA_URL and, with RASA_SERVERS above 1, the same host on
        the ports after it."""
        listed = [u.strip().rstrip("/") for u in self.RASA_URL.split(",") if u.strip()]
        if len(listed) > 1:
            return listed
        url = urlsplit(listed[0] if listed else "http://127.0.0.1:5005")
        port = url.port or 80
        return [urlunsplit((url.scheme, f"{url.hostname}:{port + i}", url.path, "", ""))
                for i in range(max(1, self.RASA_SERVERS))]

    def redis_url(self) -> str:
        """REDIS_URL, or the Redis make run starts on loopback."""
        if self.REDIS_URL:
            return self.REDIS_URL
        password = f":{quote(self.REDIS_PASSWORD, safe='')}@" if self.REDIS_PASSWORD else ""
        return f"redis://{password}127.0.0.1:{self.REDIS_PORT}/0"

    def owner_url(self) -> str:
        """The database as its owner (migrations and grants): DATABASE_OWNER_URL, else the app's own URL."""
        return self.DATABASE_OWNER_URL or self.database_url()

    def database_url(self) -> str:
        """DATABASE_URL, or a SQLite file in DATA_DIR."""
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{self.path(self.DATA_DIR) / 'policybot.sqlite3'}"

    def path(self, value: str) -> Path:
        """A folder setting as an absolute path (relative ones are under the project folder)."""
        return Path(value) if Path(value).is_absolute() else ROOT / value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env: Mapping[str, str] = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name in env and env[f.name] != "":
                raw = env[f.name]
                try:
                    values[f.name] = _cast(f.default, raw)
                except ValueError:
                    raise SystemExit(f"Setting {f.name}={raw!r} is not a valid {type(f.default).__name__}") from None
        return cls(**values)


def _minutes(value: str) -> int:
    hours, minutes = value.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _cast(default, raw: str):
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return type(default)(raw)


SECRETS = ("SESSION_SECRET", "REDIS_PASSWORD", "SMTP_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
           "TEAMS_APP_PASSWORD", "RASA_TOKEN", "ACTION_SERVER_TOKEN")
URLS = ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL")


def shown_value(name: str, value: object) -> str:
    """A setting's value as it may be printed: secrets hidden, a database URL without its password."""
    if name in SECRETS:
        return "(set, hidden)" if value else ""
    text = str(value)
    if name in URLS and "://" in text and "@" in text:
        scheme, rest = text.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"
    return text


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for each setting, in declaration order."""
    return [(f.name, str(f.default), f.metadata["help"]) for f in fields(Settings)]
