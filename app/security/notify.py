"""Security notices by SMS and mail: best effort, never blocking the change they report.

One-off notices (two-factor off, number changed, password changed or reset, staff reset) go by
SMS and, to a verified address, by mail. Repeatable ones (wrong codes, throttled sign-ins, a
recovery code used) go by mail alone when a verified address exists, else by SMS. Mail-only
notices (new recovery codes, a browser trusted, other staff actions) are never texted. Mail
spends no SMS budget.
"""

import logging

from flask import current_app

from app import ratelimits
from app import mail
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
METHOD_ADDED = (
    "A new two-factor method was added to your {app} account. "
    "If this wasn't you, contact support."
)
METHOD_REMOVED = (
    "A two-factor method was removed from your {app} account. "
    "If this wasn't you, contact support."
)

PASSWORD_CHANGED = (
    "The password of your {app} account was changed, and every session was signed out. "
    "If this wasn't you, reset your password and contact support."
)
PASSWORD_RESET = (
    "The password of your {app} account was reset with a link sent by email, and every session was "
    "signed out. If this wasn't you, contact support."
)
RECOVERY_CODES_GENERATED = (
    "New recovery codes were made for your {app} account; the old ones no longer work. "
    "If this wasn't you, contact support."
)
DEVICE_TRUSTED = (
    "A new browser ({browser}) was trusted on your {app} account, so it won't be asked for a code. "
    "If this wasn't you, change your password and contact support."
)
STAFF_ACTED = (
    "Our support team acted on your {app} account: {action}. If you didn't ask for this, contact support."
)

STAFF_RESET_SCHEDULED = (
    "Our support team was asked to turn off two-factor authentication for your {app} account. "
    "It happens on {when} unless you cancel it. If you didn't ask for this, cancel it now: {link}"
)

# Never texted: new with mail, in flows whose SMS caps are sized without them.
MAIL_ONLY = {RECOVERY_CODES_GENERATED, DEVICE_TRUSTED, STAFF_ACTED}

# Notices one actor can trigger over and over: at most one an hour per account and kind, and
# only within the caps; the events themselves are always in the audit log. Every other notice
# is one-off (two-factor off, number changed, staff reset): counted, never refused.
REPEATABLE = {WRONG_CODES: "wrong_codes", SIGNIN_THROTTLED: "signin_throttled",
              RECOVERY_CODE_USED: "recovery_code_used",
              RECOVERY_CODE_USED_TO_CONFIRM: "recovery_code_used"}
_ONE_OFF = {TWO_FACTOR_OFF: "two_factor_off", NUMBER_CHANGED: "number_changed",
            PASSWORD_CHANGED: "password_changed", PASSWORD_RESET: "password_reset",
            STAFF_RESET_SCHEDULED: "staff_reset_scheduled",
            METHOD_ADDED: "method_added", METHOD_REMOVED: "method_removed"}


def send_notice(phone: str | None, template: str, *, user: User | None = None, **words) -> bool:
    """Mail (to a verified address) and/or text a notice per the rules above; return whether a text went out.

    user: the account it concerns (its address; its hourly SMS budget; once an hour for repeatable
    texts). words: the template's own fields (a link among them comes from mail.links.public_url).
    Failures are logged, not raised. Commits its own work: call it after the change it reports is committed.
    """
    text = template.format(app=current_app.config["APP_NAME"], **words)
    mailed = False
    if user is not None and user.email_verified:
        mail.send(user.email, "notice", text=text)
        mailed = True
    if template in MAIL_ONLY or (mailed and template in REPEATABLE):
        return False
    return _text(phone, template, text, user)


def _text(phone: str | None, template: str, text: str, user: User | None) -> bool:
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
        send_text(phone, text)
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
