"""The ways to finish a pending sign-in, as offered under Try another way."""

from flask import url_for

from app.models import User
from app.security import methods
from app.security.phones import mask


def other_methods(user: User, current: str | None) -> list[dict]:
    """List the ways to finish this sign-in other than the one on screen (recovery codes last)."""
    ways = {
        methods.SMS: {"label": f"Text me a code at {mask(user.phone_e164)}", "post": url_for("auth.text_me")},
        methods.TOTP: {"label": "Use my authenticator app", "href": url_for("auth.app_code")},
        methods.WEBAUTHN: {"label": "Use my passkey or security key", "href": url_for("auth.passkey_step")},
    }
    listed = [ways[kind] for kind in methods.available(user) if kind != current and kind in ways]
    if current != "recovery":
        listed.append({"label": "Use a recovery code", "href": url_for("auth.recovery")})
    return listed
