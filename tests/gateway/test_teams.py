"""Teams parts that need no Rasa: token checks and key fetching, sign-in, cards, the endpoint's refusals."""

from __future__ import annotations

import asyncio
import json
import ssl
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from bot.cli.stack import free_port
from bot.gateway.app import create_app
from bot.gateway.channels.teams.auth import KeysUnavailable, SigningKeys, TokenValidator, Unauthorized
from bot.gateway.channels.teams.cards import ACTIONS_PER_SET, answer_card, notification_card
from bot.gateway.channels.teams.connector import Connector, ConnectorError, allowed_service_url, app_credentials
from bot.gateway.rasa_client import BotMessage
from bot.settings import Settings
from tests.support.fake_microsoft import FakeMicrosoft, SigningKey

APP_ID, SECRET = "app-under-test", "secret-under-test"


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    server = FakeMicrosoft(tmp_path_factory.mktemp("microsoft"), APP_ID, SECRET)
    yield server
    server.stop()


@pytest.fixture
def trusted(fake, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(fake.ca_bundle))
    return fake


def check(fake, token: str):
    """Validate with a fresh key cache; the claims, or the exception."""
    activity = {"channelId": "msteams", "serviceUrl": fake.service_url}

    async def run():
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(fake.ca_bundle))) as http:
            cache = SigningKeys(fake.metadata_url, 60.0, http)
            try:
                return await TokenValidator(APP_ID, cache, 300).validate(f"Bearer {token}", activity)
            except (Unauthorized, KeysUnavailable) as problem:
                return problem

    return asyncio.run(run())


def test_a_good_token_gives_its_claims(fake):
    claims = check(fake, fake.token(fake.service_url))
    assert claims["aud"] == APP_ID and claims["serviceurl"] == fake.service_url


def test_a_token_without_an_expiry_is_refused(fake):
    key = fake.keys[-1]
    token = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": fake.service_url},
                       key.private, algorithm="RS256", headers={"kid": key.kid})
    assert isinstance(check(fake, token), Unauthorized)


def test_a_token_expired_within_the_skew_is_still_accepted(fake):
    assert isinstance(check(fake, fake.token(fake.service_url, expires_in=-60)), dict)
    assert isinstance(check(fake, fake.token(fake.service_url, expires_in=-301 - 5)), Unauthorized)


def test_unknown_key_ids_fetch_the_keys_again_at_most_once_per_interval(fake):
    async def run():
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(fake.ca_bundle))) as http:
            keys = SigningKeys(fake.metadata_url, 60.0, http)
            validator = TokenValidator(APP_ID, keys, 300)
            activity = {"channelId": "msteams", "serviceUrl": fake.service_url}
            await validator.validate(f"Bearer {fake.token(fake.service_url)}", activity)
            junk = f"Bearer {fake.token(fake.service_url, key=SigningKey('junk'))}"
            for _ in range(5):  # junk key ids straight after a fetch: no fetch, and 503 (sent again later), not 401
                with pytest.raises(KeysUnavailable):
                    await validator.validate(junk, activity)
            assert keys.fetches == 1
            rotated = fake.rotate()  # Microsoft publishes a new key within the interval
            signed = f"Bearer {fake.token(fake.service_url, key=rotated)}"
            with pytest.raises(KeysUnavailable):  # refused for now with a 503, so Bot Framework sends it again...
                await validator.validate(signed, activity)
            keys.tried_at -= 61  # ...and once the interval has passed, the fetch is allowed again
            await validator.validate(signed, activity)
            assert keys.fetches == 2
            keys.tried_at -= 61
            with pytest.raises(Unauthorized):  # fetched again and still unknown: a key nobody published
                await validator.validate(junk, activity)
            return keys.fetches

    assert asyncio.run(run()) == 3


def test_keys_that_cannot_be_fetched_are_a_temporary_failure():
    async def run():
        async with httpx.AsyncClient() as http:
            keys = SigningKeys(f"http://127.0.0.1:{free_port()}/metadata", 60.0, http)
            hmac_token = jwt.encode({"a": 1}, "x" * 32, algorithm="HS256")
            with pytest.raises(Unauthorized):  # refused for its algorithm before any key is needed
                await TokenValidator(APP_ID, keys, 300).validate(f"Bearer {hmac_token}", {})
            with pytest.raises(KeysUnavailable):
                await keys.get("any-key")

    asyncio.run(run())


def test_single_and_multi_tenant_sign_in_addresses(trusted):
    single = app_credentials(Settings(TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD=SECRET, TEAMS_TENANT_ID="school-tenant",
                                      TEAMS_LOGIN_URL=trusted.login_url))
    multi = app_credentials(Settings(TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD=SECRET, TEAMS_LOGIN_URL=trusted.login_url))
    assert single.oauth_endpoint == f"{trusted.base}/school-tenant"
    assert multi.oauth_endpoint == f"{trusted.base}/botframework.com"
    assert single.get_access_token().startswith("bot-token-")
    assert trusted.token_requests[-1]["tenant"] == "school-tenant"
    assert trusted.token_requests[-1]["scope"] == "https://api.botframework.com/.default"


