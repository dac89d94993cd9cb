"""Rasa's own checks: training data validation and the test stories, on the trained model."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.paths import ROOT

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "policybot.tar.gz"
# Each test starts Rasa itself (tens of seconds), and `rasa test` needs the trained model.
pytestmark = pytest.mark.model


def rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(RASA), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_rasa_data_validate_is_clean():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_test_stories_pass(tmp_path):
    result = rasa("test", "core", "--model", str(MODEL), "--stories", "tests/dialogue",
                  "--out", str(tmp_path), "--fail-on-prediction-errors")
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["weighted avg"]["f1-score"] == pytest.approx(1.0)
