"""Domain services: plain arguments in, values or domain exceptions out."""


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
