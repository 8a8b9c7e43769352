"""Sessions and cookies: new ids at every privilege change, server-side lifetimes, sign-out, cookies."""

from http.cookies import SimpleCookie

import pytest

from tests.support import PASSWORD, PHONE, build_app, csrf_token, htmx, session_cookie
from tests.support import US_SENDER
from tests.security.support import advance, snapshot, user_row

NEW_PASSWORD = "Violet-Harbour-Thimble-58"


def stored(app, sid: str | None):
    """The server-side record of a session id (None when there is none)."""
    if not sid:
        return None
    interface = app.session_interface
    return interface._retrieve_session_data(interface._get_store_id(sid))


def replay(app, sid: str):
    """A fresh browser that sends only the given session id."""
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], sid)
    return thief


def sent_to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and "/signin" in response.headers["Location"]


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        found[header.split("=", 1)[0]] = header
    return found


# ---------------------------------------------------------------- new id at every privilege change (CSRF on)

@pytest.mark.settings(WTF_CSRF_ENABLED=True)
class TestRegeneration:
    def post(self, client, path, data, token_from):
        return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})

    def test_asvs_3_2_1_new_session_id_at_each_privilege_change(self, app, client, fake_vonage, clock, security_auth):
        uid = security_auth.two_factor_user()
        client.get("/signin")
        anonymous = session_cookie(client, app)
        assert anonymous and stored(app, anonymous)

        response = self.post(client, "/signin", {"email": "patient@example.com", "password": PASSWORD}, "/signin")
        assert response.headers["Location"].endswith("/signin/verify")
        pending = session_cookie(client, app)
        assert pending != anonymous and stored(app, anonymous) is None

        response = self.post(client, "/signin/verify", {"code": fake_vonage.last_code(PHONE)}, "/signin/verify")
        assert response.status_code == 303
        full = session_cookie(client, app)
        assert full != pending and stored(app, pending) is None

        # Re-authentication (password and a texted code after 15 minutes) raises privilege: new id again.
        clock.shift(901)
        response = self.post(client, "/account/two-factor/disable", {"password": PASSWORD},
                             "/account/two-factor/disable")
        assert response.status_code == 200, response.get_data(as_text=True)[:400]
        response = self.post(client, "/account/two-factor/reauth", {"code": fake_vonage.last_code(PHONE)},
                             "/account/two-factor")
        assert response.status_code == 303, response.get_data(as_text=True)[:400]
        reauthenticated = session_cookie(client, app)
        assert reauthenticated != full and stored(app, full) is None
        assert user_row(app, uid).phone_e164 is None

        # The old ids are worthless to anyone who copied them.
        for old in (anonymous, pending, full):
            assert sent_to_sign_in(replay(app, old).get("/account"))

    def test_owasp_session_fixation_planted_id_is_replaced(self, app, fake_vonage, auth):
        auth.make_user()
        attacker = app.test_client()
        attacker.get("/signin")
        planted = session_cookie(attacker, app)
        victim = replay(app, planted)
        response = self.post(victim, "/signin", {"email": "patient@example.com", "password": PASSWORD}, "/signin")
        assert response.status_code == 303
        assert session_cookie(victim, app) != planted
        assert victim.get("/account").status_code == 200
        assert sent_to_sign_in(attacker.get("/account"))

    def test_asvs_3_2_1_password_change_gives_a_new_id(self, app, client, auth):
        auth.make_user()
        self.post(client, "/signin", {"email": "patient@example.com", "password": PASSWORD}, "/signin")
        before = session_cookie(client, app)
        response = self.post(client, "/account/password",
                             {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "/account/password")
        assert response.status_code == 303
        assert session_cookie(client, app) != before and stored(app, before) is None


# ---------------------------------------------------------------- lifetimes, enforced on the server

def test_asvs_3_3_1_idle_timeout_boundary(app, client, clock, auth):
    auth.make_user()
    auth.sign_in()
    sid = session_cookie(client, app)
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"])
    assert client.get("/account").status_code == 200       # exactly 30 minutes idle: still valid
    sid = session_cookie(client, app)
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] + 1)
    # Replayed by hand, so a browser's own cookie expiry plays no part: the server refuses it.
    assert sent_to_sign_in(replay(app, sid).get("/account"))
    assert stored(app, sid) is None


