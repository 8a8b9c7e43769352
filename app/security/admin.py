"""Support staff actions on someone's account: each needs a reason and is audited."""

from flask import current_app

from app.extensions import db
from app.models import User, utcnow
from app.security import SecurityError, accounts, audit, devices, notify, one_line, password_reset, staff_resets
from app.security.audit import Client

MAX_REASON = 500


def clean_reason(raw: str) -> str:
    """Return the reason on one line, or raise SecurityError if missing or too long."""
    return one_line(raw, MAX_REASON, missing="Write down why you're doing this; it goes in the audit log.",
                    field="reason")


def code_checks_stopped(user: User) -> bool:
    """Tell whether the consecutive wrong-code cap has stopped the account's code checks."""
    return user.consecutive_code_failures >= int(current_app.config["CODE_FAILURE_CAP"])


class StaffAccountRefused(SecurityError):
    """Staff tried to act on another staff account: that is the command line's job."""

    status = 403


STAFF_TARGET = ("Staff accounts can't be changed from the support area. "
                "Ask an administrator to use the command line (flask users).")


def check_may_act(target: User, staff: User) -> None:
    """Refuse an action on one's own account or on another staff member's."""
    # Staff change their own account through My Account Settings, like everyone else.
    if target.id == staff.id:
        raise SecurityError("Use My Account Settings to change your own account.")
    # One staff account taken over must not lock out, reset or sign out the others.
    if target.is_staff:
        raise StaffAccountRefused(STAFF_TARGET)


def reset_two_factor(target: User, staff: User, reason: str, client: Client, *, identity_verified: str = "") -> str:
    """Reset two-factor at once when staff verified the identity (how), else schedule it; return what happened.

    The reset turns two-factor off, forgets browsers and recovery codes, ends sessions and tells
    the owner. Scheduled, it waits STAFF_RESET_DELAY_SECONDS, the owner told and able to cancel.
    """
    check_may_act(target, staff)
    if not target.two_factor_enabled:
        raise SecurityError("Two-factor authentication is already off for this account.")
    if identity_verified.strip():
        staff_resets.apply_now(target, staff, reason, identity_verified, client)
        return ("Two-factor authentication was reset. The person can sign in with their password "
                "and set it up again.")
    row = staff_resets.schedule(target, staff, reason, client)
    return (f"Two-factor authentication will be reset on {row.due_at:%d %b %Y %H:%M} UTC unless the person "
            "cancels it. They were told by text and email.")


def send_reset_link(target: User, staff: User, reason: str, client: Client) -> None:
    """Mail a password reset link to the account's confirmed address; staff never see the link."""
    check_may_act(target, staff)
    if not target.email_verified:
        raise SecurityError("This person's email address isn't confirmed: reset links go only to confirmed "
                            "addresses. Ask them to follow the confirmation link (they can resend it).")
    if not password_reset.request_link(target.email, client, actor=staff, reason=reason):
        raise SecurityError("Several reset links were sent to this address in the last hour. Try again later.")


def forget_browsers(target: User, staff: User, reason: str, client: Client) -> int:
    """Forget every trusted browser of the account; return how many."""
    check_may_act(target, staff)
    count = devices.forget_all(target, client, actor=staff, reason="support staff")
    audit.record(audit.ADMIN_FORGET_DEVICES, client, user=target, actor=staff, reason=reason, count=count)
    db.session.commit()
    _tell_owner(target, "every trusted browser was forgotten")
    return count


def sign_out_everywhere(target: User, staff: User, reason: str, client: Client) -> None:
    """End every session of the account at its next request."""
    check_may_act(target, staff)
    accounts.end_all_sessions(target)
    audit.record(audit.ADMIN_SIGNOUT_EVERYWHERE, client, user=target, actor=staff, reason=reason)
    db.session.commit()
    _tell_owner(target, "you were signed out everywhere")


def lock(target: User, staff: User, reason: str, client: Client) -> None:
    """Stop the account from signing in and end its sessions."""
    check_may_act(target, staff)
    if target.is_locked:
        raise SecurityError("This account is already locked.")
    accounts.end_all_sessions(target)
    target.locked_at = utcnow()
    audit.record(audit.ADMIN_LOCK, client, user=target, actor=staff, reason=reason)
    db.session.commit()
    _tell_owner(target, "the account was locked")


def unlock(target: User, staff: User, reason: str, client: Client) -> None:
    """Let the account sign in again and lift the wrong-code cap."""
    check_may_act(target, staff)
    if not target.is_locked and not code_checks_stopped(target):
        raise SecurityError("This account isn't locked.")
    details = {"was_locked": target.is_locked, "code_failures_cleared": target.consecutive_code_failures}
    target.locked_at = None
    target.consecutive_code_failures = 0
    audit.record(audit.ADMIN_UNLOCK, client, user=target, actor=staff, reason=reason, **details)
    db.session.commit()
    _tell_owner(target, "the account was unlocked")


def _tell_owner(target: User, action: str) -> None:
    # By mail only (to a confirmed address): staff actions never spent the SMS budget.
    notify.send_notice(None, notify.STAFF_ACTED, user=target, action=action)
