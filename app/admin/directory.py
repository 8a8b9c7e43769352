"""Finding people and gathering what staff may see about them (never a full number)."""

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.admin import audit_log, paging, sessions
from app.admin.actions import Action, available
from app.models import StaffReset, TrustedDevice, User, utcnow
from app.security import admin, devices, methods, recovery, staff_resets
from app.security.accounts import normalise_email
from app.security.phones import mask

PER_PAGE = 25
_LAST4 = re.compile(r"\d{4}")


@dataclass(frozen=True)
class UserRow:
    """A line of the Users table."""

    user: User
    masked: str
    trusted_browsers: int


@dataclass(frozen=True)
class UserFacts:
    """Everything the User detail screen shows."""

    user: User
    masked: str
    devices: list[TrustedDevice]
    active_sessions: int | None
    recovery_codes_left: int
    code_checks_stopped: bool
    events: list[audit_log.EventRow]
    actions: list[Action]
    methods: list[methods.MethodRow]
    method_labels: dict[str, str]
    staff_reset: StaffReset | None = None


def clean_query(raw: str | None) -> str:
    """Fold a search the way emails are stored (lower case, no surrounding space)."""
    return normalise_email(raw or "")[:254]


def search(query: str, number: int, per_page: int = PER_PAGE) -> paging.Page:
    """Find users by email prefix, or by the last four digits of their number."""
    live = (
        select(TrustedDevice.user_id, func.count().label("n"))
        .where(TrustedDevice.expires_at > utcnow())
        .group_by(TrustedDevice.user_id)
        .subquery()
    )
    stmt = select(User, func.coalesce(live.c.n, 0)).outerjoin(live, live.c.user_id == User.id)
    if _LAST4.fullmatch(query):
        stmt = stmt.where(User.phone_last4 == query)
    elif query:
        stmt = stmt.where(User.email.startswith(query, autoescape=True))
    found = paging.fetch(stmt.order_by(User.email), number, per_page)
    rows = [UserRow(user, mask(user.phone_e164), count) for user, count in found.items]
    return paging.Page(rows, found.number, found.has_next)


def facts(user: User) -> UserFacts:
    """Gather the account facts, browsers, sessions, recovery codes and recent events."""
    return UserFacts(
        user=user,
        masked=mask(user.phone_e164),
        devices=devices.list_devices(user),
        active_sessions=sessions.count_active(user),
        recovery_codes_left=recovery.remaining(user),
        code_checks_stopped=admin.code_checks_stopped(user),
        events=audit_log.recent_for(user),
        actions=available(user),
        staff_reset=staff_resets.pending(user),
        methods=methods.listing(user),
        method_labels=methods.LABELS,
    )
