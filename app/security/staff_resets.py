"""A staff reset of two-factor: at once when staff verified the person's identity, else after a delay
during which the owner is told (SMS and mail) and can cancel it with the link they were sent."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.mail.links import public_url
from app.models import StaffReset, User, utcnow
from app.security import SecurityError, audit, mail_links, notify, twofactor
from app.security.audit import SYSTEM, Client

MAX_HOW = 200
DEAD_LINK = "This link has expired, was already used, or the reset already happened. Contact support."


def pending(user: User) -> StaffReset | None:
    """Return the user's scheduled reset that is neither applied nor cancelled, if any."""
    return db.session.scalar(select(StaffReset).where(
        StaffReset.user_id == user.id, StaffReset.applied_at.is_(None), StaffReset.cancelled_at.is_(None)))


def schedule(target: User, staff: User, reason: str, client: Client) -> StaffReset:
    """Schedule the reset after STAFF_RESET_DELAY_SECONDS and tell the owner with a cancel link; commits."""
    if pending(target) is not None:
        raise SecurityError("A reset of two-factor is already scheduled for this account.")
    delay = int(current_app.config["STAFF_RESET_DELAY_SECONDS"])
    now = utcnow()
    row = StaffReset(user_id=target.id, actor_id=staff.id, reason=reason, created_at=now,
                     due_at=now + timedelta(seconds=delay))
    db.session.add(row)
    token = mail_links.issue(target, mail_links.CANCEL_STAFF_RESET, target.email, delay)
    audit.record(audit.ADMIN_RESET_2FA_SCHEDULED, client, user=target, actor=staff, reason=reason,
                 due_at=f"{row.due_at:%Y-%m-%d %H:%M}")
    db.session.commit()
    notify.send_notice(target.phone_e164, notify.STAFF_RESET_SCHEDULED, user=target,
                       when=f"{row.due_at:%d %b %Y %H:%M} UTC",
                       link=public_url("email.cancel_staff_reset", token=token))
    return row


def apply_now(target: User, staff: User, reason: str, how: str, client: Client) -> None:
    """Reset at once: staff recorded how they verified the person's identity; commits, tells the owner."""
    how = " ".join((how or "").split())[:MAX_HOW]
    if not how:
        raise SecurityError("Say how you verified the person's identity.", field="identity_verified")
    existing = pending(target)
    if existing is not None:
        _close(existing.id, applied_at=utcnow())  # the scheduled one is overtaken (unless just cancelled)
    twofactor.disable(target, client, actor=staff, reason=reason, identity_verified=how)


def apply_due(user: User | None = None) -> int:
    """Apply every scheduled reset whose time has come (one user's, or all); commits each; return how many."""
    stmt = select(StaffReset.id).where(StaffReset.due_at <= utcnow(), StaffReset.applied_at.is_(None),
                                       StaffReset.cancelled_at.is_(None))
    if user is not None:
        stmt = stmt.where(StaffReset.user_id == user.id)
    applied = 0
    for reset_id in db.session.scalars(stmt).all():
        # Of two hosts applying at once (cron everywhere), or an owner cancelling meanwhile, one wins.
        won = _close(reset_id, applied_at=utcnow())
        row = db.session.get(StaffReset, reset_id)
        target = db.session.get(User, row.user_id)
        if not won or target is None or not target.two_factor_enabled:
            db.session.commit()
            continue
        staff = db.session.get(User, row.actor_id) if row.actor_id else None
        mail_links.revoke(target.id, mail_links.CANCEL_STAFF_RESET)
        twofactor.disable(target, SYSTEM, actor=staff, reason=row.reason, scheduled=True)
        applied += 1
    db.session.commit()
    return applied


def cancel(token: str | None, client: Client) -> User:
    """Cancel the scheduled reset the owner's link names; commits."""
    link = mail_links.find(mail_links.CANCEL_STAFF_RESET, token)
    user = db.session.get(User, link.user_id) if link else None
    row = pending(user) if user else None
    # Conditional, like apply_due: a reset being applied right now is not also reported cancelled.
    if row is None or not mail_links.consume(link) or not _close(row.id, cancelled_at=utcnow()):
        db.session.rollback()
        raise SecurityError(DEAD_LINK)
    audit.record(audit.ADMIN_RESET_2FA_CANCELLED, client, user=user, reset_id=row.id)
    db.session.commit()
    return user


def _close(reset_id: int, **values) -> bool:
    """Mark a scheduled reset applied or cancelled if it is still neither; tell whether this call did it."""
    return db.session.execute(update(StaffReset).where(
        StaffReset.id == reset_id, StaffReset.applied_at.is_(None), StaffReset.cancelled_at.is_(None))
        .values(**values)).rowcount == 1
