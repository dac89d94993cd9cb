"""Pupils as records (from the school MIS's CSV export) and a child's chronology: every linked report and
everything done about it, in date order."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from bot.database import Database
from bot.incidents.categories import BY_KEY
from bot.incidents.service import as_utc
from bot.records import AuditEntry, Incident, Pupil, ReportAction, ReportPupil, utcnow

ID_COLUMNS = ("mis_id", "mis id", "upn", "adno", "admission number", "admission no", "pupil id", "id")
NAME_COLUMNS = ("name", "full name", "pupil name")
FORENAME_COLUMNS = ("preferred forename", "forename", "legal forename", "first name")
SURNAME_COLUMNS = ("preferred surname", "surname", "legal surname", "last name")
CLASS_COLUMNS = ("class", "reg group", "registration group", "form", "class name", "year")
DOB_COLUMNS = ("dob", "date of birth", "birth date")
MAX_ROWS = 5000


class PupilImportProblem(ValueError):
    """The file cannot be imported; the message says which row or column and why."""


@dataclass(frozen=True)
class Imported:
    added: int
    updated: int
    skipped: tuple[str, ...]  # "row 7: no name"


def _column(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def read_pupils_csv(data: bytes) -> tuple[list[dict], list[str]]:
    """Rows of a pupil CSV (an MIS export): an id column, a name (or forename and surname), a class; a date of
    birth is optional. Other columns are ignored."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise PupilImportProblem("That file is not a CSV text file: export the pupil list as CSV.") from None
    if "\x00" in text:
        raise PupilImportProblem("That file is not a CSV text file: export the pupil list as CSV.")
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in reader.fieldnames or [] if c}
    id_column, class_column = _column(columns, ID_COLUMNS), _column(columns, CLASS_COLUMNS)
    name_column = _column(columns, NAME_COLUMNS)
    forename, surname = _column(columns, FORENAME_COLUMNS), _column(columns, SURNAME_COLUMNS)
    missing = [what for what, found in (("an id (UPN, Adno or mis_id)", id_column),
                                        ("a name (or forename and surname)", name_column or (forename and surname)),
                                        ("a class (or reg group)", class_column)) if not found]
    if missing:
        raise PupilImportProblem(f"The CSV needs columns for {', '.join(missing)}. "
                                 f"It has: {', '.join(columns) or 'no header row'}.")
    dob_column = _column(columns, DOB_COLUMNS)
    rows, skipped = [], []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise PupilImportProblem(f"The CSV has more than {MAX_ROWS} pupils: is it the right file?")

        def cell(column: str | None, row: dict = row) -> str:
            return (row.get(column) or "").strip() if column else ""

        name = cell(name_column) or " ".join(p for p in (cell(forename), cell(surname)) if p)
        if not cell(id_column) or not name:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                skipped.append(f"row {number}: no {'id' if not cell(id_column) else 'name'}")
            continue
        born = written_day(cell(dob_column)) if cell(dob_column) else None
        if cell(dob_column) and born is None:
            skipped.append(f"row {number}: date of birth {cell(dob_column)[:20]!r} is not a date")
        rows.append({"mis_id": cell(id_column)[:40], "name": name[:120], "class_name": cell(class_column)[:40],
                     "date_of_birth": born})
    return rows, skipped


def import_pupils(db: Database, data: bytes) -> Imported:
    """Add new pupils and update the name, class and date of birth of known ones (matched on the MIS id)."""
    rows, skipped = read_pupils_csv(data)
    added = updated = 0
    with db.session() as session:
        known = {p.mis_id: p for p in session.scalars(select(Pupil))}
        for row in rows:
            pupil = known.get(row["mis_id"])
            if pupil is None:
                pupil = Pupil(**row, updated_at=utcnow())
                session.add(pupil)
                known[row["mis_id"]] = pupil
                added += 1
            elif (pupil.name, pupil.class_name, pupil.date_of_birth) != (row["name"], row["class_name"],
                                                                         row["date_of_birth"]):
                pupil.name, pupil.class_name, pupil.date_of_birth = row["name"], row["class_name"], row["date_of_birth"]
                pupil.updated_at = utcnow()
                updated += 1
    return Imported(added, updated, tuple(skipped))


def find_pupils(db: Database, text: str = "", limit: int = 200) -> list[Pupil]:
    query = select(Pupil).order_by(Pupil.class_name, Pupil.name).limit(limit)
    text = text.strip()[:60]
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(Pupil.name.ilike(pattern), Pupil.mis_id.ilike(pattern), Pupil.class_name.ilike(pattern)))
    with db.session(read_only=True) as session:
        return list(session.scalars(query))


