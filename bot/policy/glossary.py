"""Query expansion from ``policy_corpus/glossary.yml``: people's words to the policy's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[re.Pattern, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        if not path.exists():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list of 'when:' / 'add:' entries")
        entries = []
        for number, entry in enumerate(data, 1):
            if not isinstance(entry, dict) or not entry.get("when") or not entry.get("add"):
                raise ValueError(f"{path}: entry {number} needs both 'when' and 'add'")
            words = "|".join(re.escape(str(w).lower()) for w in entry["when"])
            entries.append((re.compile(rf"(?<![\w-])(?:{words})(?![\w-])"), str(entry["add"])))
        return cls(tuple(entries))

    def expand(self, question: str) -> str:
        lowered = question.lower().replace("’", "'")
        extra = [add for pattern, add in self.entries if pattern.search(lowered)]
        return " ".join([question, *dict.fromkeys(extra)])
