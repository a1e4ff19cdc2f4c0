"""Willis: the RLS guideline engine, from Python.

Every rule runs in the Rust engine (the same ``assess`` as the ``willis``
command line, the web app and ``willis screen``); this package only turns
Python values into the text the engine reads and its JSON back into dicts.

- :func:`assess` — a ``willis-record/1`` file or a FHIR R4 Bundle → the
  ``willis-assessment/1`` document (a dict);
- :func:`screen_row` — one patient's FHIR resources → the population
  screen's row, or ``None`` for a patient without RLS;
- :func:`patient_key` — the patient an NDJSON line belongs to, by the
  screen's cheap first look (``None`` for a line the screen does not read);
- :mod:`willis.spark` — the screen on Apache Spark (``pip install
  "willis[spark]"``).

Errors in what is given raise :class:`ValueError` whose message starts with
the argument or the record's field it is about (``as_of: ...``,
``record_json: labs[0].unit: ...``, ``resources[2]: ...``).
"""

from __future__ import annotations

import datetime as _dt
import json as _json
from typing import Any, Iterable, Optional, Union

from . import _willis

__all__ = [
    "assess",
    "screen_row",
    "patient_key",
    "GUIDELINES",
    "DEFAULT_GUIDELINE",
    "ROW_FIELDS",
    "KNOWLEDGE_VERSION",
    "__version__",
]

__version__: str = _willis.__version__
KNOWLEDGE_VERSION: str = _willis.KNOWLEDGE_VERSION

#: The guideline profiles the engine knows.
GUIDELINES = ("irlssg-2018", "aasm-2024", "rlsf-2021")
DEFAULT_GUIDELINE = "irlssg-2018"

#: The screen's row, field by field, in order (a contract shared with
#: ``willis screen``).
ROW_FIELDS = (
    "patient",
    "ids",
    "ferritin_ug_per_l",
    "tsat_percent",
    "measured_on",
    "first_step",
)

DateLike = Union[_dt.date, str, None]


def _day(as_of: DateLike) -> str:
    """``as_of`` as ``YYYY-MM-DD``; ``None`` is today in UTC."""
    if as_of is None:
        return _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if isinstance(as_of, _dt.datetime):
        return as_of.date().isoformat()
    if isinstance(as_of, _dt.date):
        return as_of.isoformat()
    if isinstance(as_of, str):
        return as_of
    raise ValueError(
        f"as_of: {as_of!r} is not a date; give a datetime.date or 'YYYY-MM-DD'"
    )


def _guideline(guideline: Any) -> str:
    if not isinstance(guideline, str):
        raise ValueError(
            f"guideline: {guideline!r} is not a guideline profile; "
            "use irlssg-2018, aasm-2024 or rlsf-2021"
        )
    return guideline


def _text(value: Any, what: str) -> str:
    """A JSON document as text: a str as it is, a dict (or list) dumped."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{what}: not UTF-8 text ({e})") from None
    if isinstance(value, (dict, list)):
        try:
            return _json.dumps(value)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{what}: cannot be written as JSON ({e})") from None
    raise ValueError(
        f"{what}: a JSON document is a str or a dict, not {type(value).__name__}"
    )


def assess(
    record_json: Union[str, bytes, dict],
    as_of: DateLike = None,
    guideline: str = DEFAULT_GUIDELINE,
) -> dict:
    """The plan for one person: the ``willis-assessment/1`` document as a dict.

    ``record_json`` is a ``willis-record/1`` file or a FHIR R4 Bundle (told
    apart by its content), as text or as a dict. ``as_of`` (a
    ``datetime.date`` or ``"YYYY-MM-DD"``; ``None``: today in UTC) is the day
    the plan is for: a Bundle's facts dated later are left out, a record
    file's are refused. Give it explicitly for results that do not change
    with the day they are computed.
    """
    text = _willis.assess(
        _text(record_json, "record_json"), _day(as_of), _guideline(guideline)
    )
    return _json.loads(text)


def _row(text: Optional[str]) -> Optional[dict]:
    return None if text is None else _json.loads(text)


def screen_row(
    resources: Iterable[Union[str, bytes, dict]],
    as_of: DateLike = None,
    guideline: str = DEFAULT_GUIDELINE,
    *,
    strict: bool = True,
) -> Optional[dict]:
    """The population screen's row for one patient, or ``None`` without RLS.

    ``resources`` are one patient's FHIR resources (JSON text or dicts) in
    any order: their ``Patient`` and the Observations, Conditions and
    medicines that reference it. The row is the one ``willis screen`` writes:
    ``{"patient", "ids", "ferritin_ug_per_l", "tsat_percent", "measured_on",
    "first_step"}`` with ``measured_on`` as ``"YYYY-MM-DD"`` or ``None``.

    ``strict`` (the default) raises ``ValueError("resources[i]: ...")`` for a
    resource that is not FHIR JSON. ``strict=False`` does what ``willis
    screen`` does with an export: such resources are left out, and a patient
    whose record cannot be built gets no row.
    """
    if isinstance(resources, (str, bytes, dict)):
        raise ValueError(
            "resources: a list of one patient's resources (JSON text or dicts), "
            "not a single document"
        )
    lines = [_text(r, f"resources[{i}]") for i, r in enumerate(resources)]
    row, _malformed, _why = _willis.screen_row(
        lines, _day(as_of), _guideline(guideline), bool(strict)
    )
    return _row(row)


def patient_key(line: Union[str, bytes]) -> Optional[str]:
    """The patient an NDJSON line belongs to, when the screen reads the line.

    The screen's cheap first look: a resource type or an Observation code no
    rule reads, a blank or malformed line, or a resource without a patient
    gives ``None``; otherwise the ``Patient.id`` (or the id its ``subject``
    references). Lines with the same key are one patient's resources.
    """
    kind, patient, _hint = _willis.scan(line)
    return patient if kind == "keep" else None
