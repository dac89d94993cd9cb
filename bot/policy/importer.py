"""`policybot policies import`: a school's policy from Word, PDF or Markdown into a corpus file for a person to check.

The document is read as lines of text (Word: the paragraphs, with the numbers Word's own numbering shows but
does not store as text worked out from the numbering definitions; tables, headers and footers left out. PDF:
each page's text, lines repeated at the top or bottom of most pages dropped as running headers and footers).
The lines are then placed: the title, the policy and review dates, numbered sections ("5. Staff"), clauses
("5.3 text", "5.3. text"), their list items ("a)", "(i)", bullets, "5.3.1"), and the statement of intent
before section 1. What cannot be placed (text in a section before its first clause, a numbering that jumps)
is reported. The result is checked by the corpus loader itself before anything is written, so a file that
could not be read leaves the corpus as it was.
"""

from __future__ import annotations

import calendar
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.policy.corpus import INTRO_HEADINGS, CorpusError, Policy, load_policy

MAX_BYTES = 20 * 1024 * 1024  # a policy is a few hundred kB; a file over this is refused unread
MAX_UNPACKED = 100 * 1024 * 1024  # a .docx whose parts unpack past this is refused (a zip bomb)
MAX_RATIO = 200  # ... as is one that unpacks to more than this many times its size

_SECTION = re.compile(r"^(\d{1,2})\.?\s+([A-Z].*)$")
_CLAUSE = re.compile(r"^(\d{1,2})\.(\d{1,3})\.?\s+(\S.*)$")
_SUBCLAUSE = re.compile(r"^(\d{1,2})\.(\d{1,3})\.(\d{1,3})\.?\s+(\S.*)$")
_ITEM = re.compile(r"^(?:[-•●▪◦*–]|\(?[a-z]\)|\(?[ivx]{1,5}\)|[a-z]\.)\s+(\S.*)$")
_CODE = re.compile(r"^[A-Z]{1,4}\d{1,4}$")
_NAMED = re.compile(r"^([A-Z][\w']*(?: [A-Z][\w']*){0,2}) [–—-] (\S.*)$")  # "Safe – Do not ...": a named item
_DATE = re.compile(r"^(date of policy|policy date|date|review date|next review|date of review)\s*[:\-–]?\s*(.+)$", re.I)
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9


class ImportProblem(ValueError):
    """A file that cannot be imported, said so a person knows what to do."""


@dataclass
class Imported:
    markdown: str
    code: str
    title: str
    report: list[str] = field(default_factory=list)  # what could not be placed, for the person checking


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImportProblem(f"{path.name} is {size / 2**20:.0f} MB; a policy file is expected to be under "
                            f"{MAX_BYTES // 2**20} MB. Export the policy's text alone (no images) and try again.")
    if size == 0:
        raise ImportProblem(f"{path.name} is empty.")