def test_certificate_sign_in_uses_the_sdks_certificate_credentials(trusted, tmp_path):
    from botframework.connector.auth import CertificateAppCredentials

    key_file = tmp_path / "bot.key"
    key_file.write_bytes(SigningKey("cert").private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    credentials = app_credentials(Settings(TEAMS_APP_ID=APP_ID, TEAMS_CERTIFICATE_THUMBPRINT="AB" * 20,
                                           TEAMS_CERTIFICATE_KEY_FILE=str(key_file), TEAMS_TENANT_ID="school-tenant",
                                           TEAMS_LOGIN_URL=trusted.login_url))
    assert isinstance(credentials, CertificateAppCredentials)


def test_replies_go_only_to_allowed_https_hosts(trusted):
    assert allowed_service_url("https://smba.trafficmanager.net/uk/", {"smba.trafficmanager.net"})
    assert not allowed_service_url("http://smba.trafficmanager.net/uk/", {"smba.trafficmanager.net"})
    assert not allowed_service_url("https://smba.trafficmanager.net.evil.example/", {"smba.trafficmanager.net"})
    connector = Connector(Settings(TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD=SECRET, TEAMS_LOGIN_URL=trusted.login_url))
    calls = len(trusted.calls)
    with pytest.raises(ConnectorError):
        connector.open_personal_chat(trusted.service_url, "t", "28:bot", "29:user")  # 127.0.0.1 is not allowed
    assert trusted.calls[calls:] == []


def test_a_sign_in_that_fails_is_a_delivery_error_not_a_crash(trusted):
    connector = Connector(Settings(TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="wrong", TEAMS_LOGIN_URL=trusted.login_url,
                                   TEAMS_SERVICE_URL_HOSTS="127.0.0.1"))
    calls = len(trusted.calls)
    with pytest.raises(ConnectorError):
        connector.open_personal_chat(trusted.service_url, "t", "28:bot", "29:user")
    assert trusted.calls[calls:] == []


def test_card_text_is_shown_as_typed_and_buttons_fit_a_phone():
    message = BotMessage("**bold** <b>html</b> [link](https://evil.example)", (), tuple(
        {"title": f"Option {i}", "payload": f"/choose{{\"n\": {i}}}"} for i in range(8)))
    card = answer_card(message).content
    [text] = [b for b in card["body"] if b["type"] == "RichTextBlock"]
    assert text["inlines"] == [{"type": "TextRun", "text": message.text}]  # TextRuns take no Markdown
    sets = [b for b in card["body"] if b["type"] == "ActionSet"]
    assert [len(s["actions"]) for s in sets] == [ACTIONS_PER_SET, 8 - ACTIONS_PER_SET]
    assert sets[0]["actions"][0]["data"] == {"action": "quick_reply", "payload": "/choose{\"n\": 0}"}


def test_a_notification_card_has_an_acknowledge_button():
    card = notification_card("New report INC-2026-0001: friend request", "Reference: INC-2026-0001", "INC-2026-0001")
    assert card.content["actions"][0]["data"] == {"action": "acknowledge", "reference": "INC-2026-0001"}
    assert "INC-2026-0001" in json.dumps(card.content)


def test_the_endpoint_is_off_without_teams_settings_and_refuses_unsigned_requests():
    port = free_port()
    with TestClient(create_app(Settings(RASA_URL=f"http://127.0.0.1:{port}"))) as client:
        assert client.post("/api/messages", json={}).status_code == 404
    teams = Settings(RASA_URL=f"http://127.0.0.1:{port}", TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD=SECRET,
                     TEAMS_OPENID_METADATA_URL=f"http://127.0.0.1:{port}/none")
    with TestClient(create_app(teams)) as client:
        assert client.post("/api/messages", content=b"\xff\xfe not json").status_code == 400
        assert client.post("/api/messages", json=["not", "an", "object"]).status_code == 400
        began = time.monotonic()
        refused = client.post("/api/messages", json={"type": "message", "channelId": "msteams", "text": "hi"})
        assert refused.status_code == 401 and "token" in refused.json()["message"]
        assert time.monotonic() - began < 5


def test_the_teams_app_package_has_the_manifest_with_this_bots_id_and_both_icons(tmp_path):
    import os
    import zipfile

    from bot.cli.teams_package import png_size
    from tests.support.cli import policybot

    app_id = "6f1c2d3e-1234-4abc-8def-0123456789ab"
    env = os.environ | {"TEAMS_APP_ID": app_id, "TEAMS_APP_WEBSITE": "https://www.norrisbank.example/"}
    result = policybot("teams-app", "--output", str(tmp_path / "teams-app.zip"), env=env)
    assert result.returncode == 0, result.stderr.decode()
    with zipfile.ZipFile(tmp_path / "teams-app.zip") as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        package.extractall(tmp_path)
    assert manifest["id"] == manifest["bots"][0]["botId"] == app_id
    assert manifest["developer"]["privacyUrl"] == "https://www.norrisbank.example/"
    assert "{{" not in json.dumps(manifest)
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"} and not manifest["bots"][0]["supportsFiles"]
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    for command in manifest["bots"][0]["commandLists"][0]["commands"]:
        assert len(command["title"]) <= 32 and len(command["description"]) <= 128
    assert png_size(tmp_path / "color.png") == (192, 192) and png_size(tmp_path / "outline.png") == (32, 32)

    missing = policybot("teams-app", "--output", str(tmp_path / "other.zip"), env=os.environ | {"TEAMS_APP_ID": ""})
    assert missing.returncode == 2 and b"TEAMS_APP_ID" in missing.stderr and not (tmp_path / "other.zip").exists()
