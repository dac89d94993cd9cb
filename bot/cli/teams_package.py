"""The Teams app package a school's IT person uploads: teams/manifest.json with this bot's app id
and the school's website filled in, and the two icons, zipped (`make teams-app`)."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

from bot.settings import ROOT, Settings

SOURCE = ROOT / "teams"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ICON_SIZES = {"color": 192, "outline": 32}


class PackageError(ValueError):
    """The package cannot be built; the message says what to set or fix."""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PackageError(f"{path} is not a PNG file")
    return struct.unpack(">II", data[16:24])


def manifest(settings: Settings, source: Path = SOURCE) -> dict:
    if not GUID.match(settings.TEAMS_APP_ID):
        raise PackageError("set TEAMS_APP_ID to the bot's Microsoft app id (a GUID such as "
                           "6f1c2d3e-1234-4abc-8def-0123456789ab) first")
    if not settings.TEAMS_APP_WEBSITE.startswith("https://"):
        raise PackageError("set TEAMS_APP_WEBSITE to the school's website (an https:// address)")
    text = (source / "manifest.json").read_text(encoding="utf-8")
    for name in ("TEAMS_APP_ID", "TEAMS_APP_WEBSITE"):
        text = text.replace("{{%s}}" % name, json.dumps(getattr(settings, name))[1:-1])
    return json.loads(text)


def build(settings: Settings, target: Path, source: Path = SOURCE) -> Path:
    content = manifest(settings, source)
    for kind, size in ICON_SIZES.items():
        icon = source / content["icons"][kind]
        if png_size(icon) != (size, size):
            raise PackageError(f"{icon} must be {size}x{size} pixels")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(content, indent=2, ensure_ascii=False))
        for kind in ICON_SIZES:
            package.write(source / content["icons"][kind], content["icons"][kind])
    return target
