"""Trusted browsers: a random token in a cookie, only its digest stored."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from user_agents import parse as parse_user_agent

from app.extensions import db
from app.models import TrustedDevice, User, utcnow
from app.security import audit, notify
from app.security.audit import Client


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_name(user_agent: str | None) -> str:
    """Name a browser the way a person would, e.g. "Chrome on Linux"."""
    if not user_agent:
        return "Unknown browser"
    ua = parse_user_agent(user_agent[:512])
    browser = ua.browser.family if ua.browser.family != "Other" else "Unknown browser"
    system = ua.os.family if ua.os.family != "Other" else "an unknown system"
    return f"{browser} on {system}"[:120]


def trust_browser(user: User, client: Client) -> tuple[str, TrustedDevice]:
    """Record this browser as trusted; return the raw token for its cookie (committed by the calling service)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    device = TrustedDevice(
        user_id=user.id,
        token_digest=_digest(token),
        name=device_name(client.user_agent),
        ip=client.ip,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=int(current_app.config["TRUSTED_DEVICE_DAYS"])),
    )
    db.session.add(device)
    db.session.flush()
    audit.record(audit.DEVICE_TRUSTED, client, user=user, device_id=device.id, name=device.name)
    return token, device


def trust_this_browser(user: User, client: Client) -> tuple[str, TrustedDevice]:
    """Record this browser as trusted on its own (after a two-factor change); commits."""
    token, device = trust_browser(user, client)
    db.session.commit()
    notify_trusted(user, device)
    return token, device


def notify_trusted(user: User, device: TrustedDevice) -> None:
    """Mail the owner that a browser was trusted (after the commit that trusted it)."""
    notify.send_notice(None, notify.DEVICE_TRUSTED, user=user, browser=device.name)


def find_trusted(user: User, token: str | None) -> TrustedDevice | None:
    """Return this user's live device for the cookie token; never another user's."""
    if not token or len(token) > 128:
        return None
    device = db.session.scalar(select(TrustedDevice).where(TrustedDevice.token_digest == _digest(token)))
    if device is None or device.user_id != user.id or device.expires_at <= utcnow():
        return None
    return device


def device_for_token(token: str | None) -> TrustedDevice | None:
    """Return the device a cookie names, whoever owns it and whatever its age."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(TrustedDevice).where(TrustedDevice.token_digest == _digest(token)))


def forget_this_browser(token: str | None, client: Client) -> bool:
    """Forget the device a trust cookie names, whoever is signed in; commits. False if none."""
    # Holding the token is what made the browser trusted, so holding it is enough to end
    # that trust: "Sign out completely" must work after the session expired, too.
    device = device_for_token(token)
    if device is None:
        return False
    owner, device_id = device.user, device.id
    db.session.delete(device)
    audit.record(audit.DEVICE_FORGOTTEN, client, user=owner, device_id=device_id, why="sign out completely")
    db.session.commit()
    return True


def mark_used(device: TrustedDevice, client: Client) -> None:
    """Note that the device stood in for a code just now."""
    device.last_used_at = utcnow()
    device.ip = client.ip


def list_devices(user: User) -> list[TrustedDevice]:
    """Return the user's live trusted browsers, most recently used first."""
    return list(
        db.session.scalars(
            select(TrustedDevice)
            .where(TrustedDevice.user_id == user.id, TrustedDevice.expires_at > utcnow())
            .order_by(TrustedDevice.last_used_at.desc())
        )
    )


def forget(user: User, device_id: int, client: Client, actor: User | None = None) -> bool:
    """Forget one of the user's devices; False if it isn't theirs; commits."""
    device = db.session.get(TrustedDevice, device_id)
    if device is None or device.user_id != user.id:
        return False
    db.session.delete(device)
    audit.record(audit.DEVICE_FORGOTTEN, client, user=user, actor=actor, device_id=device_id)
    db.session.commit()
    return True


def forget_all(user: User, client: Client, *, keep_id: int | None = None, actor: User | None = None,
               reason: str = "") -> int:
    """Forget every device of the user except keep_id; return how many."""
    stmt = delete(TrustedDevice).where(TrustedDevice.user_id == user.id)
    if keep_id is not None:
        stmt = stmt.where(TrustedDevice.id != keep_id)
    count = db.session.execute(stmt).rowcount or 0
    if count:
        audit.record(audit.DEVICE_FORGOTTEN, client, user=user, actor=actor, count=count, why=reason)
    return count


def forget_others(user: User, client: Client, *, keep_id: int | None) -> int:
    """Forget every trusted browser of the user but keep_id ("forget others"); return how many; commits."""
    count = forget_all(user, client, keep_id=keep_id, reason="forget others")
    db.session.commit()
    return count
