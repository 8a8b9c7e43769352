"""Toll-fraud (SMS pumping) defences: send caps per user, per number, per IP, site-wide; destinations."""

import html

import pytest
from sqlalchemy import func, select

from app.models import VerificationCode
from tests.support import OTHER_PHONE, PHONE, PHONE_NATIONAL, htmx
from tests.security.support import LIMITS_ON, advance, THIRD_PHONE, codes_sent

FIVE_AN_HOUR = {"SMS_MAX_PER_USER_PER_HOUR": 5, "SMS_MAX_PER_NUMBER_PER_HOUR": 5}
SETUP = "/account/two-factor/setup"
RESEND = "/account/two-factor/resend"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def retry_after(response) -> int:
    assert "Retry-After" in response.headers, dict(response.headers)
    return int(response.headers["Retry-After"])


def code_rows(app) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(VerificationCode))


def client_at(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def signed_in_at(auth, app, fake_vonage, email: str, ip: str = "127.0.0.1"):
    client = client_at(app, ip)
    auth.sign_in_fully(email, client=client)
    return client


def setup_send(client, phone=PHONE_NATIONAL, country="US", **kwargs):
    # A plain form that succeeds is redirected to the screen (Post/Redirect/Get): follow it.
    kwargs.setdefault("follow_redirects", "headers" not in kwargs)
    return client.post(SETUP, data={"country": country, "phone": phone}, **kwargs)


# ---------------------------------------------------------------- product caps (always on)

@pytest.mark.settings(**FIVE_AN_HOUR)
def test_sms_pumping_per_user_cap_boundary(app, client, fake_vonage, clock, auth):
    auth.make_user()
    auth.sign_in_fully()
    assert setup_send(client).status_code == 200
    for _ in range(4):
        clock.shift(31)
        assert client.post(RESEND).status_code == 303
    assert codes_sent(fake_vonage) == 5
    clock.shift(31)
    refused = client.post(RESEND, headers=htmx())
    assert refused.status_code == 429
    assert "Too many codes were sent" in text(refused)
    assert "<html" not in text(refused)
    # The first send ages out an hour after it was made: 5 * 31 s have passed.
    assert retry_after(refused) == 3600 - 5 * 31 + 1
    assert codes_sent(fake_vonage) == 5 and code_rows(app) == 5
    # A different number doesn't help: the cap is per user.
    assert setup_send(client, "201-555-0188").status_code == 429
    assert codes_sent(fake_vonage, OTHER_PHONE) == 0
    advance(clock, 3600 - 5 * 31 - 1, client)
    assert client.post(RESEND).status_code == 429
    clock.shift(1)
    assert client.post(RESEND).status_code == 303
    assert codes_sent(fake_vonage) == 6


@pytest.mark.settings(**FIVE_AN_HOUR)
def test_sms_pumping_per_number_cap_boundary(app, fake_vonage, clock, auth):
    clients = []
    for name in ("a", "b", "c"):
        auth.make_user(email=f"{name}@example.com")
        clients.append(signed_in_at(auth, app, fake_vonage, f"{name}@example.com"))
    a, b, c = clients
    assert setup_send(a).status_code == 200
    assert setup_send(b).status_code == 200
    clock.shift(31)
    assert a.post(RESEND).status_code == 303
    assert b.post(RESEND).status_code == 303
    assert setup_send(c).status_code == 200
    assert codes_sent(fake_vonage) == 5
    clock.shift(31)
    # c has had one code, but the number has had five this hour.
    refused = c.post(RESEND)
    assert refused.status_code == 429 and retry_after(refused) == 3600 - 62 + 1
    assert codes_sent(fake_vonage) == 5
    # c may still text a different number.
    assert setup_send(c, "201-555-0188").status_code == 200


def test_sms_pumping_resend_cooldown_boundary(app, client, fake_vonage, clock, security_auth):
    security_auth.two_factor_user()
    security_auth.pending_sign_in()
    clock.shift(29)
    refused = client.post("/signin/resend", headers=htmx())
    assert refused.status_code == 429 and retry_after(refused) == 1
    assert codes_sent(fake_vonage) == 1
    clock.shift(1)
    assert client.post("/signin/resend", headers=htmx()).status_code == 200
    assert codes_sent(fake_vonage) == 2


@pytest.mark.settings(**FIVE_AN_HOUR)
def test_sms_pumping_sign_in_sends_count_toward_the_user_cap(app, fake_vonage, clock, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    security_auth.pending_sign_in(client=client)
    for _ in range(4):
        clock.shift(31)
        assert client.post("/signin/resend").status_code == 303
    clock.shift(31)
    refused = client.post("/signin/resend")
    assert refused.status_code == 429 and "Too many codes were sent" in text(refused)
    assert retry_after(refused) > 0
    # A new sign-in can't get round it either: the password step texts nothing.
    other = app.test_client()
    security_auth.pending_sign_in(client=other)
    page = text(other.get("/signin/verify"))
    assert "Too many codes were sent" in page
    assert codes_sent(fake_vonage) == 5


# ---------------------------------------------------------------- destinations

@pytest.mark.parametrize("country, number, message", [
    ("RU", "+7 912 345-67-89", "can't be sent to that country"),
    ("US", "+7 912 345-67-89", "can't be sent to that country"),
    ("US", "+234 802 123 4567", "can't be sent to that country"),
    ("XX", "2015550123", "can't be sent to that country"),
    ("GB", "+53 5 1234567", "can't be sent to that country"),
])
def test_sms_pumping_destination_allow_list(app, client, fake_vonage, country, number, message, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = setup_send(client, number, country)
    assert response.status_code == 422
    assert message in text(response)
    assert fake_vonage.messages == [] and code_rows(app) == 0


@pytest.mark.parametrize("country, number, message", [
    ("US", "+1 900 234 5678", "Premium-rate numbers can't receive codes"),
    ("GB", "+44 901 234 5678", "Premium-rate numbers can't receive codes"),
    ("DE", "+49 900 1234567", "Premium-rate numbers can't receive codes"),
    ("US", "+1 800 234 5678", "can't receive text messages"),
    ("GB", "+44 121 234 5678", "can't receive text messages"),
    ("GB", "+44 56 1234 5678", "can't receive text messages"),
    ("GB", "+44 7640 123456", "can't receive text messages"),
    ("FR", "+33 1 23 45 67 89", "can't receive text messages"),
    ("FR", "+33 884 01 23 45", "can't receive text messages"),
])
def test_sms_pumping_premium_and_non_mobile_numbers_refused(app, client, fake_vonage, country, number, message, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = setup_send(client, number, country)
    assert response.status_code == 422
    assert message in text(response)
    assert fake_vonage.messages == [] and code_rows(app) == 0


def test_sms_pumping_country_list_offers_only_allowed_countries(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    page = client.get("/account/two-factor").get_data(as_text=True)
    import re

    offered = set(re.findall(r'<option value="([A-Z]{2})"', page))
    assert offered == set(app.config["SMS_ALLOWED_COUNTRIES"].split(","))


@pytest.mark.settings(SMS_ALLOWED_COUNTRIES="GB")
class TestConfiguredAllowList:
    def test_sms_pumping_allow_list_is_configurable(self, app, client, fake_vonage, auth):
        auth.make_user()
        auth.sign_in_fully()
        assert setup_send(client, PHONE_NATIONAL, "US").status_code == 422
        assert setup_send(client, "+1 201 555 0123", "GB").status_code == 422
        assert fake_vonage.messages == []
        assert setup_send(client, "07400 123456", "GB").status_code == 200
        assert len(fake_vonage.sent_to("+447400123456")) == 1

    def test_sms_pumping_sign_in_to_a_number_no_longer_allowed_sends_nothing(self, app, fake_vonage, security_auth):
        """A number saved before the allow-list shrank is not texted either."""
        security_auth.two_factor_user()
        client = app.test_client()
        security_auth.pending_sign_in(client=client)
        assert fake_vonage.messages == []
        assert "can't be sent" in text(client.get("/signin/verify"))


# ---------------------------------------------------------------- per-IP and global (Flask-Limiter)

@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_PER_IP="3 per hour")
class TestPerIp:
    def test_sms_pumping_per_ip_limit_boundary(self, app, fake_vonage, clock, auth):
        auth.make_user(email="a@example.com")
        auth.make_user(email="b@example.com")
        a = signed_in_at(auth, app, fake_vonage, "a@example.com", "198.51.100.7")
        assert setup_send(a).status_code == 200
        clock.shift(31)
        assert a.post(RESEND).status_code == 303
        clock.shift(31)
        assert a.post(RESEND).status_code == 303
        clock.shift(31)
        refused = a.post(RESEND, headers=htmx())
        assert refused.status_code == 429
        assert retry_after(refused) == 3600 - 3 * 31
        assert "<html" not in text(refused)
        assert "minute" in text(refused)
        assert codes_sent(fake_vonage) == 3
        # Other networks are unaffected; this one is free again when its window ends.
        b = signed_in_at(auth, app, fake_vonage, "b@example.com", "198.51.100.8")
        assert setup_send(b, "201-555-0188").status_code == 200
        advance(clock, 3600 - 3 * 31 - 1, a)
        assert a.post(RESEND).status_code == 429
        clock.shift(1)
        assert a.post(RESEND).status_code == 303

    def test_sms_pumping_retry_after_names_the_limit_that_refused(self, app, fake_vonage, clock, auth):
        """A cooldown refusal says 30 s, not when the (unbroken) per-IP window ends."""
        auth.make_user()
        a = signed_in_at(auth, app, fake_vonage, "patient@example.com", "198.51.100.7")
        assert setup_send(a).status_code == 200
        refused = a.post(RESEND, headers=htmx())
        assert refused.status_code == 429 and retry_after(refused) == 30

    def test_sms_pumping_per_ip_limit_full_page_without_htmx(self, app, fake_vonage, clock, auth):
        auth.make_user()
        a = signed_in_at(auth, app, fake_vonage, "patient@example.com", "198.51.100.7")
        for _ in range(3):
            setup_send(a)
            clock.shift(31)
        refused = setup_send(a)
        assert refused.status_code == 429 and "<html" in text(refused)
        assert retry_after(refused) > 0
        assert codes_sent(fake_vonage) == 3

    def test_sms_pumping_per_ip_limit_covers_sign_in_codes(self, app, fake_vonage, clock, security_auth):
        for name in ("a", "b", "c"):
            security_auth.two_factor_user(email=f"{name}@example.com", phone=PHONE if name != "c" else OTHER_PHONE)
        a = client_at(app, "198.51.100.7")
        security_auth.pending_sign_in("a@example.com", client=a)                # 1: the password step texts a code
        clock.shift(31)
        assert a.post("/signin/resend").status_code == 303        # 2
        b = client_at(app, "198.51.100.7")
        security_auth.pending_sign_in("b@example.com", client=b)  # 3 (user b shares the number: per-number cap 5)
        assert codes_sent(fake_vonage) == 3
        clock.shift(31)
        refused = a.post("/signin/resend", headers=htmx())
        assert refused.status_code == 429 and retry_after(refused) > 0
        # The password step of yet another account from this network texts nothing either.
        c = client_at(app, "198.51.100.7")
        security_auth.pending_sign_in("c@example.com", client=c)
        assert codes_sent(fake_vonage, OTHER_PHONE) == 0
        page = text(c.get("/signin/verify"))
        assert "Too many" in page and "minute" in page
        # From another network, c gets a code.
        d = client_at(app, "198.51.100.9")
        security_auth.pending_sign_in("c@example.com", client=d)
        assert codes_sent(fake_vonage, OTHER_PHONE) == 1

    def test_sms_pumping_trusted_browser_sign_in_spends_no_sms_allowance(self, app, fake_vonage, clock, auth,
                                                                         security_auth):
        security_auth.two_factor_user()
        a = client_at(app, "198.51.100.7")
        auth.sign_in_fully(trust=True, client=a)                 # 1
        for _ in range(5):
            a.post("/signout")
            clock.shift(61)
            assert auth.sign_in(client=a).headers["Location"].endswith("/account")
        clock.shift(31)
        a.post("/signout")
        a.delete_cookie(app.config["TRUST_COOKIE_NAME"])
        security_auth.pending_sign_in(client=a)                                   # 2
        clock.shift(31)
        assert a.post("/signin/resend").status_code == 303        # 3
        assert codes_sent(fake_vonage) == 3


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_GLOBAL="3 per minute")
class TestGlobal:
    def test_sms_pumping_global_ceiling_boundary(self, app, fake_vonage, clock, auth, security_auth):
        phones = {"a": PHONE, "b": OTHER_PHONE, "c": THIRD_PHONE}
        for name, phone in phones.items():
            security_auth.two_factor_user(email=f"{name}@example.com", phone=phone)
        auth.make_user(email="e@example.com")
        e = signed_in_at(auth, app, fake_vonage, "e@example.com", "203.0.113.5")
        assert setup_send(e, "201-555-0199").status_code == 200                       # 1, account screen
        security_auth.pending_sign_in("a@example.com", client=client_at(app, "203.0.113.6"))        # 2, sign-in
        security_auth.pending_sign_in("b@example.com", client=client_at(app, "203.0.113.7"))        # 3
        assert len(fake_vonage.messages) == 3
        late = client_at(app, "203.0.113.8")
        security_auth.pending_sign_in("c@example.com", client=late)
        assert codes_sent(fake_vonage, THIRD_PHONE) == 0
        clock.shift(31)
        refused = late.post("/signin/resend")
        assert refused.status_code == 429 and retry_after(refused) == 60 - 31
        refused = e.post(RESEND, headers=htmx())
        assert refused.status_code == 429
        assert len(fake_vonage.messages) == 3
        clock.shift(28)
        assert late.post("/signin/resend").status_code == 429
        clock.shift(1)
        assert late.post("/signin/resend").status_code == 303
        assert codes_sent(fake_vonage, THIRD_PHONE) == 1


@pytest.mark.settings(RATELIMIT_ENABLED=False, RATELIMIT_SMS_PER_IP="1 per hour", RATELIMIT_SMS_GLOBAL="1 per hour",
                      **FIVE_AN_HOUR)
class TestSwitch:
    def test_rule_ratelimit_enabled_false_turns_off_only_per_ip_and_global(self, app, client, fake_vonage, clock, auth):
        auth.make_user()
        auth.sign_in_fully()
        for _ in range(5):
            assert setup_send(client).status_code == 200
            clock.shift(31)
        # The per-user product cap stays on.
        assert setup_send(client).status_code == 429
