"""Security notices by SMS: best effort, never blocking the change they report."""

import logging

from flask import current_app

from app.sms import SmsSendError, get_sender

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


def send_notice(phone: str | None, template: str) -> bool:
    """Text a notice; return whether it went out (failures are logged, not raised)."""
    if not phone:
        return False
    try:
        get_sender().send(phone, template.format(app=current_app.config["APP_NAME"]))
    except SmsSendError as exc:
        log.warning("Security notice not sent: %s", exc.provider_detail or exc.user_message)
        return False
    return True
