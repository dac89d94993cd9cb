"""Rasa's domain as the actions see it, for tests."""

from __future__ import annotations

import yaml

from tests.support.paths import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))

