"""Housekeeping that is safe to run from cron on every host."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_

from app import adapters
from app.extensions import db
from app.models import EmailToken, SecondFactorChallenge, StaffReset, TrustedDevice, VerificationCode, utcnow
from app.security import append_only, budget


def cleanup() -> dict[str, int]:
    """Delete expired codes and links, old texts, devices, challenges, finished staff resets and session files.

    Also blanks old audit clients. Commits its own unit of work (everything but session files together);
    returns counts.
    """
    now = utcnow()
    # Keep an hour of texts sent (and a margin): the hourly caps count them.
    cutoff = now - timedelta(hours=1, minutes=5)
    codes = _delete_spent(VerificationCode, cutoff, VerificationCode.expires_at < now,
                          VerificationCode.consumed_at.is_not(None), VerificationCode.revoked_at.is_not(None))
    devices = db.session.execute(delete(TrustedDevice).where(TrustedDevice.expires_at < now)).rowcount
    challenges = db.session.execute(
        delete(SecondFactorChallenge).where(SecondFactorChallenge.expires_at < now)
    ).rowcount
    # Spent links are kept for the same hour: the resend throttle counts the links sent in it.
    links = _delete_spent(EmailToken, cutoff, EmailToken.expires_at < now, EmailToken.used_at.is_not(None),
                          EmailToken.revoked_at.is_not(None))
    # A finished or cancelled reset is only history, and the audit log keeps that.
    resets = _delete_spent(StaffReset, cutoff, StaffReset.applied_at.is_not(None), StaffReset.cancelled_at.is_not(None))
    budget.purge(cutoff)
    # Health-records privacy: where and with what browser someone signed in is kept only so long.
    retention = timedelta(days=int(current_app.config["AUDIT_CLIENT_RETENTION_DAYS"]))
    clients = append_only.forget_old_clients(now - retention)
    db.session.commit()
    return {"codes": codes, "devices": devices or 0, "challenges": challenges or 0,
            "email_tokens": links, "staff_resets": resets, "sessions": _cleanup_session_files(),
            "audit_clients": clients}


def _delete_spent(model, cutoff, *spent) -> int:
    # Rows made before the cutoff that are spent in any of the given ways.
    return db.session.execute(delete(model).where(model.created_at < cutoff, or_(*spent))).rowcount or 0


def _cleanup_session_files() -> int:
    cfg = current_app.config
    if cfg["SESSION_TYPE"] != "cachelib":
        return 0  # Redis expires sessions by itself.
    # Each file carries its expiry time; cachelib sweeps only on a write that finds the cache full.
    return adapters.remove_expired_session_files(cfg["SESSION_CACHELIB"])
