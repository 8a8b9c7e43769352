"""The device-trust cookie: an opaque random token, HttpOnly, SameSite=Lax."""

from flask import Response, current_app, request


def read() -> str | None:
    """Return the trust token this browser sent, if any."""
    return request.cookies.get(current_app.config["TRUST_COOKIE_NAME"])


def set_on(response: Response, token: str) -> None:
    """Give the browser its trust token for TRUSTED_DEVICE_DAYS."""
    cfg = current_app.config
    response.set_cookie(
        cfg["TRUST_COOKIE_NAME"], token,
        max_age=int(cfg["TRUSTED_DEVICE_DAYS"]) * 86400,
        httponly=True, secure=bool(cfg["SESSION_COOKIE_SECURE"]), samesite="Lax", path="/",
    )


def clear_on(response: Response) -> None:
    """Tell the browser to drop its trust token."""
    cfg = current_app.config
    response.delete_cookie(
        cfg["TRUST_COOKIE_NAME"], path="/", httponly=True,
        secure=bool(cfg["SESSION_COOKIE_SECURE"]), samesite="Lax",
    )
