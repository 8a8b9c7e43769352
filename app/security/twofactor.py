"""Turning two-factor on and off, adding and removing its methods, and changing the SMS number."""

from collections.abc import Callable

from flask import current_app

from app.extensions import db
from app.models import METHOD_ATTRIBUTES, RECOVERY_ATTRIBUTES, RecoveryCode, User, VerificationCode
from app.security import SecurityError, accounts, audit, codes, devices, methods, notify
from app.security.audit import Client
from app.security.phones import allowed_regions, parse_mobile


def parse_number(region: str, raw: str) -> str:
    """Validate a number against the configured country allow-list."""
    return parse_mobile(region, raw, allowed_regions(current_app.config["SMS_ALLOWED_COUNTRIES"]))


SMS_ALREADY_ON = "Two-factor authentication is already on."  # with text messages


def start_setup(user: User, region: str, raw_phone: str, client: Client, host: str | None,
                allowance: Callable[[], int | None] | None = None):
    """Send a setup code to a new number; nothing is saved until it is verified (allowance: see codes.send_code)."""
    if user.has_sms:
        raise SecurityError(SMS_ALREADY_ON)
    phone = parse_number(region, raw_phone)
    return codes.send_code(user, codes.SETUP, phone, client, host, allowance=allowance)


def confirm_setup(user: User, code_id: int | None, raw_code: str, client: Client) -> bool:
    """Add the SMS method with the number the code was sent to; return whether two-factor just turned on; commits."""
    if user.has_sms:
        raise SecurityError(SMS_ALREADY_ON)
    code = codes.verify_code(user, code_id, codes.SETUP, raw_code, client)
    first = not user.two_factor_enabled
    _set_phone(user, code.phone_e164)
    method_added(user, methods.SMS, client, first=first)
    return first


def method_added(user: User, kind: str, client: Client, *, first: bool, name: str | None = None) -> None:
    """Record a method just added (in this unit of work), commit, then send the notice.

    The first method turns two-factor on: every earlier trusted browser is forgotten, as a
    browser trusted before there was a second factor was never really checked.
    """
    if first:
        devices.forget_all(user, client, reason="two-factor turned on")
        audit.record(audit.TWO_FACTOR_ENABLED, client, user=user, method=kind)
    else:
        audit.record(audit.METHOD_ADDED, client, user=user, method=kind, **({"name": name} if name else {}))
    db.session.commit()
    if not first:
        # Told on the owner's channels from before: a number just added is not one of them (mail only then).
        notify.send_notice(None if kind == methods.SMS else user.phone_e164, notify.METHOD_ADDED, user=user)


def remove_method(user: User, kind: str, client: Client, remove, *, name: str | None = None) -> None:
    """Remove one method with remove() when another remains (the last one: see disable); commits."""
    if kind not in methods.available(user):
        raise SecurityError("That method isn't set up.")
    if methods.available(user) == [kind] and (kind != methods.WEBAUTHN or len(user.webauthn_credentials) == 1):
        raise SecurityError("That's your only two-factor method: turn two-factor authentication off instead.")
    phone = user.phone_e164
    remove()
    db.session.flush()
    db.session.expire(user, METHOD_ATTRIBUTES)
    audit.record(audit.METHOD_REMOVED, client, user=user, method=kind, **({"name": name} if name else {}))
    db.session.commit()
    # Told on the number that was in force, even when the number itself was removed.
    notify.send_notice(phone, notify.METHOD_REMOVED, user=user)


def remove_sms(user: User, client: Client) -> None:
    """Stop texting codes (another method remains); commits."""
    remove_method(user, methods.SMS, client, lambda: _set_phone(user, None))


def start_number_change(user: User, region: str, raw_phone: str, client: Client, host: str | None,
                        allowance: Callable[[], int | None] | None = None):
    """Send a code to the new number; the old one stays in force meanwhile (allowance: see codes.send_code)."""
    phone = check_new_number(user, region, raw_phone)
    return codes.send_code(user, codes.NUMBER_CHANGE, phone, client, host, allowance=allowance)


def flow_code(user: User, code_id: int | None) -> VerificationCode | None:
    """Return the user's own code with this id (another user's code is None, like a missing one)."""
    code = db.session.get(VerificationCode, code_id) if code_id else None
    return code if code is not None and code.user_id == user.id else None


def resend(user: User, purpose: str, code_id: int | None, client: Client, host: str | None) -> VerificationCode:
    """Send a new code to the number of the user's flow code code_id, which dies (see codes.send_code)."""
    previous = flow_code(user, code_id)
    if previous is None:
        raise SecurityError("Start again: send a new code.")
    return codes.send_code(user, purpose, previous.phone_e164, client, host, replaces=previous.id)


def check_new_number(user: User, region: str, raw_phone: str) -> str:
    """Return the E.164 form of a usable new number, or raise before anything is sent."""
    if not user.has_sms:
        raise SecurityError("Set up text messages first.")
    phone = parse_number(region, raw_phone)
    if phone == user.phone_e164:
        raise SecurityError("That's already your number. Enter a different one.")
    return phone


def confirm_number_change(user: User, code_id: int | None, raw_code: str, client: Client) -> None:
    """Replace the number once its code is verified, end other sessions, tell the old number; commits."""
    if not user.has_sms:
        raise SecurityError("Set up text messages first.")
    code = codes.verify_code(user, code_id, codes.NUMBER_CHANGE, raw_code, client)
    previous = user.phone_e164
    _set_phone(user, code.phone_e164)
    devices.forget_all(user, client, reason="number changed")
    # A new authenticator is bound: sessions opened with the old one end (the caller keeps its own).
    accounts.end_all_sessions(user)
    audit.record(audit.NUMBER_CHANGED, client, user=user, old_last4=previous[-4:], new_last4=user.phone_last4)
    db.session.commit()
    notify.send_notice(previous, notify.NUMBER_CHANGED, user=user)


def disable(user: User, client: Client, *, actor: User | None = None, reason: str = "", **details) -> None:
    """Remove every method, forget browsers and recovery codes, end sessions, tell the old number; commits."""
    if not user.two_factor_enabled:
        raise SecurityError("Two-factor authentication is already off.")
    previous = user.phone_e164
    methods.remove_all(user)
    devices.forget_all(user, client, actor=actor, reason="two-factor turned off")
    # Every session ends; the person's own caller keeps theirs (signin_session.keep_signed_in).
    accounts.end_all_sessions(user)
    db.session.query(RecoveryCode).filter(RecoveryCode.user_id == user.id).delete()
    db.session.expire(user, RECOVERY_ATTRIBUTES)
    by_support = bool(actor and actor.id != user.id)
    event = audit.ADMIN_RESET_2FA if by_support else audit.TWO_FACTOR_DISABLED
    audit.record(event, client, user=user, actor=actor, **({"reason": reason} if reason else {}), **details)
    db.session.commit()
    notify.send_notice(previous, notify.TWO_FACTOR_OFF_BY_SUPPORT if by_support else notify.TWO_FACTOR_OFF, user=user)


def _set_phone(user: User, phone: str | None) -> None:
    user.phone_e164 = phone
    user.phone_last4 = phone[-4:] if phone else None
