"""Keyed digests (HMAC-SHA256 with SECRET_KEY, old keys still matching) for anything stored in place of a secret."""

import hashlib
import hmac

from flask import current_app


def keys() -> list[bytes]:
    """Return the current key, then every fallback (a rotation keeps secrets already handed out working)."""
    cfg = current_app.config
    return [key.encode() for key in [cfg["SECRET_KEY"], *(cfg.get("SECRET_KEY_FALLBACKS") or [])]]


def digest(message: str, key: bytes | None = None) -> str:
    """Return the hex HMAC-SHA256 of message under key (default: the current SECRET_KEY)."""
    return hmac.new(key or keys()[0], message.encode(), hashlib.sha256).hexdigest()


def candidates(message: str) -> list[str]:
    """Return the digest of message under every accepted key, for a lookup by digest."""
    return [digest(message, key) for key in keys()]