def docx_lines(path: Path) -> list[str]:
    """The paragraphs of a Word file, with Word's automatic numbers written out; tables, headers and footers
    are not paragraphs of the body and are left out."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(path.stat().st_size, 1):
                raise ImportProblem(f"{path.name} unpacks to {unpacked / 2**20:.0f} MB: not a normal Word document.")
            if "word/document.xml" not in archive.namelist():
                raise ImportProblem(f"{path.name} is not a Word document (.docx).")
    except zipfile.BadZipFile:
        raise ImportProblem(f"{path.name} is not a Word document (.docx): it could not be opened.") from None
    import docx

    document = docx.Document(str(path))
    numbers = WordNumbering(document)
    lines = []
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        if not text:
            continue
        label = numbers.label(paragraph)
        lines.append(f"{label} {text}" if label else text)
    return lines


class WordNumbering:
    """The numbers Word shows before numbered paragraphs ("5.3.", "a)", "•"), counted the way Word counts them."""

    FORMATS = {"decimal", "lowerLetter", "upperLetter", "lowerRoman", "upperRoman", "bullet"}

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId: ilvl: (format, text, start)
        self.counters: dict[str, list[int]] = {}
        try:
            part = document.part.numbering_part
        except (KeyError, NotImplementedError):
            return
        ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
        w = "{%s}" % ns["w"]
        abstract = {}
        for node in part.element.findall("w:abstractNum", ns):
            levels = {}
            for level in node.findall("w:lvl", ns):
                fmt = level.find("w:numFmt", ns)
                text = level.find("w:lvlText", ns)
                start = level.find("w:start", ns)
                levels[int(level.get(w + "ilvl"))] = (
                    fmt.get(w + "val") if fmt is not None else "decimal",
                    text.get(w + "val") if text is not None else "",
                    int(start.get(w + "val")) if start is not None else 1)
            abstract[node.get(w + "abstractNumId")] = levels
        for node in part.element.findall("w:num", ns):
            link = node.find("w:abstractNumId", ns)
            if link is not None and link.get(w + "val") in abstract:
                self.levels[node.get(w + "numId")] = abstract[link.get(w + "val")]

    def label(self, paragraph) -> str:
        props = paragraph._p.pPr
        numbering = props.numPr if props is not None else None
        if numbering is None:
            numbering = self._style_numbering(paragraph)
        if numbering is None or numbering.numId is None:
            return ""
        num_id = str(numbering.numId.val)
        level = int(numbering.ilvl.val) if numbering.ilvl is not None else 0
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [levels[i][2] - 1 if i in levels else 0 for i in range(9)])
        counts[level] += 1
        for deeper in range(level + 1, 9):
            counts[deeper] = levels[deeper][2] - 1 if deeper in levels else 0
        fmt, text, _ = levels[level]
        if fmt == "bullet":
            return "-"
        return re.sub(r"%(\d)", lambda m: self._format(levels, int(m[1]) - 1, counts), text)

    @staticmethod
    def _style_numbering(paragraph):
        style = paragraph.style
        while style is not None:
            props = style.element.pPr
            if props is not None and props.numPr is not None:
                return props.numPr
            style = style.base_style
        return None

    @staticmethod
    def _format(levels: dict[int, tuple[str, str, int]], level: int, counts: list[int]) -> str:
        value = counts[level]
        fmt = levels.get(level, ("decimal", "", 1))[0]
        if fmt in ("lowerLetter", "upperLetter"):
            letter = chr(ord("a") + (value - 1) % 26)
            return letter if fmt == "lowerLetter" else letter.upper()
        if fmt in ("lowerRoman", "upperRoman"):
            roman = to_roman(value)
            return roman if fmt == "lowerRoman" else roman.upper()
        return str(value)


def to_roman(value: int) -> str:
    out = ""
    for number, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while value >= number:
            out, value = out + letters, value - number
    return out


def pdf_lines(path: Path) -> list[str]:
    """Each page's text in reading order, without the lines repeated at the top or bottom of most pages."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise ImportProblem(f"{path.name} is a password-protected PDF: save an unprotected copy and import that.")
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as problem:
        if isinstance(problem, ImportProblem):
            raise
        raise ImportProblem(f"{path.name} is not a readable PDF ({type(problem).__name__}).") from None
    if not any(line.strip() for page in pages for line in page):
        raise ImportProblem(f"{path.name} has no text layer (a scanned PDF?): import the Word original, or a PDF "
                            "exported from it.")
    running = running_lines(pages)
    kept = [" ".join(line.split()) for page in pages for n, line in enumerate(page)
            if line.strip() and not ((n < 3 or n >= len(page) - 3) and _shape(line) in running)]
    return unwrapped(kept)


_STARTS_A_BLOCK = re.compile(r"^(?:\d{1,2}(?:\.\d{1,3}){0,2}\.?\s|[-•●▪◦*–]\s|\(?[a-z]\)\s|\(?[ivx]{1,5}\)\s)")


