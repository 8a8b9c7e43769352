"""Secrets at rest (authenticator-app secrets): Fernet under their own key list, not SECRET_KEY.

TOTP_ENCRYPTION_KEYS lists Fernet keys, newest first: the newest encrypts, every one decrypts
(MultiFernet), so a key can be added, everything re-encrypted (`flask totp rotate-keys`), and
the old key dropped, independently of SECRET_KEY.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class KeyMissing(RuntimeError):
    """A stored secret can't be decrypted with any configured key."""


def keys_from(value) -> list[str]:
    """Return the configured keys as a list (a comma-separated string is accepted too)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in (value or [])]


def new_key() -> str:
    """Return a fresh Fernet key."""
    return Fernet.generate_key().decode()


def _box() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys_from(current_app.config["TOTP_ENCRYPTION_KEYS"])])


def encrypt(plain: str) -> str:
    """Encrypt with the newest key."""
    return _box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt with whichever configured key made it."""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyMissing("A stored secret can't be decrypted: is its key still in TOTP_ENCRYPTION_KEYS?") from None


def rotate(token: str) -> str:
    """Re-encrypt with the newest key."""
    try:
        return _box().rotate(token.encode()).decode()
    except InvalidToken:
        raise KeyMissing("A stored secret can't be decrypted: is its key still in TOTP_ENCRYPTION_KEYS?") from None
