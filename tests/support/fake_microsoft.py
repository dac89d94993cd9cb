"""A local stand-in for the Microsoft services a Teams bot talks to, on one HTTPS loopback port:

- Bot Framework's OpenID metadata and signing keys (JWKS, with endorsements), from a test RSA
  key that can be rotated;
- Microsoft Entra's sign-in for the bot (tenant discovery and the client-credentials token);
- the Bot Connector service (new conversations, messages, replies, updates), recording calls.

It serves HTTPS because MSAL accepts only https authorities: a test CA signs its certificate,
and `ca_bundle` (certifi's roots plus that CA) is what the gateway and worker are told to trust.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import itertools
import json
import re
import ssl
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote

import certifi
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from bot.cli.stack import free_port

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """(certificate, private key, CA bundle) for a server on 127.0.0.1, signed by a fresh test CA."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("policy assistant test CA")).issuer_name(_name("policy assistant test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path, bundle = folder / "server.pem", folder / "server.key", folder / "ca-bundle.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, bundle


class SigningKey:
    def __init__(self, kid: str, endorsements: tuple[str, ...] = ("msteams",)):
        self.kid, self.endorsements = kid, list(endorsements)
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return public | {"kid": self.kid, "use": "sig", "endorsements": self.endorsements}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


class FakeMicrosoft:
    def __init__(self, folder: Path, app_id: str, app_password: str):
        self.app_id, self.app_password = app_id, app_password
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self.metadata_url = f"{self.base}/botframework/v1/.well-known/openidconfiguration"
        self.login_url = f"{self.base}/"
        self.service_url = f"{self.base}/teams/"
        self.cert, self.key, self.ca_bundle = make_tls_files(folder)
        self.keys = [SigningKey("key-1")]
        self.calls: list[dict] = []  # Bot Connector calls: method, path, auth, body
        self.token_requests: list[dict] = []
        self.key_fetches = 0
        self.issued_tokens: set[str] = set()
        self.guests: set[str] = set()  # Teams ids the member lookup calls guests
        self.unknown_members: set[str] = set()  # Teams ids the member lookup does not find
        self.without_app: set[str] = set()  # Teams ids for whom opening a personal chat is refused (403)
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake.get(self)

            def do_POST(self) -> None:
                fake.post(self, "POST")

            def do_PUT(self) -> None:
                fake.post(self, "PUT")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # Tokens Bot Framework would send ------------------------------------------------------------

    def token(self, service_url: str, *, key: SigningKey | None = None, audience: str | None = None,
              issuer: str = BOT_FRAMEWORK_ISSUER, expires_in: int = 600, algorithm: str = "RS256",
              claims: dict | None = None) -> str:
        key = key or self.keys[-1]
        now = int(time.time())
        payload = {"iss": issuer, "aud": audience or self.app_id, "serviceurl": service_url,
                   "nbf": now - 60, "iat": now - 60, "exp": now + expires_in} | (claims or {})
        return jwt.encode(payload, key.private, algorithm=algorithm, headers={"kid": key.kid})

    def rotate(self) -> SigningKey:
        """Publish a new signing key in place of the current one (as Microsoft does from time to time)."""
        key = SigningKey(f"key-{len(self.keys) + 1}")
        with self.lock:
            self.keys = [key]
        return key

    # The server ------------------------------------------------------------------------------

    def get(self, handler) -> None:
        path = handler.path
        if path == "/botframework/v1/.well-known/openidconfiguration":
            return self._send(handler, 200, {"issuer": BOT_FRAMEWORK_ISSUER,
                                             "jwks_uri": f"{self.base}/botframework/v1/.well-known/keys",
                                             "id_token_signing_alg_values_supported": ["RS256"]})
        if path == "/botframework/v1/.well-known/keys":
            with self.lock:
                self.key_fetches += 1
                keys = [k.jwk() for k in self.keys]
            return self._send(handler, 200, {"keys": keys})
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = path.strip("/").split("/")[0]
            return self._send(handler, 200, {
                "issuer": f"{self.base}/{tenant}/v2.0",
                "authorization_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base}/{tenant}/oauth2/v2.0/token"})
        auth = handler.headers.get("Authorization") or ""
        with self.lock:
            self.calls.append({"method": "GET", "path": path, "auth": auth, "body": {}})
            authorised = auth.removeprefix("Bearer ") in self.issued_tokens
        member = re.fullmatch(r"/teams/v3/conversations/[^/]+/members/([^/?]+)", unquote(path))
        if member and not authorised:
            return self._send(handler, 401, {"error": {"code": "Unauthorized"}})
        if member:  # Teams' member lookup: userRole "guest" for guest accounts
            who = member.group(1)
            if who in self.unknown_members:
                return self._send(handler, 404, {"error": {"code": "MemberNotFoundInConversation"}})
            return self._send(handler, 200, {"id": who, "name": who, "userRole": "guest" if who in self.guests else "user"})
        self._send(handler, 404, {"error": {"code": "NotFound"}})

    def post(self, handler, method: str) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)).decode()
        path = unquote(handler.path)
        if path.endswith("/oauth2/v2.0/token"):
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            with self.lock:
                self.token_requests.append({"tenant": path.strip("/").split("/")[0], **form})
            if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password:
                return self._send(handler, 401, {"error": "invalid_client", "error_description": "bad secret"})
            token = f"bot-token-{uuid.uuid4().hex}"
            with self.lock:
                self.issued_tokens.add(token)
            return self._send(handler, 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": token})
        body = json.loads(raw or "{}")
        auth = handler.headers.get("Authorization") or ""
        call = {"method": method, "path": path, "auth": auth, "body": body}
        with self.lock:
            self.calls.append(call)
            authorised = auth.removeprefix("Bearer ") in self.issued_tokens
        if not authorised:
            return self._send(handler, 401, {"error": {"code": "Unauthorized"}})
        if path == "/teams/v3/conversations":
            member = (body.get("members") or [{}])[0].get("id", "someone")
            if member in self.without_app:  # what Teams answers when the app is not installed for that person
                return self._send(handler, 403, {"error": {"code": "Forbidden",
                                                           "message": "The bot is not part of the conversation roster."}})
            return self._send(handler, 201, {"id": f"a:personal-{member}"})
        self._send(handler, 200, {"id": f"reply-{next(self._ids)}"})

    @staticmethod
    def _send(handler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    # For the tests ---------------------------------------------------------------------------

    def messages_to(self, conversation_id: str) -> list[dict]:
        """Activities posted into a conversation (messages and replies), oldest first."""
        prefix = f"/teams/v3/conversations/{conversation_id}/activities"
        with self.lock:
            return [c for c in self.calls if c["method"] == "POST" and c["path"].startswith(prefix)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
