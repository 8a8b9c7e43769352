"""Helpers for the security suite: limits config, a fixed start date, state snapshots, the `security_auth` shortcuts."""

from datetime import UTC, datetime

from tests.support import PASSWORD, PHONE

# Per-IP and global limits on, counted in memory so a moved clock moves their windows too.
LIMITS_ON = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

START = datetime(2030, 1, 7, 9, 0, 0, tzinfo=UTC)

# A second valid US mobile-or-fixed number, for "another destination".
THIRD_PHONE = "+12015550177"


def advance(clock, seconds: int, *clients, path: str = "/account/two-factor") -> None:
    """Move the clock, visiting a page every 25 minutes so the clients' sessions stay inside the idle timeout."""
    while seconds > 0:
        step = min(seconds, 1500)
        clock.shift(step)
        seconds -= step
        if seconds:
            for client in clients:
                assert client.get(path).status_code == 200


def snapshot(app) -> dict:
    """Everything a request could change about accounts, codes and trusted browsers."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import RecoveryCode, TrustedDevice, User, VerificationCode

    def rows(model):
        return sorted(
            tuple((c.name, getattr(r, c.name)) for c in model.__table__.columns)
            for r in db.session.scalars(select(model))
        )

    with app.app_context():
        state = {m.__tablename__: rows(m) for m in (User, VerificationCode, TrustedDevice, RecoveryCode)}
        db.session.remove()
    return state


def user_row(app, user_id: int):
    """A detached copy of one user's row."""
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def count_sent(fake_vonage, number: str = PHONE) -> int:
    return len(fake_vonage.sent_to(number))


def codes_sent(fake_vonage, number: str = PHONE) -> int:
    return len([m for m in fake_vonage.sent_to(number) if "verification code is" in m["text"]])


class SecurityAuthActions:
    """The suite's shortcuts on top of `auth`: two-factor users, half-done and whole sign-ins."""

    def __init__(self, auth):
        self.auth = auth

    def two_factor_user(self, email="patient@example.com", phone=PHONE, *, app=None, **kwargs) -> int:
        """Create a user with two-factor on; return its id."""
        return self.auth.make_user(email=email, phone=phone, app=app, **kwargs)

    def pending_sign_in(self, email="patient@example.com", *, client=None):
        """Bring a 2FA user's browser to the "enter the code" step."""
        response = self.auth.sign_in(email, client=client)
        assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify"), \
            response.headers
        return response

    def signed_in(self, email="patient@example.com", password=PASSWORD, environ=None, *, app=None):
        """A new browser signed in (answering the code when asked)."""
        client = (app or self.auth.app).test_client()
        if environ:
            client.environ_base.update(environ)
        self.auth.sign_in_fully(email, password, client=client)
        return client
