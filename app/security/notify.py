"""Security notices by SMS: within the SMS budget, best effort, never blocking the change they report."""

import logging

from flask import current_app

from app import ratelimits
from app.extensions import db
from app.models import User
from app.security import budget
from app.sms import SmsSendError, send_text

log = logging.getLogger(__name__)

TWO_FACTOR_OFF = (
    "Two-factor authentication was turned off for your {app} account. "
    "If this wasn't you, contact support."
)
TWO_FACTOR_OFF_BY_SUPPORT = (
    "Our support team turned off two-factor authentication for your {app} account. "
    "If you didn't ask for this, contact support."
)
NUMBER_CHANGED = (
    "The phone number for two-factor authentication on your {app} account was changed. "
    "If this wasn't you, contact support."
)
WRONG_CODES = (
    "Someone entered your {app} password but not the code we texted. "
    "If this wasn't you, change your password now."
)
SIGNIN_THROTTLED = (
    "There have been many failed sign-in attempts on your {app} account. "
    "If this wasn't you, consider changing your password."
)
RECOVERY_CODE_USED = (
    "A recovery code was just used to sign in to your {app} account. "
    "If this wasn't you, contact support."
)

RECOVERY_CODE_USED_TO_CONFIRM = (
    "A recovery code was just used to confirm a change to the security settings of your {app} account. "
    "If this wasn't you, contact support."
)

# Notices one actor can trigger over and over: at most one an hour per account and kind, and
# only within the caps; the events themselves are always in the audit log. Every other notice
# is one-off (two-factor off, number changed, staff reset): counted, never refused.
REPEATABLE = {WRONG_CODES: "wrong_codes", SIGNIN_THROTTLED: "signin_throttled",
              RECOVERY_CODE_USED: "recovery_code_used",
              RECOVERY_CODE_USED_TO_CONFIRM: "recovery_code_used"}
_ONE_OFF = {TWO_FACTOR_OFF: "two_factor_off", NUMBER_CHANGED: "number_changed"}


def send_notice(phone: str | None, template: str, *, user: User | None = None) -> bool:
    """Text a notice, spending the SMS budget; return whether it went out (failures are logged, not raised).

    user: the account it concerns (its hourly budget; once an hour for repeatable notices).
    Commits its own work: call it after the change it reports is committed.
    """
    if not phone:
        return False
    repeatable = template in REPEATABLE
    kind = "notice_" + (REPEATABLE.get(template) or _ONE_OFF.get(template) or "other")
    spent = _reserve(user.id if user else None, phone, kind, repeatable)
    if spent is None:
        return False
    if not ratelimits.spend_sms_global(force=not repeatable):
        _refund(spent)
        return False
    try:
        send_text(phone, template.format(app=current_app.config["APP_NAME"]))
    except SmsSendError as exc:
        if not exc.unconfirmed:  # an unanswered text may still arrive: it stays counted
            _refund(spent)
        log.warning("Security notice not sent: %s", exc.provider_detail or exc.user_message)
        return False
    return True


def _reserve(user_id: int | None, phone: str, kind: str, repeatable: bool):
    # Checked and counted in one locked transaction, like a code (see codes.send_code).
    budget.lock(user_id, phone)
    if repeatable:
        if budget.sent_within_the_hour(user_id, phone, kind):
            db.session.rollback()
            return None
        wait, _ = budget.hourly_wait(user_id, phone)
        if wait:
            db.session.rollback()
            return None
    spent = budget.spend(user_id, phone, kind)
    db.session.commit()
    return spent


def _refund(spent) -> None:
    budget.refund(spent)
    db.session.commit()