def test_asvs_3_3_2_absolute_timeout_boundary(app, client, clock, auth):
    auth.make_user()
    auth.sign_in()
    lifetime = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    advance(clock, lifetime, client, path="/account")
    assert client.get("/account").status_code == 200        # exactly 12 hours: still valid
    clock.shift(1)
    assert sent_to_sign_in(client.get("/account"))


def test_asvs_3_3_1_pending_sign_in_expires(app, client, fake_vonage, clock, auth, security_auth):
    security_auth.two_factor_user()
    auth.sign_in()
    clock.shift(app.config["PENDING_SIGNIN_TTL_SECONDS"] + 1)
    response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert sent_to_sign_in(response)
    assert sent_to_sign_in(client.get("/account"))


# ---------------------------------------------------------------- sign out

def test_asvs_3_3_1_sign_out_deletes_the_server_record(app, client, auth):
    auth.make_user()
    auth.sign_in()
    sid = session_cookie(client, app)
    assert stored(app, sid)
    response = client.post("/signout")
    assert stored(app, sid) is None
    assert sent_to_sign_in(replay(app, sid).get("/account"))
    # Plain sign-out keeps a trusted browser trusted: no "cookies" (see docs/architecture.md).
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_rule_sign_out_completely_clears_cookies_and_forgets_the_browser(app, client, fake_vonage, auth, security_auth):
    security_auth.two_factor_user()
    auth.sign_in_fully(trust=True)
    name = app.config["TRUST_COOKIE_NAME"]
    assert client.get_cookie(name)
    sid = session_cookie(client, app)
    response = client.post("/signout/completely", headers=htmx())
    assert response.headers["HX-Redirect"].endswith("/signed-out")
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert stored(app, sid) is None
    assert client.get_cookie(name) is None
    assert snapshot(app)["trusted_devices"] == []


def test_rule_sign_out_needs_post(app, client, auth):
    auth.make_user()
    auth.sign_in()
    assert client.get("/signout").status_code == 405
    assert client.get("/signout/completely").status_code == 405
    assert client.get("/account").status_code == 200


# ---------------------------------------------------------------- production cookies

@pytest.fixture
def production_app(tmp_path, fake_vonage):
    fake_vonage.reset()
    return build_app(tmp_path, fake_vonage, APP_ENV="production", TESTING=False,
                     SECRET_KEY="p" * 48, SMS_BACKEND="vonage", LOG_JSON=False, **US_SENDER)


def assert_host_cookie(header: str, name: str):
    cookie = SimpleCookie()
    cookie.load(header)
    morsel = cookie[name]
    assert name.startswith("__Host-")
    assert morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["domain"]


def test_owasp_production_cookies_are_host_prefixed_secure_httponly_lax(production_app, fake_vonage, auth,
                                                                        security_auth):
    app = production_app
    security_auth.two_factor_user(app=app)
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    session_name = app.config["SESSION_COOKIE_NAME"]
    trust_name = app.config["TRUST_COOKIE_NAME"]
    assert (session_name, trust_name) == ("__Host-session", "__Host-trusted_device")

    response = auth.sign_in(client=client)
    assert_host_cookie(set_cookies(response)[session_name], session_name)
    response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE), "trust": "on"})
    cookies = set_cookies(response)
    assert_host_cookie(cookies[session_name], session_name)
    assert_host_cookie(cookies[trust_name], trust_name)
    assert "Max-Age" in cookies[trust_name]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")

    # Deleting a __Host- cookie needs the same attributes, or browsers ignore the deletion.
    response = client.post("/signout/completely")
    for name, header in set_cookies(response).items():
        assert_host_cookie(header, name)
    assert trust_name in set_cookies(response)
    # Abandoning a pending sign-in deletes the session cookie outright.
    auth.sign_in(client=client)
    response = client.post("/signin/cancel")
    deletion = set_cookies(response)[session_name]
    assert "Max-Age=0" in deletion
    assert_host_cookie(deletion, session_name)