def unwrapped(lines: list[str]) -> list[str]:
    """Lines a PDF wrapped put back together. A line joins the one before it when that one is long (at least 70%
    of the longest: it was wrapped, not ended) and the line starts nothing of its own (a clause, an item, a
    section, the code, a date, a heading like "Statement of intent"), unless the line before ended a sentence
    outside any clause or item and this one starts a new one in capitals."""
    widest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        standalone = bool(_STARTS_A_BLOCK.match(line) or _CODE.match(line) or _DATE.match(line)
                          or line.lower().rstrip(":") in INTRO_HEADINGS)
        ended = previous.endswith((".", ":", ";", "!", "?")) and not line[:1].islower()
        if out and len(previous) >= 0.7 * widest and not standalone and (not ended or _STARTS_A_BLOCK.match(previous)):
            out[-1] = f"{previous} {line}"
        else:
            out.append(line)
    return out


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (digits ignored, so page numbers count) at the top or bottom of at least half the pages."""
    if len(pages) < 2:
        return set()
    seen: dict[str, int] = {}
    for page in pages:
        edges = {_shape(line) for line in [*page[:3], *page[-3:]] if line.strip()}
        for shape in edges:
            seen[shape] = seen.get(shape, 0) + 1
    return {shape for shape, count in seen.items() if count >= max(2, len(pages) / 2)}


def month(text: str) -> str | None:
    """"October 2020", "10/2020", "2020-10" → "2020-10"."""
    text = text.strip().lower()
    match = re.search(r"([a-z]+)\.?\s+(\d{4})", text)
    if match and match[1] in MONTHS:
        return f"{match[2]}-{MONTHS[match[1]]:02d}"
    match = re.search(r"(\d{4})-(\d{1,2})", text) or re.search(r"(\d{1,2})/(\d{4})", text)
    if match:
        year, number = (match[1], match[2]) if len(match[1]) == 4 else (match[2], match[1])
        if 1 <= int(number) <= 12:
            return f"{year}-{int(number):02d}"
    return None


def place(lines: list[str], code: str | None, source: str) -> Imported:
    """The corpus file for these lines, and what could not be placed."""
    report: list[str] = []
    meta: dict[str, str] = {}
    body: list[str] = []
    section: int | None = None
    clause: tuple[int, int] | None = None
    for raw in lines:
        line = re.sub(r"^[-•]\s+(?=\d{1,2}\.\d)", "", " ".join(raw.split()))  # "- 5.3. text": a clause, not an item
        dated = _DATE.match(line)
        if dated and section is None:
            when = month(dated[2])
            key = "review_date" if "review" in dated[1].lower() else "date_of_policy"
            if when:
                meta.setdefault(key, when)
            body.append(line)
            continue
        if _CODE.match(line) and section is None:
            meta.setdefault("code", line)
            body.append(line)
            continue
        if "title" not in meta and section is None and "policy" in line.lower() and len(line) < 120:
            meta["title"] = re.sub(r"\s+for\s+.*$", "", line, flags=re.I).strip()
            found = re.search(r"\bfor\s+(the\s+.*)$", line, re.I)
            if found:
                meta.setdefault("cluster", found[1].strip())
        sub = _SUBCLAUSE.match(line)
        numbered = _CLAUSE.match(line)
        heading = _SECTION.match(line) if not numbered else None
        if sub and clause == (int(sub[1]), int(sub[2])):
            body.append(f" - {sub[1]}.{sub[2]}.{sub[3]} {sub[4]}")
        elif numbered:
            number = (int(numbered[1]), int(numbered[2]))
            if section != number[0]:
                report.append(f"clause {number[0]}.{number[1]} is not under its section (kept under section {section}): "
                              f"{line[:60]!r}")
                continue
            if clause is not None and clause[0] == number[0] and number[1] != clause[1] + 1:
                report.append(f"numbering jumps from {clause[0]}.{clause[1]} to {number[0]}.{number[1]}")
            clause = number
            body.append(f"- {number[0]}.{number[1]}. {numbered[3]}")
        elif heading and (section is None or int(heading[1]) == section + 1) and len(line) < 100:
            if section is not None and int(heading[1]) != section + 1:
                report.append(f"section numbering jumps from {section} to {heading[1]}")
            section, clause = int(heading[1]), None
            body.extend(["", f"{heading[1]}. {heading[2]}", ""])
        elif _ITEM.match(line) and (clause is not None or section is None):
            item = _NAMED.sub(r"**\1** – \2", _ITEM.match(line)[1])  # type: ignore[index]
            body.append((" - " if clause is not None else "- ") + item)
        elif clause is not None or section is None:
            if section is None and line.lower().rstrip(":") in INTRO_HEADINGS:
                body.extend(["", line, ""])
            else:
                body.append(line if section is None else f"  {line}")
        else:
            report.append(f"text in section {section} before its first clause, left out: {line[:60]!r}")
    if code:
        meta["code"] = code
    missing = [key for key in ("code", "title") if not meta.get(key)]
    if missing:
        raise ImportProblem(f"{source}: could not find the policy's {' and '.join(missing)}"
                            + (" (give the code with --code)" if "code" in missing else "") + ".")
    for key in ("date_of_policy", "review_date"):
        if key not in meta:
            report.append(f"no {key.replace('_', ' ')} found: set it in the front matter")
            meta[key] = "1970-01"
    meta.setdefault("cluster", "The Heatons Cluster of Schools")
    meta.setdefault("school", "Norris Bank")
    front = "\n".join(["---", *(f"{k}: {quoted(meta[k])}" for k in
                                ("code", "title", "cluster", "school", "date_of_policy", "review_date")),
                       f"# Imported from {quoted(source)}: check it against the original before it goes live.", "---"])
    return Imported(front + "\n\n" + "\n".join(body).strip() + "\n", meta["code"], meta["title"], report)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_lines(path: Path) -> list[str]:
    check_size(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_lines(path)
    if suffix == ".pdf":
        return pdf_lines(path)
    if suffix in (".md", ".txt"):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise ImportProblem(f"{path.name} is not UTF-8 text.") from None
        if text.startswith("---"):  # already a corpus file: its front matter is kept
            end = text.find("\n---", 3)
            text = text[end + 4:] if end != -1 else text
        return [line.strip() for line in text.splitlines()]
    raise ImportProblem(f"{path.name}: only Word (.docx), PDF (.pdf) and Markdown (.md) files can be imported.")


@dataclass
class Result:
    written: Path
    policy: Policy
    report: list[str]
    replaced: Policy | None = None  # the version this one replaces
    kept_as: Path | None = None  # where that version is kept for the record
    changes: list[str] = field(default_factory=list)


def existing(out_dir: Path, code: str) -> Path | None:
    """The corpus file in `out_dir` that holds policy `code`, if any."""
    for path in sorted(out_dir.glob("*.md")):
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
        if re.search(rf"^code:\s*[\"']?{re.escape(code)}[\"']?\s*$", head, re.M):
            return path
    return None


def changes(old: Policy, new: Policy) -> list[str]:
    """Clause by clause: added, removed, reworded (text or list items), in the new version's order."""
    before = {c.number: c for c in old.clauses}
    after = {c.number: c for c in new.clauses}
    out = [f"added {n}: {c.text[:80]}" for n, c in after.items() if n not in before]
    out += [f"removed {n}: {c.text[:80]}" for n, c in before.items() if n not in after]
    for number, clause in after.items():
        was = before.get(number)
        if was is not None and (was.text, was.items) != (clause.text, clause.items):
            out.append(f"reworded {number}: now {clause.text[:80]!r}")
    return out


