"""The audit log for staff: filters, pages of events, and a streamed CSV export."""

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import aliased

from app.admin import paging, wording
from app.extensions import db
from app.models import SecurityEvent, User
from app.security import audit
from app.security.accounts import normalise_email

PER_PAGE = 50
EXPORT_BATCH = 2000
CSV_HEADER = ["id", "time_utc", "type", "account", "actor", "ip", "user_agent", "reason", "details"]
# Six or more digits in a row could be a phone number or a code: staff never see those.
_LONG_DIGITS = re.compile(r"\+?\d{6,}")
# Spreadsheets run cells starting with these as formulas (CSV injection).
_FORMULA_START = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: by account email, type and an inclusive UTC date range."""

    email: str = ""
    type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: dict = field(default_factory=dict, compare=False)

    def args(self) -> dict[str, str]:
        """Return the filter as query arguments (for links and the CSV export)."""
        values = {"user": self.email, "type": self.type,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class EventRow:
    """A security event as staff see it: emails instead of ids, secrets hidden."""

    id: int
    created_at: datetime
    type: str
    account: str | None
    actor: str | None
    ip: str | None
    user_agent: str | None
    reason: str | None
    details: dict

    @property
    def label(self) -> str:
        """The event type in plain words."""
        return wording.event_label(self.type)

    @property
    def reason_words(self) -> str | None:
        """The staff member's reason as written, or a recorded reason code in words."""
        return wording.detail_value("reason", self.reason) if self.reason and not self.actor else self.reason

    @property
    def detail_words(self) -> list[tuple[str, str]]:
        """The details as (label, value) pairs in plain words."""
        return wording.detail_pairs(self.details)


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """Read a filter from query arguments; unusable parts are dropped and explained."""
    errors: dict[str, str] = {}
    kind = (args.get("type") or "").strip()
    if kind and kind not in audit.ALL_TYPES:
        errors["type"], kind = "Choose an event type from the list.", ""
    start, end = _date(args, "from", errors), _date(args, "to", errors)
    if start and end and start > end:
        errors["to"], end = "The end date is before the start date.", None
    return AuditFilter(normalise_email(args.get("user") or "")[:254], kind, start, end, errors)


def _date(args: Mapping[str, str], name: str, errors: dict) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        errors[name] = "Enter a date like 2025-01-31."
        return None


def _statement(f: AuditFilter) -> Select:
    account, actor = aliased(User), aliased(User)
    stmt = (
        select(SecurityEvent.id, SecurityEvent.created_at, SecurityEvent.type, account.email, actor.email,
               SecurityEvent.ip, SecurityEvent.user_agent, SecurityEvent.details)
        .outerjoin(account, account.id == SecurityEvent.user_id)
        .outerjoin(actor, actor.id == SecurityEvent.actor_id)
    )
    if f.email:
        stmt = stmt.where(SecurityEvent.user_id == select(User.id).where(User.email == f.email).scalar_subquery())
    if f.type:
        stmt = stmt.where(SecurityEvent.type == f.type)
    if f.date_from:
        stmt = stmt.where(SecurityEvent.created_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        stmt = stmt.where(SecurityEvent.created_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return stmt.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())


def hide_long_digits(text: str | None) -> str | None:
    """Replace anything that could be a phone number or a code."""
    return _LONG_DIGITS.sub("[hidden]", text) if text else text


def _row(values) -> EventRow:
    event_id, created_at, kind, account, actor, ip, user_agent, raw = values
    details = {k: hide_long_digits(str(v)) for k, v in (json.loads(raw) if raw else {}).items()}
    reason = details.pop("reason", None)
    return EventRow(event_id, created_at, kind, account, actor if actor != account else None, ip,
                    hide_long_digits(user_agent), reason, details)


def page(f: AuditFilter, number: int, per_page: int = PER_PAGE) -> paging.Page:
    """Return one page of events, newest first."""
    found = paging.fetch(_statement(f), number, per_page)
    return paging.Page([_row(r) for r in found.items], found.number, found.has_next)


def recent_for(user: User, limit: int = 20) -> list[EventRow]:
    """Return the user's latest events, newest first."""
    return page(AuditFilter(email=user.email), 1, limit).items


def safe_cell(value) -> str:
    """Render a CSV cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def csv_lines(f: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[str]:
    """Yield the filtered log as CSV text, a batch of rows at a time (keyset, never all in memory)."""
    yield _csv_text([CSV_HEADER])
    stmt, after = _statement(f), None
    while True:
        query = stmt if after is None else stmt.where(tuple_(SecurityEvent.created_at, SecurityEvent.id) < after)
        rows = [_row(values) for values in db.session.execute(query.limit(batch))]
        # End the read at once: SQLite transactions take the write lock (BEGIN IMMEDIATE),
        # and a slow download must not block sign-ins between batches.
        db.session.rollback()
        if rows:
            yield _csv_text([_cells(row) for row in rows])
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)


def _cells(row: EventRow) -> list[str]:
    details = json.dumps(row.details, sort_keys=True) if row.details else ""
    values = [row.id, row.created_at.isoformat(sep=" ", timespec="seconds"), row.type, row.account,
              row.actor, row.ip, row.user_agent, row.reason, details]
    return [safe_cell(v) for v in values]


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
