"""What the Two-Factor screen shows about the methods: the list, the one asked first, enrolment."""

from flask_login import current_user

from app import signin_session
from app.security import methods, secretbox, totp


def methods_context() -> dict:
    """Describe the user's methods for the screen (never a secret, except the one being enrolled)."""
    have = methods.available(current_user)
    return {
        "methods": methods.listing(current_user),
        "have": have,
        "preferred": methods.preferred(current_user),
        "only_sms": methods.only_sms(current_user),
        "labels": methods.LABELS,
        "reauth_method": methods.preferred(current_user),
    }


def enrolment_context() -> dict:
    """Describe the authenticator app being set up: its QR code and the secret in groups."""
    encrypted = signin_session.totp_enrolment()
    if not encrypted:
        return {"enrol": None}
    secret = secretbox.decrypt(encrypted)
    uri = totp.provisioning_uri(secret, current_user.email)
    size, path = totp.qr_path(uri)
    return {"enrol": {"qr_size": size, "qr_path": path, "secret": totp.grouped(secret)}}