def pupil(db: Database, pupil_id: int) -> Pupil | None:
    with db.session(read_only=True) as session:
        return session.get(Pupil, pupil_id)


def pupils_of(db: Database, incident_id: int) -> list[Pupil]:
    with db.session(read_only=True) as session:
        return list(session.scalars(select(Pupil).join(ReportPupil, ReportPupil.pupil_id == Pupil.id)
                                    .where(ReportPupil.incident_id == incident_id).order_by(Pupil.name)))


def actions_of(db: Database, incident_id: int) -> list[ReportAction]:
    with db.session(read_only=True) as session:
        return list(session.scalars(select(ReportAction).where(ReportAction.incident_id == incident_id)
                                    .order_by(ReportAction.taken_on, ReportAction.id)))


@dataclass(frozen=True)
class ChronologyEntry:
    day: date
    at: str  # the time, when there is one
    reference: str
    kind: str
    what: str
    by: str
    moment: datetime | None = None  # the exact time, for the order within a day (an action dated earlier has none)


STEPS = {"created": "Report received", "acknowledged": "Acknowledged", "closed": "Closed",
         "assigned": "Assigned", "linked to pupil": "Linked to this pupil"}


def chronology(db: Database, pupil_id: int, zone: ZoneInfo) -> list[ChronologyEntry]:
    """Every report linked to the pupil and everything recorded about it, oldest first."""
    entries: list[ChronologyEntry] = []
    with db.session(read_only=True) as session:
        incidents = list(session.scalars(select(Incident).join(ReportPupil, ReportPupil.incident_id == Incident.id)
                                         .where(ReportPupil.pupil_id == pupil_id)))
        ids = [i.id for i in incidents]
        by_id = {i.id: i for i in incidents}
        for incident in incidents:
            kind = _kind(incident)
            if incident.occurred_at:
                happened = as_utc(incident.occurred_at).astimezone(zone)
                entries.append(ChronologyEntry(happened.date(), happened.strftime("%H:%M"), incident.reference, kind,
                                               f"What happened ({incident.occurred_text}): {incident.description}",
                                               f"reported by {incident.reporter_name} ({incident.reporter_role})",
                                               happened))
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.incident_id.in_(ids)).order_by(AuditEntry.id)):
            if entry.action not in STEPS:
                continue
            incident = by_id[entry.incident_id]
            moment = as_utc(entry.at).astimezone(zone)
            what = STEPS[entry.action] + (f": {entry.note}" if entry.note and entry.action != "created" else "")
            if entry.action == "created" and not incident.occurred_at:
                what += f" (happened: {incident.occurred_text}): {incident.description}"
            entries.append(ChronologyEntry(moment.date(), moment.strftime("%H:%M"), incident.reference,
                                           _kind(incident), what, entry.actor, moment))
        for action in session.scalars(select(ReportAction).where(ReportAction.incident_id.in_(ids))):
            recorded = as_utc(action.recorded_at).astimezone(zone)  # an action of the day it was recorded: that time
            same_day = recorded.date() == action.taken_on
            entries.append(ChronologyEntry(action.taken_on, recorded.strftime("%H:%M") if same_day else "",
                                           by_id[action.incident_id].reference, _kind(by_id[action.incident_id]),
                                           f"Action: {action.text}", action.taken_by, recorded if same_day else None))
    # by day; within a day by the exact time, and an action dated earlier than it was recorded at the day's end
    return sorted(entries, key=lambda e: (e.day, e.moment is None, e.moment.timestamp() if e.moment else 0))


def _kind(incident: Incident) -> str:
    return BY_KEY[incident.category].label if incident.category in BY_KEY else incident.category


DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y")


def written_day(text: str) -> date | None:
    """A date as the date picker sends it (2026-11-27) or as a school writes it (27/11/2026, 27 November 2026);
    None for anything else, an impossible date (31/02/2026) included."""
    text = " ".join((text or "").split())[:40]
    for form in DAY_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def parse_day(text: str, today: date) -> date | None:
    """A day up to `today` (also "today" and "yesterday"); None if it is not a date or is in the future."""
    word = (text or "").strip().lower()
    day = {"today": today, "yesterday": today - timedelta(days=1)}.get(word) or written_day(word)
    return day if day is not None and day <= today else None
