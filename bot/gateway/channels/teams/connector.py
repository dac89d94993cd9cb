"""Sending to Teams through the Bot Connector service with Microsoft's SDK (botframework-connector).

The bot signs in as its app registration: a client secret or a certificate, in the bot's own
tenant (single-tenant) or Bot Framework's (multi-tenant). Messages go only to serviceUrl hosts
on the allow-list (TEAMS_SERVICE_URL_HOSTS), over HTTPS. Where each person's personal chat is
(a conversation reference, no content) is kept in the database so the outbox can reach them.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

import msal
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from botframework.connector import ConnectorClient
from botframework.connector.auth import AppCredentials, CertificateAppCredentials, MicrosoftAppCredentials
from msrest.exceptions import ClientException, HttpOperationError

from bot import database
from bot.records import TeamsConversation, utcnow
from bot.settings import Settings

log = logging.getLogger("bot.teams")


class ConnectorError(Exception):
    """A message could not be delivered to Teams (already logged without content)."""


def allowed_service_url(service_url: object, hosts: set[str]) -> bool:
    if not isinstance(service_url, str):
        return False
    parts = urlsplit(service_url)
    return parts.scheme == "https" and (parts.hostname or "").lower() in hosts


def app_credentials(settings: Settings) -> AppCredentials:
    """The SDK's credentials, signing in with MSAL at TEAMS_LOGIN_URL (certificate when configured)."""
    tenant = settings.TEAMS_TENANT_ID or None
    secret: str | dict[str, str]  # MSAL's client_credential: a password, or a certificate's thumbprint and key
    if settings.TEAMS_CERTIFICATE_THUMBPRINT:
        key = Path(settings.TEAMS_CERTIFICATE_KEY_FILE).read_text(encoding="utf-8")
        credentials = CertificateAppCredentials(settings.TEAMS_APP_ID, settings.TEAMS_CERTIFICATE_THUMBPRINT, key,
                                                channel_auth_tenant=tenant)
        secret = {"thumbprint": settings.TEAMS_CERTIFICATE_THUMBPRINT, "private_key": key}
    else:
        credentials = MicrosoftAppCredentials(settings.TEAMS_APP_ID, settings.TEAMS_APP_PASSWORD,
                                              channel_auth_tenant=tenant)
        secret = settings.TEAMS_APP_PASSWORD
    credentials.oauth_endpoint = f"{settings.TEAMS_LOGIN_URL.rstrip('/')}/{credentials.tenant}"
    # The SDK builds this same MSAL client itself; building it here lets TEAMS_LOGIN_URL name a
    # sovereign or test authority without MSAL asking login.microsoftonline.com about it first.
    credentials.app = msal.ConfidentialClientApplication(
        settings.TEAMS_APP_ID, client_credential=secret, authority=credentials.oauth_endpoint,
        instance_discovery=False, timeout=15)
    return credentials


class Connector:
    """Blocking calls to the Bot Connector (run them in a thread from async code)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hosts = settings.teams_hosts()
        self._credentials: AppCredentials | None = None
        self._clients: dict[str, ConnectorClient] = {}
        self._lock = threading.Lock()

    def client(self, service_url: str) -> ConnectorClient:
        if not allowed_service_url(service_url, self.hosts):
            raise ConnectorError("serviceUrl host is not on TEAMS_SERVICE_URL_HOSTS")
        with self._lock:
            if self._credentials is None:
                self._credentials = app_credentials(self.settings)
            if service_url not in self._clients:
                client = ConnectorClient(self._credentials, base_url=service_url)
                client.config.retry_policy.retries = 3  # 429 and 5xx, honouring Retry-After
                self._clients[service_url] = client
            return self._clients[service_url]

    def _call(self, what: str, call):
        """Run one Bot Connector call (signing in first if need be); ConnectorError when it fails."""
        try:
            return call()
        except (ClientException, HttpOperationError, PermissionError, OSError, ValueError) as problem:
            log.error("Teams %s failed: %s", what, type(problem).__name__)
            raise ConnectorError(what) from None

    def reply(self, service_url: str, conversation_id: str, reply_to_id: str | None, activity: Activity) -> None:
        if reply_to_id:
            self._call("reply", lambda: self.client(service_url).conversations.reply_to_activity(
                conversation_id, reply_to_id, activity))
        else:
            self._call("message", lambda: self.client(service_url).conversations.send_to_conversation(
                conversation_id, activity))

    def member_role(self, service_url: str, conversation_id: str, member_id: str) -> str:
        """Teams' role for a member of a conversation: "user", or "guest" for a guest account."""
        raw = self._call("member lookup", lambda: self.client(service_url).conversations.get_conversation_member(
            conversation_id, member_id, raw=True))
        try:
            found = raw.response.json()
        except ValueError:
            raise ConnectorError("member lookup") from None
        return str(found.get("userRole") or "user") if isinstance(found, dict) else "user"

    def update(self, service_url: str, conversation_id: str, activity_id: str, activity: Activity) -> None:
        activity.id = activity_id
        self._call("update", lambda: self.client(service_url).conversations.update_activity(
            conversation_id, activity_id, activity))

    def open_personal_chat(self, service_url: str, tenant_id: str, bot_id: str, user_id: str) -> str:
        """The id of the bot's personal chat with a user (Teams returns the existing one if there is one)."""
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=bot_id), members=[ChannelAccount(id=user_id)], tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}})
        created = self._call("new chat", lambda: self.client(service_url).conversations.create_conversation(parameters))
        return created.id

    def personal_chat(self, database_url: str, user_key: str, tenant_id: str, bot_id: str, user_id: str,
                      service_url: str) -> tuple[str, str]:
        """(serviceUrl, conversation id) of the bot's personal chat with someone: the one they last used,
        else a new one opened at `service_url` (which needs their tenant) and remembered."""
        known = find_chat(database.open_database(database_url), user_key)
        if known is not None:
            return known.service_url, known.conversation_id
        if not tenant_id:
            raise ConnectorError("no Teams chat with this person yet (they must message the assistant once)")
        conversation_id = self.open_personal_chat(service_url, tenant_id, bot_id, user_id)
        remember_chat(database.open_database(database_url), user_key, tenant_id, user_id, bot_id, service_url, conversation_id)
        return service_url, conversation_id


def remember_chat(db: database.Database, user_key: str, tenant_id: str, user_id: str, bot_id: str, service_url: str,
                  conversation_id: str) -> None:
    with db.session() as session:
        row = session.get(TeamsConversation, user_key) or TeamsConversation(user_key=user_key)
        row.tenant_id, row.user_id, row.bot_id = tenant_id, user_id, bot_id
        row.service_url, row.conversation_id, row.updated_at = service_url, conversation_id, utcnow()
        session.merge(row)


def find_chat(db: database.Database, user_key: str) -> TeamsConversation | None:
    with db.session(read_only=True) as session:
        row = session.get(TeamsConversation, user_key)
        if row is not None:
            session.expunge(row)
        return row
