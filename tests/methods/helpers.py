"""Helpers for the second-factor method tests: authenticator-app codes and enrolment."""

import json
import re
import time

import pyotp

from tests.support import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(secret: str = SECRET, offset_steps: int = 0) -> str:
    """The app's code for now (frozen by `clock`), offset_steps steps away."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def add_app(app, user_id: int, secret: str = SECRET, *, preferred: str | None = None) -> None:
    """Give a user an authenticator app directly (its secret encrypted as the app stores it)."""
    from app.extensions import db
    from app.models import TotpCredential, User
    from app.security import secretbox

    with app.app_context():
        db.session.add(TotpCredential(user_id=user_id, secret_encrypted=secretbox.encrypt(secret)))
        if preferred:
            db.session.get(User, user_id).preferred_method = preferred
        db.session.commit()


def page(response) -> str:
    """The response's text with HTML entities decoded (apostrophes arrive as &#39;)."""
    import html

    return html.unescape(response.get_data(as_text=True))


def shown_secret(html: str) -> str:
    """Read the setup key the enrolment step shows (in groups) back into one string."""
    found = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', html)
    assert found, "no setup key on the page"
    return found.group(1).replace(" ", "")


def enrol_app(client, password: str = PASSWORD) -> str:
    """Set up an authenticator app through the screen (fresh sign-in: no re-authentication); return its secret."""
    response = client.post("/account/two-factor/app", data={"password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    response = client.post("/account/two-factor/app/confirm", data={"code": code_at(secret)})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:600]
    return secret


def user_row(app, user_id: int):
    """Load a user (with its methods) outside any request."""
    from app.extensions import db
    from app.models import User

    from sqlalchemy.orm import selectinload

    with app.app_context():
        # The app loads methods only where a page needs them: load them here before detaching.
        user = db.session.get(User, user_id, options=[selectinload(User.totp_credential),
                                                      selectinload(User.webauthn_credentials)])
        db.session.expunge(user)
        return user


def events(app, user_id: int, kind: str) -> list[dict]:
    """The details of every audit event of one kind for a user, oldest first."""
    import json

    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        rows = db.session.query(SecurityEvent).filter_by(user_id=user_id, type=kind).order_by(SecurityEvent.id)
        return [json.loads(row.details or "{}") for row in rows]


# The relying party's origin in the tests' configuration (PUBLIC_URL).
ORIGIN = "https://localhost"


def add_passkey(app, user_id, authenticator=None, name="Phone"):
    """Register a passkey for a user directly through the service; return its (software) authenticator."""
    from app.extensions import db
    from app.models import User
    from app.security import passkeys
    from app.security.audit import SYSTEM
    from tests.methods.soft_authenticator import SoftAuthenticator

    authenticator = authenticator or SoftAuthenticator()
    with app.app_context():
        user = db.session.get(User, user_id)
        options, challenge = passkeys.registration_options(user)
        passkeys.register(user, name, authenticator.register(json.loads(options), origin=ORIGIN), challenge, SYSTEM)
    return authenticator
