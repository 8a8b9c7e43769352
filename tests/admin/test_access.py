"""Who reaches /admin: staff with two-factor on, and nobody else (not even a hint)."""

import pytest

from app.admin.actions import ACTIONS
from tests.admin.helpers import (PATIENT_EMAIL, REASON, STAFF_EMAIL, STAFF_PHONE, cheap_password_hashing, later,
                                 user_state)
from tests.support import PASSWORD, csrf_token, htmx


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


SKIP = {"HEAD", "OPTIONS"}


def admin_requests(app, user_id: int) -> list[tuple[str, str]]:
    """Every (method, url) the admin blueprint answers, with real arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        assert rule.endpoint.startswith("admin."), rule
        slugs = ACTIONS if "slug" in rule.arguments else [None]
        for slug in slugs:
            values = {"user_id": user_id, "slug": slug}
            path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
            found += [(method, path) for method in sorted(rule.methods - SKIP)]
    # Unknown addresses inside the area answer exactly like the real ones.
    found += [("GET", "/admin"), ("GET", "/admin/nope"), ("POST", f"/admin/users/{user_id}/actions/nope"),
              ("DELETE", f"/admin/users/{user_id}")]
    return found


def test_the_area_has_the_screens_and_actions_of_the_issue(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/admin")}
    assert endpoints == {"admin.users", "admin.user", "admin.action", "admin.audit", "admin.audit_csv"}
    assert set(ACTIONS) == {"reset-two-factor", "forget-browsers", "sign-out", "lock", "unlock"}


def assert_hidden(client, app, user_id):
    before = user_state(app, user_id)
    requests = admin_requests(app, user_id)
    assert len(requests) >= 14
    for method, path in requests:
        for headers in ({}, htmx()):
            data = {"reason": REASON, "password": PASSWORD}
            response = client.open(path, method=method, headers=headers, data=data)
            assert response.status_code == 404, (method, path, headers, response.status_code)
            assert "HX-Redirect" not in response.headers and "Location" not in response.headers
            assert "Support" not in response.get_data(as_text=True)
    assert user_state(app, user_id) == before


def test_anonymous_gets_404_everywhere(app, client, admin_helper):
    patient = admin_helper.make_patient()
    assert_hidden(client, app, patient)


def test_signed_in_patient_gets_404_everywhere(app, client, fake_vonage, auth, admin_helper):
    patient = admin_helper.make_patient()
    auth.sign_in_fully(PATIENT_EMAIL)
    assert client.get("/account").status_code == 200
    assert_hidden(client, app, patient)


def test_half_signed_in_staff_gets_404_not_the_verify_page(app, client, auth, admin_helper):
    patient = admin_helper.make_patient()
    admin_helper.make_staff()
    assert auth.sign_in(STAFF_EMAIL).headers["Location"].endswith("/signin/verify")
    assert_hidden(client, app, patient)
    # The pending sign-in itself is untouched: elsewhere it still leads to the code screen.
    assert client.get("/account").headers["Location"].endswith("/signin/verify")


def test_half_signed_in_patient_gets_404(app, client, auth, admin_helper):
    patient = admin_helper.make_patient()
    auth.sign_in(PATIENT_EMAIL)
    assert_hidden(client, app, patient)


def test_staff_role_revoked_means_404(app, fake_vonage, runner, auth, admin_helper):
    patient = admin_helper.make_patient()
    admin_helper.make_staff()
    client = admin_helper.staff_client()
    assert client.get("/admin/").status_code == 200
    result = runner.invoke(args=["users", "set-staff", STAFF_EMAIL, "--off"])
    assert result.exit_code == 0, result.output
    # The role change ended the session; even after signing in again the area is gone.
    assert client.get("/admin/").status_code == 404
    with later(1):  # past the resend cooldown
        auth.sign_in_fully(STAFF_EMAIL, phone=STAFF_PHONE, client=client)
        assert client.get("/account").status_code == 200
        assert_hidden(client, app, patient)


def test_staff_without_two_factor_is_sent_to_set_it_up(app, client, auth, admin_helper):
    admin_helper.make_patient()
    auth.make_user(STAFF_EMAIL, PASSWORD, staff=True)
    auth.sign_in(STAFF_EMAIL)
    response = client.get("/admin/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/two-factor")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Turn on two-factor authentication to use the support area." in page
    response = client.get("/admin/audit", headers=htmx())
    assert response.headers["HX-Redirect"].endswith("/account/two-factor")
    assert client.post("/admin/users/1/actions/lock", data={"reason": REASON}).status_code == 303
    assert user_state(app, 1)["locked_at"] is None


def test_staff_with_two_factor_gets_in_and_sees_the_support_link(app, fake_vonage, admin_helper):
    admin_helper.make_patient()
    admin_helper.make_staff()
    client = admin_helper.staff_client()
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/admin/">Support</a>' in page
    response = client.get("/admin/")
    assert response.status_code == 200 and "<h1>Users</h1>" in response.get_data(as_text=True)


def test_patients_do_not_see_the_support_link(app, client, fake_vonage, auth, admin_helper):
    admin_helper.make_patient()
    auth.sign_in_fully(PATIENT_EMAIL)
    assert "Support" not in client.get("/account").get_data(as_text=True)


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
class TestWithCsrfOn:
    def test_a_refused_token_does_not_reveal_the_area(self, app, client, admin_helper):
        patient = admin_helper.make_patient()
        response = client.post(f"/admin/users/{patient}/actions/lock", data={"reason": REASON})
        assert response.status_code == 404  # not 400 "form expired"
        assert client.post("/admin/nope").status_code == 404

    def test_staff_actions_need_the_token(self, app, fake_vonage, admin_helper):
        patient = admin_helper.make_patient()
        admin_helper.make_staff()
        client = app.test_client()
        token = csrf_token(client)
        client.post("/signin", data={"email": STAFF_EMAIL, "password": PASSWORD, "csrf_token": token})
        token = csrf_token(client, "/signin/verify")
        client.post("/signin/verify", data={"code": fake_vonage.last_code(STAFF_PHONE), "csrf_token": token})
        assert client.get("/admin/").status_code == 200
        url = f"/admin/users/{patient}/actions/lock"
        assert client.post(url, data={"reason": REASON}).status_code == 400
        assert user_state(app, patient)["locked_at"] is None
        token = csrf_token(client, url)
        response = client.post(url, data={"reason": REASON, "csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)
        assert user_state(app, patient)["locked_at"] is not None
