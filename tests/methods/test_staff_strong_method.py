"""STAFF_REQUIRE_STRONG_METHOD: staff need a passkey or an authenticator app (not SMS alone) for /admin."""

import pytest

from tests.admin.helpers import STAFF_EMAIL
from tests.methods.helpers import add_app, code_at, page


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_staff_with_sms_only_are_sent_to_add_a_strong_method(app, admin_helper):
    admin_helper.make_staff()
    staff = admin_helper.staff_client()
    response = staff.get("/admin/")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/account/two-factor")
    assert "Add a passkey or an authenticator app" in page(staff.get("/account/two-factor"))


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_staff_with_an_app_may_enter(app, admin_helper, auth, clock):
    # Signed in with the app in this session (an SMS sign-in is sent to confirm: test_methods_hardening).
    staff_id = admin_helper.make_staff()
    add_app(app, staff_id, preferred="totp")
    staff = app.test_client()
    assert auth.sign_in(STAFF_EMAIL, client=staff).headers["Location"].endswith("/signin/app")
    assert staff.post("/signin/app", data={"code": code_at()}).status_code == 303
    assert staff.get("/admin/").status_code == 200


def test_off_by_default(app, admin_helper):
    admin_helper.make_staff()
    assert admin_helper.staff_client().get("/admin/").status_code == 200
    assert app.config["STAFF_REQUIRE_STRONG_METHOD"] is False
    assert code_at()  # the helper works without a frozen clock too