def test_owasp_production_refuses_weak_settings(tmp_path, fake_vonage):
    from app.bootstrap import ConfigError

    for bad in ({"SECRET_KEY": "short"}, {"SMS_BACKEND": "console"}, {"VONAGE_API_SECRET": None}):
        with pytest.raises(ConfigError):
            build_app(tmp_path, fake_vonage, **{"APP_ENV": "production", "SECRET_KEY": "p" * 48, **US_SENDER, **bad})


def test_owasp_development_has_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/signin").headers


# ---------------------------------------------------------------- re-authentication before sensitive changes

def test_asvs_4_3_3_disable_two_factor_needs_password_after_15_minutes(app, client, fake_vonage, clock, auth,
                                                                       security_auth):
    uid = security_auth.two_factor_user()
    auth.sign_in_fully()
    clock.shift(app.config["REAUTH_MAX_AGE_SECONDS"] + 1)
    refused = client.post("/account/two-factor/disable")
    assert refused.status_code == 422 and "enter your password" in refused.get_data(as_text=True)
    assert client.post("/account/two-factor/disable", data={"password": "not-it-at-all"}).status_code == 422
    assert user_row(app, uid).phone_e164 == PHONE
    assert client.post("/account/two-factor/disable", data={"password": PASSWORD}).status_code == 200
    assert user_row(app, uid).phone_e164 == PHONE  # the password alone is not enough: a second factor too
    done = client.post("/account/two-factor/reauth", data={"code": fake_vonage.last_code(PHONE)})
    assert done.status_code == 303 and done.headers["Location"] == "/account/two-factor"
    assert user_row(app, uid).phone_e164 is None


def test_asvs_4_3_3_disable_two_factor_within_15_minutes_needs_no_password(app, client, fake_vonage, clock, auth,
                                                                           security_auth):
    uid = security_auth.two_factor_user()
    auth.sign_in_fully()
    clock.shift(app.config["REAUTH_MAX_AGE_SECONDS"])
    assert client.post("/account/two-factor/disable").status_code == 303
    assert user_row(app, uid).phone_e164 is None


