"""The checks a scoring request's fields must pass before any feature is computed: each value of
the use case's request fields against its `RequestField` rule, and each key as one identifier.

A problem names the field and the row, never the value (the value may be personal data, and the
answer and the inference log keep the message).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Mapping, Sequence

from ml_assets.spec import RequestField

MAX_PROBLEMS = 5  # named in one answer; the rest are counted


def field_problem(rule: RequestField, value: Any) -> str | None:
    """Why `value` breaks `rule`, or None when it is acceptable."""
    if _missing(value):
        return "is required" if rule.required else None
    if isinstance(value, (bool, list, dict, tuple, set)):
        return f"must be a single {_noun(rule)}, not {_kind(value)}"
    if rule.kind == "number":
        return _number_problem(rule, value)
    if rule.kind == "date":
        return None if _is_date(value) else "must be an ISO 8601 date (YYYY-MM-DD)"
    if not isinstance(value, (str, int, float)):
        return f"must be text, not {_kind(value)}"
    if rule.known_values and str(value).strip().lower() not in rule.known_values:
        return f"must be one of {', '.join(rule.known_values)}"
    return None


def identifier_problem(value: Any) -> str | None:
    """Keys (claim, member, provider) are one text or integer each, or missing."""
    if _missing(value) or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return None
    return f"must be a single identifier (text), not {_kind(value)}"


def request_problems(columns: Mapping[str, Sequence], rules: Sequence[RequestField],
                     identifiers: Sequence[str]) -> list[str]:
    """Every problem of the request as `field (row i): what is wrong`, rows counted from 1."""
    problems = []
    for rule in rules:
        if rule.name in columns:
            problems += _column_problems(rule.name, columns[rule.name], lambda v, r=rule: field_problem(r, v))
    for name in identifiers:
        if name in columns:
            problems += _column_problems(name, columns[name], identifier_problem)
    return problems


def row_problem(row: Mapping[str, Any], rules: Sequence[RequestField], identifiers: Sequence[str]) -> str | None:
    """The first problem of one row as `field what is wrong` (a batch refuses the row, not the day)."""
    for rule in rules:
        problem = field_problem(rule, row[rule.name]) if rule.name in row else None
        if problem:
            return f"{rule.name} {problem}"
    for name in identifiers:
        problem = identifier_problem(row[name]) if name in row else None
        if problem:
            return f"{name} {problem}"
    return None


def describe(problems: list[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
    return f"invalid request fields: {shown}{more}"


def _column_problems(name: str, values: Sequence, check) -> list[str]:
    out = []
    for i, value in enumerate(values):
        problem = check(value)
        if problem:
            out.append(f"{name} (row {i + 1}) {problem}")
            if len(out) > MAX_PROBLEMS:
                break
    return out


def _number_problem(rule: RequestField, value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return "must be a number"
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "must be a finite number"
    if rule.minimum is not None and value < rule.minimum:
        return f"must be at least {rule.minimum:g}"
    if rule.below is not None and value >= rule.below:
        return f"must be below {rule.below:g}"
    return None


def _is_date(value: Any) -> bool:
    if isinstance(value, (dt.date, dt.datetime)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    try:
        dt.date.fromisoformat(text) if len(text) <= 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _noun(rule: RequestField) -> str:
    return {"number": "number", "date": "date", "text": "text value"}[rule.kind]


def _kind(value: Any) -> str:
    return {bool: "a boolean", list: "a list", tuple: "a list", set: "a list", dict: "an object"}.get(
        type(value), f"a {type(value).__name__}")
