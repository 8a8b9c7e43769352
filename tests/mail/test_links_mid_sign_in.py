"""Mailed links opened in a browser that is half signed in (password given, second factor not yet).

They work there (the token is their only authority) and never finish or skip the sign-in.
"""

import pytest

from app.security import audit
from tests.admin.helpers import PATIENT_EMAIL, REASON, events
from tests.mail.support import delivered_to, verify
from tests.support import PHONE
from tests.twofactor_helpers import SIGNIN_VERIFY, redirects_to, signed_in, text

NEW_PASSWORD = "Green-Lantern-Harbor-77"


@pytest.fixture
def world(app, admin_helper):
    world = admin_helper.build_world()
    verify(app, world.patient_id)
    return world


def mailed_token(app, address=PATIENT_EMAIL) -> str:
    return delivered_to(app, address)[-1].token()


def still_pending(browser) -> bool:
    page = browser.get(SIGNIN_VERIFY)
    return page.status_code == 200 and "Verification code" in text(page) and not signed_in(browser)


def test_the_staff_reset_cancel_link_works_mid_sign_in(world, twofactor):
    world.staff.post(world.url("reset-two-factor"), data={"reason": REASON, "identity_verified": ""})
    token = mailed_token(world.app)
    browser = twofactor.begin_sign_in(PATIENT_EMAIL)
    page = browser.get(f"/two-factor/reset/cancel?token={token}")
    assert page.status_code == 200 and "Cancel the reset" in text(page)
    assert browser.post("/two-factor/reset/cancel", data={"token": token}).status_code == 303
    assert len(events(world.app, audit.ADMIN_RESET_2FA_CANCELLED)) == 1
    assert still_pending(browser)


def test_the_address_confirmation_link_works_mid_sign_in(app, auth, twofactor):
    user_id = auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    auth.client.post("/account/email/resend")
    token = mailed_token(app, "patient@example.com")
    browser = twofactor.begin_sign_in()
    assert browser.get(f"/email/verify?token={token}").status_code == 200
    assert browser.post("/email/verify", data={"token": token}).status_code == 303
    from app.extensions import db
    from app.models import User

    with app.app_context():
        assert db.session.get(User, user_id).email_verified
    assert still_pending(browser)


def test_a_password_reset_mid_sign_in_ends_that_sign_in_and_skips_no_factor(app, auth, twofactor, fake_vonage):
    verify(app, auth.make_user(phone=PHONE))
    browser = twofactor.begin_sign_in()
    code = fake_vonage.last_code(PHONE)
    app.test_client().post("/password/forgot", data={"email": "patient@example.com"})
    token = mailed_token(app, "patient@example.com")
    assert browser.get(f"/password/reset?token={token}").status_code == 200
    done = browser.post("/password/reset", data={"token": token, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert redirects_to(done, "/signin") and not redirects_to(done, SIGNIN_VERIFY)
    assert "Your password was changed" in text(browser.get("/signin"))
    # The code texted for the abandoned sign-in signs nobody in, and the new sign-in asks for a code again.
    assert redirects_to(twofactor.answer_code(code, client=browser), "/signin") and not signed_in(browser)
    again = auth.sign_in(password=NEW_PASSWORD, client=browser)
    assert redirects_to(again, SIGNIN_VERIFY) and not signed_in(browser)


def test_a_pending_session_still_cannot_ask_for_a_reset_link(app, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    assert redirects_to(browser.get("/password/forgot"), SIGNIN_VERIFY)
    assert still_pending(browser)
