"""Checking the token on every request Bot Framework sends to /api/messages.

Microsoft's rules for a request from the Bot Connector service, all enforced here:
the token is RS256/384/512 (never `none`, never HMAC), signed by a key Bot Framework
publishes at its OpenID metadata address, that key endorses the activity's channel, the issuer
is Bot Framework, the audience is this bot's app id, it has not expired (allowing a small clock
skew), and its `serviceurl` claim is the activity's `serviceUrl`. Signing keys are cached for a
day and fetched again at once when a token names a key the cache does not hold (Microsoft
rotates them), at most once per TEAMS_KEY_REFETCH_SECONDS so junk tokens cannot flood Microsoft.

The constants come from Microsoft's SDK (botframework-connector); the SDK's own validator is not
used because it fetches keys again at most hourly, blocks the event loop while it does, accepts
a token with no expiry, and checks endorsements only when a key happens to list some.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

import httpx
import jwt
from botframework.connector.auth import AuthenticationConstants
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger("bot.teams.auth")
ALGORITHMS = tuple(AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS)  # RS256, RS384, RS512
ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com
KEYS_MAX_AGE_SECONDS = 24 * 3600


class Unauthorized(Exception):
    """The request is refused with 401; the message says why (for the log, never the token)."""


class KeysUnavailable(Exception):
    """Bot Framework's signing keys could not be fetched: a 503, so Bot Framework sends again."""


@dataclass(frozen=True)
class SigningKey:
    public_key: RSAPublicKey
    endorsements: frozenset[str]


class SigningKeys:
    """Bot Framework's published keys by key id, fetched again when old or when an unknown id turns up."""

    def __init__(self, metadata_url: str, refetch_seconds: float, http: httpx.AsyncClient):
        self.metadata_url, self.refetch_seconds, self.http = metadata_url, refetch_seconds, http
        self.keys: dict[str, SigningKey] = {}
        self.fetched_at: float | None = None  # time.monotonic() of the last successful fetch
        self.tried_at: float | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> SigningKey | None:
        now = time.monotonic()
        if self.fetched_at is None and self.tried_at is not None and now - self.tried_at < self.refetch_seconds:
            raise KeysUnavailable  # the last fetch failed a moment ago: Bot Framework will send again
        if self.fetched_at is None or now - self.fetched_at > KEYS_MAX_AGE_SECONDS:
            await self._refresh(now, required=not self.keys)
        elif kid not in self.keys:
            if self.tried_at is not None and now - self.tried_at < self.refetch_seconds:
                # the refetch for this interval is used up: the key may be one Microsoft rotated in a moment ago,
                # so a 503 (Bot Framework sends again, by when a fetch is allowed), never a 401
                raise KeysUnavailable
            await self._refresh(now, required=False)
        return self.keys.get(kid)

    async def _refresh(self, asked_at: float, required: bool) -> None:
        async with self._lock:
            if self.tried_at is not None and self.tried_at >= asked_at:
                return  # another request fetched them while this one waited
            self.tried_at = time.monotonic()
            try:
                metadata = (await self._get_json(self.metadata_url))
                jwks = await self._get_json(str(metadata["jwks_uri"]))
                keys = {}
                for entry in jwks["keys"]:
                    if entry.get("kty") != "RSA" or not entry.get("kid"):
                        continue
                    public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
                    if not isinstance(public_key, RSAPublicKey):
                        continue  # a private key (it has "d") has no place in a published key set
                    keys[entry["kid"]] = SigningKey(public_key, frozenset(entry.get("endorsements") or ()))
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as problem:
                log.error("could not fetch Bot Framework's signing keys: %s", type(problem).__name__)
                if required:
                    raise KeysUnavailable from None
                return
            self.keys, self.fetched_at = keys, time.monotonic()
            self.fetches += 1
            log.info("fetched %d Bot Framework signing keys", len(keys))

    async def _get_json(self, url: str):
        response = await self.http.get(url, timeout=10)
        response.raise_for_status()
        return response.json()


class TokenValidator:
    def __init__(self, app_id: str, keys: SigningKeys, clock_skew_seconds: int):
        self.app_id, self.keys, self.skew = app_id, keys, clock_skew_seconds

    async def validate(self, authorization: str | None, activity: dict) -> dict:
        """The token's claims when every check passes; Unauthorized otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        try:
            header = jwt.get_unverified_header(token.strip())
        except jwt.InvalidTokenError:
            raise Unauthorized("not a JWT") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
            raise Unauthorized(f"algorithm {str(algorithm)[:10]!r} is not allowed")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no key id")
        key = await self.keys.get(kid)
        if key is None:
            raise Unauthorized("signed by an unknown key")
        channel = activity.get("channelId")
        if not isinstance(channel, str) or channel not in key.endorsements:
            raise Unauthorized("the signing key does not endorse this channel")
        try:
            claims = jwt.decode(token.strip(), key.public_key, algorithms=[algorithm], audience=self.app_id,
                                issuer=ISSUER, leeway=self.skew, options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("for another app id") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("from another issuer") from None
        except jwt.InvalidTokenError as problem:
            raise Unauthorized(f"invalid ({type(problem).__name__})") from None
        if claims.get(AuthenticationConstants.SERVICE_URL_CLAIM) != activity.get("serviceUrl"):
            raise Unauthorized("serviceurl claim differs from the activity's serviceUrl")
        return claims
