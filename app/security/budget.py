"""The SMS budget: every text sent, code or notice, is a row that the hourly caps count."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, text

from app.extensions import db
from app.models import SmsMessage, utcnow
from app.security import RateLimited, accounts, wait_in_words

USER_CAP = "user_cap"
NUMBER_CAP = "number_cap"


def lock(user_id: int | None, phone: str) -> None:
    """Serialise budget checks for this account and this number until the transaction ends.

    The account row is locked first, then the number, always in that order (no deadlock).
    SQLite needs neither: BEGIN IMMEDIATE already serialises writers.
    """
    if user_id is not None:
        accounts.lock_row(user_id)
    if db.engine.dialect.name == "postgresql":
        # Accounts sharing a number would otherwise each count before the others' rows land.
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "sms-number:" + phone})


def hourly_wait(user_id: int | None, phone: str | None, now: datetime | None = None) -> tuple[int, str | None]:
    """Return the seconds until this account and number may be texted again, and the cap in the way."""
    now = now or utcnow()
    cfg = current_app.config
    since = now - timedelta(hours=1)
    # One query for both caps; each branch of the OR uses its own (column, created_at) index.
    branches = []
    if user_id is not None:
        branches.append(and_(SmsMessage.user_id == user_id, SmsMessage.created_at > since))
    if phone:
        branches.append(and_(SmsMessage.phone_e164 == phone, SmsMessage.created_at > since))
    if not branches:
        return 0, None
    rows = db.session.execute(
        select(SmsMessage.created_at, SmsMessage.user_id, SmsMessage.phone_e164).where(or_(*branches))
        .order_by(SmsMessage.created_at)
    ).all()
    waits = [(0, None)]
    if user_id is not None:
        waits.append((_wait([r.created_at for r in rows if r.user_id == user_id],
                            int(cfg["SMS_MAX_PER_USER_PER_HOUR"]), now), USER_CAP))
    if phone:
        waits.append((_wait([r.created_at for r in rows if r.phone_e164 == phone],
                            int(cfg["SMS_MAX_PER_NUMBER_PER_HOUR"]), now), NUMBER_CAP))
    wait, reason = max(waits, key=lambda pair: pair[0])
    return (wait, reason) if wait else (0, None)


def _wait(sent: list[datetime], cap: int, now: datetime) -> int:
    if len(sent) < cap:
        return 0
    # The oldest text in the window must age out before the next is allowed.
    free_at = sent[len(sent) - cap] + timedelta(hours=1)
    return max(1, int((free_at - now).total_seconds()) + 1)


def check(user_id: int | None, phone: str, now: datetime | None = None) -> None:
    """Raise RateLimited when an hourly cap forbids another text (call under lock())."""
    wait, reason = hourly_wait(user_id, phone, now)
    if wait:
        raise RateLimited(f"Too many codes were sent. Try again in {wait_in_words(wait, minutes_only=True)}.",
                          retry_after=wait, reason=reason)


def spend(user_id: int | None, phone: str, kind: str, now: datetime | None = None) -> SmsMessage:
    """Add the row of a text about to be sent (committed by the caller, with its lock)."""
    row = SmsMessage(user_id=user_id, phone_e164=phone, kind=kind, created_at=now or utcnow())
    db.session.add(row)
    return row


def refund(row: SmsMessage) -> None:
    """Take back the row of a text that was never sent (committed by the caller)."""
    db.session.execute(delete(SmsMessage).where(SmsMessage.id == row.id))


def sent_within_the_hour(user_id: int | None, phone: str, kind: str, now: datetime | None = None) -> bool:
    """Tell whether a text of this kind went to this account (or, without one, this number) this hour."""
    now = now or utcnow()
    who = SmsMessage.user_id == user_id if user_id is not None else SmsMessage.phone_e164 == phone
    return db.session.scalar(
        select(SmsMessage.id).where(who, SmsMessage.kind == kind, SmsMessage.created_at > now - timedelta(hours=1))
        .limit(1)
    ) is not None


def purge(before: datetime) -> int:
    """Delete rows older than the caps look back (committed by the caller); return how many."""
    return db.session.execute(delete(SmsMessage).where(SmsMessage.created_at < before)).rowcount or 0
