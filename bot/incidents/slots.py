"""The report form's questions, one row each: the Rasa slot, its place in the asking order, whether
only some kinds of report need it, the words that pick it in "change …", and its change button."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportSlot:
    name: str  # the Rasa slot (and form question) in domain.yml
    optional: bool  # asked only for the kinds of report that need it
    correction: str  # words in "change the date" that pick this question again
    button: tuple[str, str] | None = None  # ("When", "the date"): title and the words the button sends


REPORT_SLOTS: tuple[ReportSlot, ...] = (  # in asking order; danger is always first
    ReportSlot("incident_danger", False, r"\b(danger)\b"),
    ReportSlot("incident_category", False, r"\b(category|kind|type)\b"),
    ReportSlot("incident_when", False, r"\b(date|time|when|day)\b", ("When", "the date")),
    ReportSlot("incident_where", True, r"\b(where|place|premises|location)\b", ("Where", "where")),
    ReportSlot("incident_people", True, r"\b(who|people|involved|person)\b", ("Who", "who was involved")),
    ReportSlot("incident_description", False, r"\b(what happened|description|details|describe|story)\b",
               ("What happened", "what happened")),
    ReportSlot("incident_evidence", True, r"\b(evidence|screenshot|screen print|saved)\b", ("Evidence", "evidence")),
    ReportSlot("reporter_name", False, r"\b(my name|name)\b", ("My name", "my name")),
    ReportSlot("reporter_role", False, r"\b(my role|role|i am a|i'?m a)\b"),
    ReportSlot("reporter_contact", False, r"\b(contact|email|phone|number)\b", ("My contact", "contact")),
)
BY_NAME = {s.name: s for s in REPORT_SLOTS}
QUESTIONS = tuple(s.name for s in REPORT_SLOTS)
OPTIONAL = tuple(s.name for s in REPORT_SLOTS if s.optional)
# Order of looking for a correction: the specific words first ("what happened" before "when").
CORRECTION_ORDER = ("incident_when", "incident_where", "incident_people", "incident_description", "incident_evidence",
                    "reporter_name", "reporter_role", "reporter_contact", "incident_category", "incident_danger")
