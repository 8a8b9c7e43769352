"""Domain services: plain arguments in, values or domain exceptions out."""

import math


class SecurityError(Exception):
    """A domain rule refused the request; the message is safe to show."""

    status = 422

    def __init__(self, message: str, *, retry_after: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.field = field


class RateLimited(SecurityError):
    """A product limit was reached; retry_after says when to try again, reason which limit."""

    status = 429

    def __init__(self, message: str, *, reason: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


def wait_in_words(seconds: int, *, minutes_only: bool = False) -> str:
    """Say how long to wait as a person reads it: "N seconds" under a minute, else "N minutes" (rounded up)."""
    if seconds < 60 and not minutes_only:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def one_line(raw: str | None, max_length: int, *, missing: str, field: str) -> str:
    """Return free text on one line (runs of whitespace made one space), or raise when empty or too long."""
    text = " ".join((raw or "").split())
    if not text:
        raise SecurityError(missing, field=field)
    if len(text) > max_length:
        raise SecurityError(f"Keep the {field} under {max_length} characters.", field=field)
    return text
