from tests.conftest import PASSWORD, PHONE, PHONE_NATIONAL, make_user, sign_in, sign_in_fully, htmx


def test_signup_signin_settings_signout(client, app):
    r = client.post("/signup", data={"email": "New@Example.com ", "password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 303, r.get_data(as_text=True)
    r = sign_in(client, "new@example.com")
    assert r.status_code == 303 and r.headers["Location"].endswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "My Account Settings" in page and "Two-Factor Authentication" in page


def test_setup_2fa_and_signin_with_code(client, app, fake_vonage):
    make_user(app)
    sign_in_fully(client, fake_vonage)
    r = client.post("/account/two-factor/setup", data={"country": "US", "phone": PHONE_NATIONAL}, headers=htmx())
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "<html" not in r.get_data(as_text=True)
    code = fake_vonage.last_code(PHONE)
    r = client.post("/account/two-factor/verify", data={"code": code}, headers=htmx())
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "Two-factor authentication is on" in r.get_data(as_text=True)
    client.post("/signout")
    other = app.test_client()
    r = sign_in(other)
    assert r.headers["Location"].endswith("/signin/verify")
    assert other.get("/account").status_code in (302, 303)
    r = other.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE), "trust": "on"})
    assert r.status_code == 303
    assert other.get("/account").status_code == 200
