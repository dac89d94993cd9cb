import re

import pytest

from bot.settings import ROOT, Settings, describe


def test_env_example_lists_every_setting():
    names = {n for n, _, _ in describe()}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert listed == names


def test_readme_table_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| `([^`]*)` \|", readme, flags=re.M))
    assert rows == {n: d for n, d, _ in describe()}


def test_settings_read_and_cast_the_environment():
    settings = Settings.from_env({"GATEWAY_PORT": "8123", "RASA_TIMEOUT_SECONDS": "2.5"})
    assert settings.GATEWAY_PORT == 8123 and settings.RASA_TIMEOUT_SECONDS == 2.5


def test_a_bad_value_is_a_clear_error():
    with pytest.raises(SystemExit, match="GATEWAY_PORT='eighty' is not a valid int"):
        Settings.from_env({"GATEWAY_PORT": "eighty"})
    with pytest.raises(SystemExit, match="RETRIEVAL_PRECISION='int4' must be int8 or float32"):
        Settings.from_env({"RETRIEVAL_PRECISION": "int4"})


def test_allow_lists_read_comma_separated_ids():
    from bot.settings import Settings

    assert Settings(TEAMS_TENANT_IDS=" t1, t2 ,").teams_tenants() == {"t1", "t2"}
    assert Settings(TEAMS_TENANT_IDS="t1", TEAMS_TENANT_ID="t3").teams_tenants() == {"t1", "t3"}
    assert Settings().teams_tenants() == set() and Settings().slack_teams() == set()
    assert Settings(SLACK_TEAM_IDS="T1,T2").slack_teams() == {"T1", "T2"}
