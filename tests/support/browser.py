"""Debian's Chromium driven by Playwright, and axe-core's accessibility check, for the browser tests."""

from __future__ import annotations

import shutil

from tests.support.paths import ROOT

ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WCAG_AA = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']"


def chromium_path() -> str:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: run scripts/test-tools.sh (make test does)"
    return chromium


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA (and best-practice) violations on the page as it is now."""
    assert AXE.exists(), "axe-core is not installed: run scripts/test-tools.sh (make test does)"
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => (await axe.run(document, {
        runOnly: {type: 'tag', values: %s}})
      ).violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))""" % WCAG_AA)
