"""Input: bounded, normalised, validated, never rendered as HTML; malformed requests get a clean 4xx."""

import io

import pytest

from app.security import accounts, codes
from tests.support import PASSWORD, PHONE, PHONE_NATIONAL, htmx
from tests.security.support import snapshot, user_row
from tests.security.pages import html_pages, inline_code, reachable_pages

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"]


def assert_inert(response, payload, where):
    html = response.get_data(as_text=True)
    assert response.status_code < 500, where
    assert payload not in html, where
    assert inline_code(html) == [], where


def fields_of(payload):
    """Every form of the app, as (path, form data), with payload in each field in turn."""
    forms = {
        "/signup": {"email": "x@example.com", "password": PASSWORD, "confirm": PASSWORD},
        "/signin": {"email": "x@example.com", "password": PASSWORD},
    }
    for path, data in forms.items():
        for name in data:
            yield path, {**data, name: payload}, False


SIGNED_IN_FORMS = {
    "/account/password": {"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD},
    "/account/two-factor/setup": {"country": "US", "phone": PHONE_NATIONAL},
    "/account/two-factor/verify": {"code": "123456"},
    "/account/two-factor/resend": {"x": "1"},
    "/account/two-factor/cancel": {"x": "1"},
}

TWO_FACTOR_FORMS = {
    "/account/two-factor/number": {"country": "US", "phone": "201-555-0188", "password": PASSWORD},
    "/account/two-factor/disable": {"password": PASSWORD},
    "/account/two-factor/recovery-codes": {"password": PASSWORD},
    "/account/two-factor/recovery-codes/saved": {"saved": "on"},
    "/account/two-factor/devices/forget-others": {"x": "1"},
}

PENDING_FORMS = {
    "/signin/verify": {"code": "123456", "trust": "on"},
    "/signin/recovery": {"code": "abcd-efgh", "trust": "on"},
}


# ---------------------------------------------------------------- HTML is never rendered from input

@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_anonymous_forms_escape_every_field(app, payload):
    for path, data, _ in fields_of(payload):
        for headers in ({}, htmx()):
            assert_inert(app.test_client().post(path, data=data, headers=headers), payload, (path, data))
    response = app.test_client().post("/signup", data={"email": payload, "password": "x", "confirm": "x"})
    assert "&lt;" in response.get_data(as_text=True) or "&#34;&gt;" in response.get_data(as_text=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_next_parameter_is_escaped(app, client, payload):
    for url in (f"/signin?next=/{payload}", f"/signin?next={payload}"):
        assert_inert(client.get(url), payload, url)
        assert_inert(client.post(url, data={"email": "x@example.com", "password": "x"}), payload, url)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_account_forms_escape_every_field(app, fake_vonage, payload, auth):
    auth.make_user()
    client = app.test_client()
    auth.sign_in_fully(client=client)
    for path, data in SIGNED_IN_FORMS.items():
        for name in data:
            for headers in ({}, htmx()):
                response = client.post(path, data={**data, name: payload}, headers=headers)
                assert_inert(response, payload, (path, name))
    # The phone field is echoed back for correction: escaped.
    echoed = client.post("/account/two-factor/setup", data={"country": "US", "phone": payload})
    assert "&lt;" in echoed.get_data(as_text=True) or "&#34;&gt;" in echoed.get_data(as_text=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_two_factor_forms_escape_every_field(app, fake_vonage, payload, auth, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    auth.sign_in_fully(client=client)
    for path, data in TWO_FACTOR_FORMS.items():
        for name in data:
            for headers in ({}, htmx()):
                response = client.post(path, data={**data, name: payload}, headers=headers)
                assert_inert(response, payload, (path, name))
    assert_inert(client.post(f"/account/two-factor/devices/1/forget", data={"x": payload}), payload, "forget")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_pending_sign_in_forms_escape_every_field(app, fake_vonage, payload, auth, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    auth.sign_in(client=client)
    for path, data in PENDING_FORMS.items():
        for name in data:
            for headers in ({}, htmx()):
                assert_inert(client.post(path, data={**data, name: payload}, headers=headers), payload, (path, name))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_browser_name_from_user_agent_is_escaped(app, fake_vonage, payload, auth, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = f"Mozilla/5.0 {payload} Chrome/120.0 {payload}"
    auth.sign_in_fully(trust=True, client=client)
    assert_inert(client.get("/account/two-factor"), payload, "devices list")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_asvs_5_3_3_staff_area_escapes_search_and_reason(app, fake_vonage, payload, auth):
    auth.make_user(email="staff@example.com", phone=PHONE, staff=True)
    target = auth.make_user(email="someone@example.com")
    staff = app.test_client()
    auth.sign_in_fully("staff@example.com", client=staff)
    assert_inert(staff.get("/admin/", query_string={"q": payload}), payload, "search")
    assert_inert(staff.get("/admin/audit", query_string={"type": payload, "account": payload, "from": payload}),
                 payload, "audit filter")
    response = staff.post(f"/admin/users/{target}/actions/sign-out", data={"reason": payload, "password": PASSWORD})
    assert response.status_code < 500
    assert_inert(staff.get(f"/admin/users/{target}"), payload, "user page")
    assert_inert(staff.get("/admin/audit"), payload, "audit log")


# ---------------------------------------------------------------- bounded length and type

def test_asvs_5_1_4_every_text_input_is_bounded_in_the_page(app, fake_vonage):
    import re

    for label, response in html_pages(reachable_pages(app, fake_vonage)):
        for tag in re.findall(r"<input\b[^>]*>", response.get_data(as_text=True)):
            kind = re.search(r'type="([^"]+)"', tag)
            if kind and kind.group(1) in ("hidden", "checkbox", "radio", "submit"):
                continue
            assert "maxlength=" in tag, (label, tag)


@pytest.mark.parametrize("path, name", [
    ("/signin", "email"), ("/signin", "password"), ("/signup", "email"), ("/signup", "password"),
])
def test_asvs_5_1_4_overlong_fields_are_refused_not_stored(app, client, path, name, auth):
    auth.make_user()
    before = snapshot(app)
    data = {"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD, name: "a" * 20_000 + "@example.com"}
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert "a" * 400 not in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_asvs_5_1_4_overlong_phone_and_code_are_refused(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    assert client.post("/account/two-factor/setup", data={"country": "US", "phone": "2" * 5000}).status_code == 422
    assert client.post("/account/two-factor/setup", data={"country": "US" * 100, "phone": PHONE_NATIONAL}).status_code == 422
    assert fake_vonage.messages == []


# ---------------------------------------------------------------- codes: digits, spaces and dashes only

@pytest.mark.parametrize("raw", ["123456", "123 456", "123-456", " 123456 ", "12 34 56", "1-2-3-4-5-6", "123\u00a0456"])
def test_asvs_2_7_code_accepts_digits_spaces_dashes(raw):
    assert codes.normalise_code(raw) == "123456"


@pytest.mark.parametrize("raw", [
    "１２３４５６",                 # full-width digits
    "١٢٣٤٥٦",                       # Arabic-Indic digits
    "۱۲۳۴۵۶",                       # Extended Arabic-Indic digits
    "१२३४५६",                       # Devanagari digits
    "¹²³⁴⁵⁶",                       # superscripts
    "12345", "1234567", "12345a", "123.456", "123_456", "123+456", "12\u200b3456", "123\u2013456",
    "0x1e240", "１23456", "", None, "123456" + " " * 26 + "x", "1" * 100, "-" * 40 + "123456",
])
def test_asvs_2_7_code_refuses_anything_else(raw):
    assert codes.normalise_code(raw) is None


def test_asvs_2_7_code_endpoint_refuses_padded_code_with_trailing_junk(app, client, fake_vonage, auth, security_auth):
    uid = security_auth.two_factor_user()
    auth.sign_in()
    right = fake_vonage.last_code(PHONE)
    for junk in (right + " " * 26 + "x", right + "-" * 40 + "9", "１２３４５６"):
        response = client.post("/signin/verify", data={"code": junk})
        assert response.status_code == 422
    assert user_row(app, uid).consecutive_code_failures == 0
    assert client.post("/signin/verify", data={"code": f" {right[:3]}-{right[3:]} "}).status_code == 303


# ---------------------------------------------------------------- unicode normalisation and emails

def test_asvs_5_1_4_email_is_nfkc_normalised(app, client, auth):
    auth.make_user()
    assert auth.sign_in("ＰＡＴＩＥＮＴ@ｅｘａｍｐｌｅ.ｃｏｍ").status_code == 303


def test_asvs_2_1_password_is_nfc_normalised(app, client, auth):
    composed, decomposed = "Caf\u00e9-Orbit-Kettle-42", "Cafe\u0301-Orbit-Kettle-42"
    assert client.post("/signup", data={"email": "cafe@example.com", "password": decomposed,
                                        "confirm": decomposed}).status_code == 303
    assert auth.sign_in("cafe@example.com", composed).status_code == 303


@pytest.mark.parametrize("email", [
    "a@@example.com", "a@b@example.com", "a@example..com", "a@.example.com", "a\u200b@example.com",
    "a\u202e@example.com", "a@exa mple.com", "<a>@example.com", "a@exa\tmple.com", "@example.com",
    "a@", "a" * 65 + "@example.com", "a@" + "b" * 250 + ".com", "a@" + "b" * 64 + ".com",
])
def test_asvs_5_1_3_malformed_emails_are_refused(app, client, email):
    assert accounts.email_problem(accounts.normalise_email(email)) is not None
    response = client.post("/signup", data={"email": email, "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 422
    assert snapshot(app)["users"] == []


def test_asvs_5_1_3_control_characters_are_refused_by_the_email_rule():
    for email in ("a\x00@example.com", "a\x1b@example.com", "a\x85@example.com"):
        assert accounts.email_problem(email) is not None


def test_asvs_5_1_4_control_characters_are_dropped_from_form_fields(app, client, auth):
    """NUL and other controls never reach the database (PostgreSQL can't even store NUL)."""
    response = client.post("/signup", data={"email": "pat\x00ient@exa\x07mple.com", "password": PASSWORD,
                                             "confirm": PASSWORD})
    assert response.status_code == 303
    assert [dict(row)["email"] for row in snapshot(app)["users"]] == ["patient@example.com"]
    assert auth.sign_in("patient@example.com", PASSWORD + "\x00").status_code == 303


@pytest.mark.parametrize("email", ["a@example.com", "first.last+tag@sub.example.co.uk", "x_y-z@example.io"])
def test_asvs_5_1_3_ordinary_emails_are_accepted(email):
    assert accounts.email_problem(accounts.normalise_email(email)) is None


def test_asvs_5_1_4_phone_digits_in_other_scripts_normalise_to_e164(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = client.post("/account/two-factor/setup", data={"country": "US", "phone": "２０１-５５５-０１２３"})
    assert response.status_code == 303
    assert fake_vonage.messages[-1]["to"] == PHONE.lstrip("+")


@pytest.mark.parametrize("phone", ["1-800-FLOWERS", "201555012a", "201 555 0123 ext 5", "+1 201 555 0123;",
                                   "<2015550123>", "2015550123\u200b", "+", "()", "\u202e2015550123"])
def test_asvs_5_1_3_malformed_phone_numbers_are_refused(app, client, fake_vonage, phone, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = client.post("/account/two-factor/setup", data={"country": "US", "phone": phone})
    assert response.status_code == 422
    assert fake_vonage.messages == []


# ---------------------------------------------------------------- malformed requests: clean 4xx, nothing changes

def test_owasp_body_over_64_kb_is_413_and_changes_nothing(app, client, auth):
    auth.make_user()
    before = snapshot(app)
    for path in ("/signin", "/signup"):
        response = client.post(path, data={"email": "x" * (64 * 1024), "password": PASSWORD})
        assert response.status_code == 413
        assert "Too much data" in response.get_data(as_text=True)
    response = client.post("/signin", data={"file": (io.BytesIO(b"x" * 70_000), "big.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    response = client.post("/signin", data=b"x" * 10, headers={"Content-Type": "application/x-www-form-urlencoded"},
                           environ_overrides={"CONTENT_LENGTH": str(10 ** 9)})
    assert response.status_code == 413
    assert snapshot(app) == before


def test_owasp_body_just_under_64_kb_is_read(app, client):
    response = client.post("/signin", data={"email": "a@example.com", "password": "x" * (64 * 1024 - 200)})
    assert response.status_code == 422


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
class TestWithCsrf:
    def test_owasp_oversized_body_is_413_before_the_csrf_check(self, app, client):
        response = client.post("/signin", data={"email": "x" * 70_000})
        assert response.status_code == 413

    def test_owasp_post_without_csrf_token_is_400_and_changes_nothing(self, app, client, auth):
        auth.make_user()
        before = snapshot(app)
        response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
        assert response.status_code == 400
        assert client.get("/account").status_code in (302, 303)
        response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                                 "csrf_token": "forged"}, headers=htmx())
        assert response.status_code == 400 and "<html" not in response.get_data(as_text=True)
        assert snapshot(app) == before


@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", b"email=%ZZ%&password=%"),
    ("application/x-www-form-urlencoded", b"email=%ff%fe%00&password=\xff\xfe"),
    ("application/x-www-form-urlencoded", b"&&&===&email&password"),
    ("application/x-www-form-urlencoded; charset=utf-16", "email=a@example.com".encode("utf-16")),
    ("multipart/form-data", b"--xyz\r\nnonsense"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nnope"),
    ("multipart/form-data; boundary=", b"garbage"),
    ("application/json", b'{"email": "patient@example.com", "password": "x"}'),
    ("text/plain", b"\x00\x01\x02"),
])
def test_owasp_badly_encoded_bodies_get_a_clean_4xx(app, client, content_type, body, auth):
    auth.make_user()
    before = snapshot(app)
    for path in ("/signin", "/signup"):
        response = client.post(path, data=body, content_type=content_type)
        assert 400 <= response.status_code < 500, (path, response.status_code)
    assert snapshot(app) == before


@pytest.mark.parametrize("method, path", [
    ("GET", "/signout"), ("GET", "/signout/completely"), ("GET", "/signin/resend"), ("GET", "/signin/cancel"),
    ("PUT", "/signin"), ("DELETE", "/signin"), ("PATCH", "/signup"), ("GET", "/account/two-factor/setup"),
    ("GET", "/account/two-factor/verify"), ("DELETE", "/account"), ("PUT", "/account/password"),
    ("GET", "/account/two-factor/devices/1/forget"), ("TRACE", "/signin"),
])
def test_owasp_wrong_methods_get_405(app, client, fake_vonage, method, path, auth):
    auth.make_user()
    auth.sign_in_fully()
    before = snapshot(app)
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert "Allow" in response.headers
    assert snapshot(app) == before


@pytest.mark.parametrize("path", ["/account/two-factor/devices/99999999999999999999999/forget",
                                  "/account/two-factor/devices/0/forget"])
def test_owasp_out_of_range_ids_get_404(app, client, fake_vonage, path, auth, security_auth):
    security_auth.two_factor_user()
    auth.sign_in_fully()
    assert client.post(path).status_code == 404


def test_owasp_out_of_range_ids_in_the_staff_area_get_404(app, fake_vonage, auth):
    auth.make_user(email="staff@example.com", phone=PHONE, staff=True)
    staff = app.test_client()
    auth.sign_in_fully("staff@example.com", client=staff)
    assert staff.get("/admin/users/99999999999999999999999").status_code == 404
    assert staff.post("/admin/users/99999999999999999999999/actions/lock").status_code == 404


GARBAGE_HTMX = [
    {"HX-Request": "1"}, {"HX-Request": "TRUE"}, {"HX-Request": "<script>alert(1)</script>"},
    {"HX-Request": "true", "HX-Target": '"><img src=x onerror=alert(1)>'},
    {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)"},
    {"HX-Request": "true", "HX-Trigger": "x" * 8000, "HX-Trigger-Name": "\u202e"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    {"HX-Request": "true", "HX-Boosted": "maybe", "HX-Prompt": "%00"},
]


@pytest.mark.parametrize("headers", GARBAGE_HTMX)
def test_owasp_garbage_htmx_headers_get_a_clean_answer(app, fake_vonage, headers, security_auth):
    security_auth.two_factor_user()
    client = app.test_client()
    before = snapshot(app)
    for method, path, data in (("GET", "/signin", None), ("POST", "/signin", {"email": "x", "password": "y"}),
                               ("GET", "/account", None), ("GET", "/nowhere", None)):
        response = client.open(path, method=method, data=data, headers=headers)
        assert response.status_code < 500
        for value in headers.values():
            if len(value) > 4:
                assert value not in response.get_data(as_text=True)
                assert all(value not in v for _, v in response.headers.items())
    assert snapshot(app) == before
