"""Password rules and argon2id hashing, at most ARGON2_MAX_CONCURRENT hashes at once per process."""

import threading
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from flask import Flask, current_app, has_app_context
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 256

# OWASP: argon2id, m=19 MiB, t=2, p=1 is the minimum; we use a stronger memory cost.
hasher = PasswordHasher(time_cost=2, memory_cost=47104, parallelism=1, hash_len=32, salt_len=16)
_DUMMY_HASH = hasher.hash("a dummy password that nobody has")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, email: str) -> list[str]:
    """Return every reason this password is refused (empty when acceptable)."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.lower()
    if email and lowered == email.strip().lower():
        return ["Your password can't be your email address."]
    stripped = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    if lowered in _common_passwords() or (len(stripped) >= 4 and stripped in _common_passwords()):
        return ["That password is on a list of common passwords. Choose another."]
    # zxcvbn refuses (ValueError) more than 72 characters and slows down on long input.
    result = zxcvbn(password[:72], user_inputs=[email, email.split("@")[0]] if email else [])
    if result["score"] < 3:
        hint = result["feedback"]["warning"] or "Add more unrelated words."
        return [f"That password is too easy to guess. {hint}".strip()]
    return []


class HashingBusy(Exception):
    """Every hashing slot of this process stayed busy for ARGON2_MAX_WAIT_SECONDS (answered 503)."""

    retry_after = 5


def init_hashing(app: Flask) -> None:
    """Give the app this process's hashing slots (ARGON2_MAX_CONCURRENT; 0 = no cap)."""
    size = int(app.config["ARGON2_MAX_CONCURRENT"])
    app.extensions["argon2_slots"] = threading.BoundedSemaphore(size) if size > 0 else None


@contextmanager
def _hashing_slot():
    # Each hash holds 46 MiB for its duration: a burst waits for a slot instead of
    # growing the process without bound, and gives up (503) after a bounded wait.
    slots = current_app.extensions.get("argon2_slots") if has_app_context() else None
    if slots is None:
        yield
        return
    if not slots.acquire(timeout=float(current_app.config["ARGON2_MAX_WAIT_SECONDS"])):
        raise HashingBusy()
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    """Hash a password with argon2id (raise HashingBusy when no slot frees up in time)."""
    with _hashing_slot():
        return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and fail (HashingBusy as above)."""
    with _hashing_slot():
        try:
            return hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether the hash was made with other parameters than today's."""
    return hasher.check_needs_rehash(stored_hash)
