"""Re-authentication in the web layer: ask for the password again when the last one is old.

Shared by the account and admin packages (neither imports the other).
"""

from flask_login import current_user

from app import signin_session
from app.forms import field
from app.security import RateLimited, SecurityError, signin
from app.web import client


def require_recent_password() -> None:
    """Demand the password when the last full authentication is over 15 minutes old (staff actions)."""
    if signin_session.recently_authenticated():
        return
    check_password_again()
    signin_session.mark_reauthenticated()


def check_password_again() -> None:
    """Check the password field against the signed-in user, throttled like sign-in."""
    password = field("password", 1024, strip=False)
    if not password:
        raise SecurityError("For your security, enter your password to continue.", field="password")
    try:
        signin.check_password(current_user.email, password, client())
    except SecurityError as exc:
        # Keep the class: a throttled re-authentication answers 429 like a throttled sign-in.
        kind = RateLimited if isinstance(exc, RateLimited) else SecurityError
        raise kind(
            "That password isn't right." if isinstance(exc, signin.SignInFailed) else exc.message,
            field="password", retry_after=exc.retry_after,
        )