def test_asvs_4_3_3_change_number_needs_password_after_15_minutes(app, client, fake_vonage, clock, auth, security_auth):
    uid = security_auth.two_factor_user()
    auth.sign_in_fully()
    clock.shift(app.config["REAUTH_MAX_AGE_SECONDS"] + 1)
    sent = len(fake_vonage.messages)
    refused = client.post("/account/two-factor/number", data={"country": "US", "phone": "201-555-0188"})
    assert refused.status_code == 422
    assert len(fake_vonage.messages) == sent
    response = client.post("/account/two-factor/number",
                           data={"country": "US", "phone": "201-555-0188", "password": PASSWORD})
    assert response.status_code == 200 and len(fake_vonage.messages) == sent + 1
    assert fake_vonage.messages[-1]["to"] == PHONE.lstrip("+")   # the second factor, to the current number
    response = client.post("/account/two-factor/reauth", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303 and len(fake_vonage.messages) == sent + 2
    assert user_row(app, uid).phone_e164 == PHONE   # unchanged until the new number's code is entered


def test_asvs_2_1_6_change_password_needs_the_current_password(app, client, clock, auth):
    auth.make_user()
    auth.sign_in()
    for current in ("", "Wrong-Password-Entirely-1"):
        response = client.post("/account/password",
                               data={"current": current, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 422
    client.post("/signout")
    assert auth.sign_in().status_code == 303   # the old password still works


def test_asvs_4_3_3_staff_actions_need_password_after_15_minutes(app, fake_vonage, clock, auth):
    auth.make_user(email="staff@example.com", phone=PHONE, staff=True)
    target = auth.make_user(email="someone@example.com")
    staff = app.test_client()
    auth.sign_in_fully("staff@example.com", client=staff)
    clock.shift(app.config["REAUTH_MAX_AGE_SECONDS"] + 1)
    path = f"/admin/users/{target}/actions/sign-out"
    before = user_row(app, target).session_version
    refused = staff.post(path, data={"reason": "Caller verified by phone"})
    assert refused.status_code == 422
    assert user_row(app, target).session_version == before
    done = staff.post(path, data={"reason": "Caller verified by phone", "password": PASSWORD})
    assert done.status_code == 303
    assert user_row(app, target).session_version == before + 1


# ---------------------------------------------------------------- cookies that aren't what they claim

@pytest.mark.parametrize("value", [
    "", "x", "A" * 4000, "../../../etc/passwd", "session:../x", "%00%ff", "é" * 10, "1:1", "null",
])
def test_owasp_bogus_session_cookies_are_anonymous(app, value, auth):
    auth.make_user()
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    before = snapshot(app)
    assert sent_to_sign_in(client.get("/account"))
    response = client.get("/signin")
    assert response.status_code == 200
    assert snapshot(app) == before


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 500, "<script>", "%ff%fe", None])
def test_owasp_tampered_trust_cookie_still_needs_a_code(app, fake_vonage, token, auth, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    auth.sign_in_fully(trust=True, client=client)
    real = client.get_cookie(app.config["TRUST_COOKIE_NAME"]).value
    client.post("/signout")
    tampered = token if token is not None else real[:-1] + ("A" if real[-1] != "A" else "B")
    client.set_cookie(app.config["TRUST_COOKIE_NAME"], tampered)
    before = snapshot(app)
    response = auth.sign_in(client=client)
    assert response.headers["Location"].endswith("/signin/verify")
    after = snapshot(app)
    assert after["trusted_devices"] == before["trusted_devices"]


def test_owasp_trust_cookie_of_another_user_is_ignored(app, fake_vonage, auth, security_auth):
    security_auth.two_factor_user("a@example.com")
    security_auth.two_factor_user("b@example.com", phone="+12015550188")
    a = app.test_client()
    auth.sign_in_fully("a@example.com", trust=True, client=a)
    token = a.get_cookie(app.config["TRUST_COOKIE_NAME"]).value
    b = app.test_client()
    b.set_cookie(app.config["TRUST_COOKIE_NAME"], token)
    response = auth.sign_in("b@example.com", client=b)
    assert response.headers["Location"].endswith("/signin/verify")


def test_owasp_expired_trust_cookie_needs_a_code(app, fake_vonage, clock, auth, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    auth.sign_in_fully(trust=True, client=client)
    token = client.get_cookie(app.config["TRUST_COOKIE_NAME"]).value
    client.post("/signout")
    clock.shift(app.config["TRUSTED_DEVICE_DAYS"] * 86400 + 1)
    client.set_cookie(app.config["TRUST_COOKIE_NAME"], token)
    assert auth.sign_in(client=client).headers["Location"].endswith("/signin/verify")


def test_owasp_another_users_code_does_not_finish_my_sign_in(app, fake_vonage, monkeypatch, auth, security_auth):
    a_id = security_auth.two_factor_user("a@example.com")
    security_auth.two_factor_user("b@example.com", phone="+12015550188")
    # Make the two codes differ for certain (random codes collide one time in a million).
    drawn = iter([111111, 222222])
    monkeypatch.setattr("app.security.codes.secrets.randbelow", lambda _bound: next(drawn))
    a, b = app.test_client(), app.test_client()
    auth.sign_in("a@example.com", client=a)
    auth.sign_in("b@example.com", client=b)
    b_code = fake_vonage.last_code("+12015550188")
    assert b_code != fake_vonage.last_code(PHONE)
    response = a.post("/signin/verify", data={"code": b_code})
    assert response.status_code == 422
    assert sent_to_sign_in(a.get("/account"))
    # b's code is still good for b.
    assert b.post("/signin/verify", data={"code": b_code}).status_code == 303
    assert user_row(app, a_id).consecutive_code_failures == 1


def test_owasp_session_of_a_user_whose_sessions_ended_is_refused(app, client, fake_vonage, auth):
    """Another browser's session, once the owner ends every session (password change), is dead."""
    auth.make_user()
    auth.sign_in()
    other = app.test_client()
    auth.sign_in(client=other)
    other_sid = session_cookie(other, app)
    client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    before = snapshot(app)
    assert sent_to_sign_in(replay(app, other_sid).get("/account"))
    assert sent_to_sign_in(replay(app, other_sid).post("/account/password",
                           data={"current": NEW_PASSWORD, "new": PASSWORD, "confirm": PASSWORD}))
    assert snapshot(app) == before