def carried_over(markdown: str, old_path: Path) -> str:
    """The new version's front matter with what a person added to the old one (who to contact, the notes, the
    cluster and school) kept."""
    old_text = old_path.read_text(encoding="utf-8")
    old_front = old_text[3:old_text.find("\n---", 3)]
    extra = [line for line in old_front.splitlines()
             if re.match(r"^(contact_clause|contact_name|cluster|school|notes):", line)
             or (line.startswith(" ") and line.strip())]
    if not extra:
        return markdown
    lines = markdown.splitlines()
    end = lines.index("---", 1)
    kept = [line for line in lines[1:end] if not re.match(r"^(cluster|school):", line)]
    return "\n".join(["---", *kept, *extra, *lines[end:]]) + "\n"


def import_policy(path: Path, out_dir: Path, code: str | None = None) -> Result:
    """Read `path` and write its corpus file into `out_dir` once the corpus loader accepts it. A policy whose code
    is already there replaces that file (so its phrasings and induction stay attached); the old one is kept in
    `out_dir/versions/`, and the clause-by-clause changes are returned. On any problem nothing is changed."""
    imported = place(read_lines(path), code, path.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = existing(out_dir, imported.code)
    slug = re.sub(r"[^a-z0-9]+", "_", imported.title.lower()).strip("_")[:40] or "policy"
    target = previous or out_dir / f"{imported.code}_{slug}.md"
    markdown = carried_over(imported.markdown, previous) if previous else imported.markdown
    partial = out_dir / f".{target.name}.partial"
    partial.write_text(markdown, encoding="utf-8")
    try:
        load_policy(partial)
    except CorpusError as problem:
        partial.unlink(missing_ok=True)
        raise ImportProblem(f"{path.name} could not be read as a policy: {problem.problem}") from None
    old = load_policy(previous) if previous else None
    kept_as = None
    if previous is not None and old is not None:
        versions = out_dir / "versions"
        versions.mkdir(exist_ok=True)
        kept_as = versions / f"{previous.stem}.{old.date_of_policy:%Y-%m}.{int(previous.stat().st_mtime)}.md"
        shutil.copy2(previous, kept_as)
    partial.replace(target)
    try:
        policy = load_policy(target)  # with its phrasings and questions not covered, as the assistant reads it
    except CorpusError as problem:
        if kept_as is not None:
            shutil.copy2(kept_as, target)
            kept_as.unlink()
        else:
            target.unlink(missing_ok=True)
        raise ImportProblem(f"{path.name} was not imported: {problem}") from None
    return Result(target, policy, imported.report, old, kept_as, changes(old, policy) if old else [])
