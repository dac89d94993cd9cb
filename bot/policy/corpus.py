"""Policy sources in ``policy_corpus/`` turned into clause records.

A policy file is Markdown-like text with a YAML front matter block. The body
follows the house format of the cluster's policies:

* lines before the first numbered section are the title page, except an
  introductory heading such as ``Statement of intent`` whose paragraphs and
  bullets become a clause of their own (clause id ``intent``);
* ``N. Heading`` starts section N;
* ``N.M. text`` (optionally after ``- ``) is clause N.M of the current section;
* ``- text`` under a clause is a list item of that clause; a bold named item
  (``- **Safe** – text``) becomes a sub-clause ``N.M.S`` of its own;
* any other text line continues the current clause.

Anything else is a ``CorpusError`` naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

import yaml

from bot.policy.wording import audience_of, named_audiences, strength_of

REQUIRED_META = ("code", "title", "cluster", "school", "date_of_policy", "review_date")
INTRO_HEADINGS = {"statement of intent", "introduction", "purpose", "scope", "aims"}

_SECTION = re.compile(r"^(\d+)\.\s+(\S.*)$")
_CLAUSE = re.compile(r"^(?:-\s*)?(\d+)\.(\d+)\.?\s+(\S.*)$")
_ITEM = re.compile(r"^-\s+(\S.*)$")
_NAMED_ITEM = re.compile(r"^\*\*([A-Za-z][\w' ]*)\*\*\s*[–—-]\s*(\S.*)$")
_CODE = re.compile(r"^[A-Z]{1,4}\d{1,4}$")


class CorpusError(ValueError):
    """A policy file that cannot be read; the message names the file and line."""

    def __init__(self, path: Path, line: int, problem: str):
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}:{line}: {problem}")


@dataclass(frozen=True)
class Clause:
    policy: str
    number: str
    section: str
    text: str
    audience: tuple[str, ...]
    strength: str
    items: tuple[str, ...] = ()
    label: str = ""
    asks: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.policy} {self.number}"


@dataclass(frozen=True)
class Policy:
    code: str
    title: str
    cluster: str
    school: str
    date_of_policy: dt.date
    review_date: dt.date
    source: Path
    clauses: tuple[Clause, ...]
    contact_clause: str = ""
    contact_name: str = "the school office"
    notes: dict = field(default_factory=dict)
    not_covered: tuple[str, ...] = ()  # questions people ask that this policy does not answer

    def clause(self, number: str) -> Clause:
        for clause in self.clauses:
            if clause.number == number:
                return clause
        raise KeyError(f"{self.code} has no clause {number}")

    def review_overdue(self, today: dt.date) -> bool:
        return today > self.review_date


@dataclass
class _Draft:
    number: str
    section: str
    section_audience: tuple[str, ...]
    line: int
    lines: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    """Policy text as shown to people: Markdown bold removed, spaces collapsed."""
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def _month(value: object, path: Path, key: str) -> dt.date:
    text = str(value)
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    try:
        if not match:
            raise ValueError(text)
        return dt.date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        raise CorpusError(path, 1, f"front matter '{key}' must be a date like 2022-10, got {text!r}") from None


def _front_matter(path: Path, lines: list[str]) -> tuple[dict, int]:
    if not lines or lines[0].strip() != "---":
        raise CorpusError(path, 1, "a policy file must start with a '---' front matter block")
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise CorpusError(path, 1, "the front matter block is never closed with '---'")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError(path, 2 + (mark.line if mark else 0), f"front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise CorpusError(path, 2, "front matter must be 'key: value' lines")
    for key in REQUIRED_META:
        if not meta.get(key):
            raise CorpusError(path, 1, f"front matter is missing '{key}'")
    if not _CODE.match(str(meta["code"])):
        raise CorpusError(path, 2, f"policy code {meta['code']!r} should look like D200")
    return meta, end + 1


def _finish(draft: _Draft, code: str) -> list[Clause]:
    text = clean(" ".join(draft.lines))
    items = tuple(clean(i) for i in draft.items if not _NAMED_ITEM.match(i))
    audience = audience_of(text, draft.section_audience)
    clause = Clause(
        policy=code, number=draft.number, section=draft.section, text=text, items=items,
        audience=audience, strength=strength_of(" ".join([text, *items])),
    )
    named = [_NAMED_ITEM.match(i) for i in draft.items]
    subs = [
        Clause(
            policy=code, number=f"{draft.number}.{m[1].strip()[0].upper()}", section=draft.section,
            text=f"{m[1].strip()} – {clean(m[2])}", audience=audience, strength=strength_of(clean(m[2])),
            label=m[1].strip(),
        )
        for m in named if m
    ]
    if subs:
        words = ", ".join(s.label for s in subs)
        clause = replace(clause, text=f"{text} ({words})")
    return [clause, *subs]


class _Parser:
    def __init__(self, path: Path, code: str):
        self.path, self.code = path, code
        self.section_no: str | None = None
        self.section = ""
        self.section_audience: tuple[str, ...] = ()
        self.draft: _Draft | None = None
        self.clauses: list[Clause] = []

    def fail(self, line: int, problem: str) -> NoReturn:
        raise CorpusError(self.path, line, problem)

    def close(self) -> None:
        if self.draft is not None:
            if not self.draft.lines:
                self.fail(self.draft.line, f"clause {self.draft.number} has no text")
            self.clauses.extend(_finish(self.draft, self.code))
        self.draft = None

    def open(self, number: str, line: int, first: str, section: str) -> None:
        self.close()
        if any(c.number == number for c in self.clauses):
            self.fail(line, f"clause {number} appears twice")
        self.draft = _Draft(number, section, self.section_audience, line, [first] if first else [])

    def feed(self, no: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        if any(ord(ch) < 32 and ch != "\t" for ch in line):
            self.fail(no, "the line holds control characters")
        clause, section, item = _CLAUSE.match(line), _SECTION.match(line), _ITEM.match(line)
        if clause:
            if clause[1] != self.section_no:
                where = f"section {self.section_no}" if self.section_no else "no section yet"
                self.fail(no, f"clause {clause[1]}.{clause[2]} is under {where}")
            self.open(f"{clause[1]}.{clause[2]}", no, clause[3], self.section)
        elif section:
            self.close()
            if self.section_no is not None and int(section[1]) <= int(self.section_no):
                self.fail(no, f"section {section[1]} comes after section {self.section_no}")
            self.section_no, self.section = section[1], clean(section[2])
            self.section_audience = named_audiences(self.section)
        elif self.section_no is None and line.lower().rstrip(":") in INTRO_HEADINGS:
            self.section = clean(line)
            self.section_audience = ()
            self.open("intent", no, "", self.section)
        elif item:
            if self.draft is None:
                self.fail(no, "a list item must follow a clause")
            self.draft.items.append(item[1])
        elif self.draft is not None:
            self.draft.lines.append(line)
        elif self.section_no is not None:
            self.fail(no, f"text outside any clause in section {self.section_no}: {line[:60]!r}")

    def finish(self) -> tuple[Clause, ...]:
        self.close()
        if not self.clauses:
            self.fail(1, "no numbered clauses found (expected lines like '1.1. text')")
        return tuple(self.clauses)


def _asks(path: Path, clauses: tuple[Clause, ...]) -> tuple[Clause, ...]:
    """Attach the optional ``<policy>.asks.yml`` phrasings to their clauses."""
    asks_path = path.with_suffix(".asks.yml")
    if not asks_path.exists():
        return clauses
    text = asks_path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError(asks_path, 1 + (mark.line if mark else 0), f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusError(asks_path, 1, "expected 'clause number: [questions]' lines")
    numbers = {c.number for c in clauses}
    for key, value in data.items():
        if str(key) not in numbers or not isinstance(value, list):
            line = next((n for n, row in enumerate(text.splitlines(), 1) if row.lstrip('"').startswith(str(key))), 1)
            problem = f"{key} is not a clause of {path.name}" if str(key) not in numbers else "expected a list"
            raise CorpusError(asks_path, line, problem)
    return tuple(
        replace(c, asks=tuple(str(q) for q in data.get(c.number, ()))) for c in clauses
    )


def _not_covered(path: Path) -> tuple[str, ...]:
    """The optional ``<policy>.not_covered.yml``: a list of questions the policy does not answer."""
    nc_path = path.with_suffix(".not_covered.yml")
    if not nc_path.exists():
        return ()
    try:
        data = yaml.safe_load(nc_path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError(nc_path, 1 + (mark.line if mark else 0), f"not valid YAML: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(q, str) and q.strip() for q in data):
        raise CorpusError(nc_path, 1, "expected a list of questions")
    return tuple(data)


def load_policy(path: Path) -> Policy:
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise CorpusError(path, line, "the file is not UTF-8 text") from None
    lines = raw.splitlines()
    meta, start = _front_matter(path, lines)
    parser = _Parser(path, str(meta["code"]))
    for index in range(start, len(lines)):
        parser.feed(index + 1, lines[index])
    clauses = _asks(path, parser.finish())
    contact = str(meta.get("contact_clause") or "")
    if contact and not any(c.number == contact for c in clauses):
        raise CorpusError(path, 1, f"contact_clause {contact} is not a clause of this policy")
    return Policy(
        code=str(meta["code"]), title=str(meta["title"]), cluster=str(meta["cluster"]),
        school=str(meta["school"]), date_of_policy=_month(meta["date_of_policy"], path, "date_of_policy"),
        review_date=_month(meta["review_date"], path, "review_date"), source=path, clauses=clauses,
        contact_clause=contact, contact_name=str(meta.get("contact_name") or "the school office"),
        notes={str(k): str(v) for k, v in (meta.get("notes") or {}).items()}, not_covered=_not_covered(path),
    )


def policy_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


def load_corpus(folder: Path) -> list[Policy]:
    files = policy_files(folder)
    if not files:
        raise CorpusError(folder, 0, "no policy files (*.md) in the corpus folder")
    policies = [load_policy(p) for p in files]
    seen: dict[str, Path] = {}
    for policy in policies:
        if policy.code in seen:
            raise CorpusError(policy.source, 2, f"policy code {policy.code} is already used by {seen[policy.code]}")
        seen[policy.code] = policy.source
    return policies


def corpus_hash(policies: list[Policy]) -> str:
    digest = hashlib.sha256()
    for policy in policies:
        for clause in policy.clauses:
            digest.update(f"{clause.id}\x1f{clause.section}\x1f{clause.text}\x1f{'|'.join(clause.items)}\x1e".encode())
    return digest.hexdigest()
