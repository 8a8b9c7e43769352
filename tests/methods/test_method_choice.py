"""Choosing the method asked first, Try another way, no text unless asked, disable and staff reset remove all."""

from tests.admin.helpers import IDENTITY_VERIFIED, REASON
from tests.methods.helpers import SECRET, add_app, code_at, events, page, user_row
from tests.support import PASSWORD, PHONE


def password_step(client, email="patient@example.com"):
    return client.post("/signin", data={"email": email, "password": PASSWORD})


def test_the_strongest_method_is_asked_first_and_no_text_is_sent(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    assert password_step(client).headers["Location"].endswith("/signin/app")
    html = page(client.get("/signin/app"))
    assert "Try another way" in html and "Text me a code at" in html and "Use a recovery code" in html
    client.post("/signin/app", data={"code": code_at()})
    assert fake_vonage.sent_to(PHONE) == []


def test_try_another_way_texts_a_code_only_when_chosen(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    password_step(client)
    assert "Text me a code" in page(client.get("/signin/another-way"))
    assert fake_vonage.sent_to(PHONE) == []
    response = client.post("/signin/text-me")
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify")
    assert len(fake_vonage.sent_to(PHONE)) == 1
    # The SMS step keeps its recovery-code link, and offers the app back.
    html = page(client.get("/signin/verify"))
    assert "Use a recovery code instead" in html and "Use my authenticator app" in html
    # Asking again while a code is live sends nothing more (Resend code does that).
    client.post("/signin/text-me")
    assert len(fake_vonage.sent_to(PHONE)) == 1
    response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert response.headers["Location"].endswith("/account")
    assert events(app, user_id, "signin_success")[-1]["method"] == "sms"


def test_choosing_sms_first_texts_at_once_and_the_app_still_works(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    password_step(client)
    client.post("/signin/app", data={"code": code_at()})
    response = client.post("/account/two-factor/preferred", data={"method": "sms"})
    assert response.status_code == 303
    assert user_row(app, user_id).preferred_method == "sms"
    assert events(app, user_id, "2fa_preferred_method") == [{"method": "sms"}]
    client.post("/signout")
    clock.shift(30)
    assert password_step(client).headers["Location"].endswith("/signin/verify")
    assert len(fake_vonage.sent_to(PHONE)) == 1
    response = client.post("/signin/app", data={"code": code_at()})
    assert response.headers["Location"].endswith("/account")


def test_a_method_not_set_up_cannot_be_chosen(app, auth, client, clock):
    user_id = auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    response = client.post("/account/two-factor/preferred", data={"method": "totp"})
    assert response.status_code == 422 and user_row(app, user_id).preferred_method is None


def test_an_app_only_user_is_not_offered_texts(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user()
    add_app(app, user_id)
    password_step(client)
    html = page(client.get("/signin/another-way"))
    assert "Text me" not in html and "Use a recovery code" in html
    response = client.post("/signin/text-me")
    assert response.headers["Location"].endswith("/signin/another-way") and fake_vonage.messages == []


def test_sms_only_users_are_told_about_sim_swaps(app, auth, client, clock):
    user_id = auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    html = page(client.get("/account/two-factor"))
    assert "Text messages are the weakest method" in html and "Set up an authenticator app" in html
    add_app(app, user_id, preferred="sms")
    html = page(client.get("/account/two-factor"))
    assert "Text messages are the weakest method" not in html and "Asked first when you sign in" in html


def test_disable_removes_every_method_and_the_recovery_codes(app, auth, client, clock, fake_vonage):
    from app.extensions import db
    from app.models import RecoveryCode

    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id, preferred="totp")
    password_step(client)
    client.post("/signin/app", data={"code": code_at()})
    html = page(client.get("/account/two-factor/disable"))
    assert "Every method is removed" in html
    response = client.post("/account/two-factor/disable")
    assert response.status_code in (200, 303)
    user = user_row(app, user_id)
    assert not user.two_factor_enabled and user.phone_e164 is None and user.totp_credential is None
    assert user.preferred_method is None
    with app.app_context():
        assert db.session.query(RecoveryCode).filter_by(user_id=user_id).count() == 0
    assert "turned off" in fake_vonage.sent_to(PHONE)[-1]["text"]
    client.post("/signout")
    assert password_step(client).headers["Location"].endswith("/account")


def test_staff_reset_removes_every_method_and_the_detail_lists_them(app, auth, admin_helper, clock):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    admin_helper.make_staff()
    staff = admin_helper.staff_client()
    html = page(staff.get(f"/admin/users/{user_id}"))
    assert "Authenticator app" in html and "Text message (SMS)" in html
    assert SECRET not in html and SECRET.lower() not in html.lower().replace(" ", "")
    # Identity verified is recorded, so the reset is immediate (otherwise it waits 24 hours).
    staff.post(f"/admin/users/{user_id}/actions/reset-two-factor",
               data={"reason": REASON, "identity_verified": IDENTITY_VERIFIED})
    user = user_row(app, user_id)
    assert not user.two_factor_enabled and user.totp_credential is None


def test_reauthentication_with_the_app_code(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    password_step(client)
    client.post("/signin/app", data={"code": code_at()})
    clock.shift(16 * 60)
    response = client.post("/account/two-factor/sms/remove", data={"password": PASSWORD})
    html = page(response)
    assert "Code from your authenticator app" in html and fake_vonage.sent_to(PHONE) == []
    response = client.post("/account/two-factor/reauth", data={"method": "totp", "app_code": code_at()})
    assert response.status_code == 303
    user = user_row(app, user_id)
    assert user.phone_e164 is None and user.totp_credential is not None
    assert events(app, user_id, "reauthenticated")[-1]["method"] == "totp"
    # The number that was removed is told.
    assert "two-factor method was removed" in fake_vonage.sent_to(PHONE)[-1]["text"]


def test_adding_sms_beside_the_app(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user()
    add_app(app, user_id)
    password_step(client)
    client.post("/signin/app", data={"code": code_at()})
    assert "Add text messages" in page(client.get("/account/two-factor"))
    assert client.get("/account/two-factor/sms").status_code == 200
    response = client.post("/account/two-factor/setup", data={"country": "US", "phone": "201-555-0123"})
    assert response.status_code == 303
    response = client.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303
    user = user_row(app, user_id)
    assert user.phone_e164 == PHONE and user.totp_credential is not None
    assert events(app, user_id, "2fa_method_added") == [{"method": "sms"}]
    # The notice goes to the owner's earlier channels (mail), never only to the number just added.
    assert [m["text"] for m in fake_vonage.sent_to(PHONE) if "method was added" in m["text"]] == []
