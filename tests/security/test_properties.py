"""Property-based: arbitrary text never crashes a parser or an endpoint, and invalid input changes nothing."""

import re
import string

import phonenumbers
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.forms import safe_next
from app.security import accounts, codes
from app.security.phones import PhoneError, allowed_regions, parse_mobile
from tests.support import PHONE, htmx
from tests.security.support import snapshot

FAST = settings(max_examples=100, deadline=None)
ENDPOINT = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ALLOWED = allowed_regions("US,CA,GB,IE,AU,NZ,DE,FR,NL,SE")
REGIONS = st.sampled_from(sorted(ALLOWED | {"RU", "NG", "CU", "XX", "", "us", "001"}))
# Text that looks like phone input often, and like anything at all sometimes.
PHONE_TEXT = st.one_of(
    st.text(),
    st.from_regex(r"\A[+]?[0-9 ().\-]{0,20}\Z"),
    st.from_regex(r"\A\+?(1|44|49|33|7|234)[0-9]{6,12}\Z"),
)
CODE_TEXT = st.one_of(st.text(), st.from_regex(r"\A[0-9 \-]{0,40}\Z"),
                      st.text(alphabet="0123456789１２３٣ -\t\u00a0", max_size=12))


# ---------------------------------------------------------------- parsers

@FAST
@given(raw=CODE_TEXT)
def test_property_code_parser_returns_six_ascii_digits_or_nothing(raw):
    result = codes.normalise_code(raw)
    if result is None:
        return
    assert re.fullmatch(r"[0-9]{6}", result)
    assert len(raw) <= 32
    assert set(raw) <= set(string.digits + " -\t\u00a0")


@FAST
@given(region=REGIONS, raw=PHONE_TEXT)
def test_property_phone_parser_returns_an_allowed_mobile_or_refuses(region, raw):
    try:
        e164 = parse_mobile(region, raw, ALLOWED)
    except PhoneError:
        return
    number = phonenumbers.parse(e164)
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", e164)
    assert phonenumbers.region_code_for_number(number) in ALLOWED
    assert phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@FAST
@given(raw=st.one_of(st.text(), st.emails(), st.from_regex(r"\A[a-z@.]{0,12}\Z")))
def test_property_email_rule_never_crashes_and_accepts_only_clean_addresses(raw):
    email = accounts.normalise_email(raw)
    if accounts.email_problem(email) is not None:
        return
    assert email.count("@") == 1 and len(email) <= 254
    assert not any(ch.isspace() or ord(ch) < 32 for ch in email)
    local, domain = email.split("@")
    assert local and "." in domain and ".." not in domain


@FAST
@given(target=st.one_of(st.text(), st.from_regex(r"\A[/\\a-z:.%@]{0,12}\Z")))
def test_property_next_is_always_a_local_path(target):
    result = safe_next(target)
    if result is None:
        return
    assert result.startswith("/") and not result.startswith("//") and "\\" not in result
    assert "://" not in result.split("?")[0] or result.startswith("/")


# ---------------------------------------------------------------- endpoints

@ENDPOINT
@given(email=st.text(max_size=300), password=st.text(max_size=300), as_htmx=st.booleans())
def test_property_sign_in_never_500_and_wrong_credentials_change_nothing(app, email, password, as_htmx, auth):
    assume(password != "Blue-Kettle-Orbit-42")
    if not snapshot(app)["users"]:
        auth.make_user()
    before = snapshot(app)
    client = app.test_client()
    response = client.post("/signin", data={"email": email, "password": password},
                           headers=htmx() if as_htmx else {})
    assert response.status_code in (422, 429), response.status_code
    assert snapshot(app) == before
    assert client.get("/account").status_code in (302, 303)


def reused(app, name, make):
    """One client per app for all examples of a test (the app fixture is shared by them)."""
    cache = app.extensions.setdefault("property_clients", {})
    if name not in cache:
        cache[name] = make()
    return cache[name]


def invalid_code(raw: str) -> bool:
    """Whether the code form would refuse raw before any check (as the view reads the field)."""
    from app.forms import _CONTROLS
    import unicodedata

    return codes.normalise_code(unicodedata.normalize("NFC", raw).translate(_CONTROLS).strip()[:64]) is None


@ENDPOINT
@given(raw=CODE_TEXT)
def test_property_sign_in_code_endpoint_never_500_and_invalid_codes_change_nothing(app, fake_vonage, raw, auth,
                                                                                   security_auth):
    def pending_client():
        security_auth.two_factor_user()
        client = app.test_client()
        auth.sign_in(client=client)
        return client

    client = reused(app, "pending", pending_client)
    before = snapshot(app)
    response = client.post("/signin/verify", data={"code": raw})
    assert response.status_code in (303, 422), response.status_code
    if invalid_code(raw):
        assert response.status_code == 422
        assert snapshot(app) == before


@ENDPOINT
@given(region=REGIONS, raw=PHONE_TEXT)
def test_property_setup_endpoint_never_500_and_refused_numbers_send_nothing(app, fake_vonage, region, raw, auth):
    def signed_in():
        auth.make_user()
        client = app.test_client()
        auth.sign_in_fully(client=client)
        return client

    client = reused(app, "signed-in", signed_in)
    before, sent = snapshot(app), len(fake_vonage.messages)
    response = client.post("/account/two-factor/setup", data={"country": region, "phone": raw}, headers=htmx())
    assert response.status_code in (200, 422, 429), response.status_code
    if response.status_code != 200:
        assert snapshot(app) == before
        assert len(fake_vonage.messages) == sent


@ENDPOINT
@given(raw=CODE_TEXT)
def test_property_setup_code_endpoint_never_500_and_invalid_codes_change_nothing(app, fake_vonage, raw, auth):
    def in_setup_flow():
        auth.make_user()
        client = app.test_client()
        auth.sign_in_fully(client=client)
        assert client.post("/account/two-factor/setup", data={"country": "US", "phone": PHONE}).status_code == 303
        return client

    client = reused(app, "setup-flow", in_setup_flow)
    before = snapshot(app)
    response = client.post("/account/two-factor/verify", data={"code": raw}, headers=htmx())
    assert response.status_code in (200, 422), response.status_code
    if invalid_code(raw):
        assert response.status_code == 422
        assert snapshot(app) == before
