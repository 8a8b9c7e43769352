"""Per-account rules counted from database rows: sign-in throttle, the 100-failure cap, owner notices."""

import hmac as real_hmac
import re

import pytest
from sqlalchemy import func, select

from app.models import SecurityEvent
from tests.support import PASSWORD, PHONE
from tests.security.support import codes_sent, user_row

WRONG = "Wrong-Password-Entirely-1"
THROTTLED_NOTICE = "many failed sign-in attempts"
WRONG_CODE_NOTICE = "entered your Health Records password but not the code"


def notices(fake_vonage, text, number=PHONE):
    return [m for m in fake_vonage.sent_to(number) if text in m["text"]]


def retry_after(response) -> int:
    assert "Retry-After" in response.headers, dict(response.headers)
    return int(response.headers["Retry-After"])


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def signin_failures(app) -> int:
    from app.extensions import db
    from app.security import audit

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SecurityEvent)
                                 .where(SecurityEvent.type == audit.SIGNIN_FAILED))


# ---------------------------------------------------------------- sign-in throttle per account

def test_owasp_account_throttle_tenth_failure_checked_eleventh_refused(app, client, fake_vonage, clock, auth,
                                                                       security_auth):
    security_auth.two_factor_user()
    for attempt in range(10):
        response = auth.sign_in(password=WRONG)
        assert response.status_code == 422, attempt
        assert "Incorrect email or password." in response.get_data(as_text=True)
    # The 11th try is refused before the password is looked at, even the right one.
    response = auth.sign_in()
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert retry_after(response) == 31
    assert signin_failures(app) == 10
    assert client.get("/account").status_code in (302, 303)
    assert codes_sent(fake_vonage) == 0


def test_owasp_account_throttle_delays_grow_and_end(app, client, clock, auth):
    auth.make_user()
    for _ in range(10):
        assert auth.sign_in(password=WRONG).status_code == 422
    # Delay after the 10th failure: 30 s; each further failure doubles it.
    for delay in (30, 60, 120, 240):
        clock.shift(delay - 1)
        refused = auth.sign_in()
        assert refused.status_code == 429, delay
        assert retry_after(refused) == 2
        clock.shift(1)
        assert auth.sign_in(password=WRONG).status_code == 422, delay
        assert retry_after(auth.sign_in()) == delay * 2 + 1
    # Not a permanent lock: after the delay the right password works.
    clock.shift(480)
    response = auth.sign_in()
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")


def test_owasp_account_throttle_window_is_one_hour(app, client, clock, auth):
    auth.make_user()
    for _ in range(10):
        auth.sign_in(password=WRONG)
    clock.shift(3600)
    # The failures are an hour old now: nine more are checked, the tenth is too.
    for _ in range(10):
        assert auth.sign_in(password=WRONG).status_code == 422
    assert auth.sign_in().status_code == 429


def test_owasp_account_throttle_success_starts_a_new_count(app, client, clock, auth):
    auth.make_user()
    for _ in range(9):
        auth.sign_in(password=WRONG)
    assert auth.sign_in().status_code == 303
    client.post("/signout")
    clock.shift(1)
    for _ in range(10):
        assert auth.sign_in(password=WRONG).status_code == 422
    assert auth.sign_in().status_code == 429


@pytest.mark.parametrize("typed", ["Patient@Example.COM", "  patient@EXAMPLE.com "])
def test_owasp_account_throttle_success_typed_in_mixed_case_starts_a_new_count(app, client, clock, typed, auth):
    auth.make_user()
    for _ in range(9):
        assert auth.sign_in("PATIENT@example.com", password=WRONG).status_code == 422
    assert auth.sign_in(typed).status_code == 303
    client.post("/signout")
    clock.shift(1)
    # The success counted for the account however the email was typed, like the failures.
    for _ in range(10):
        assert auth.sign_in(password=WRONG).status_code == 422
    assert auth.sign_in().status_code == 429


def test_owasp_account_throttle_unknown_email_answers_alike(app, client, clock, auth):
    """No enumeration: an email nobody has is throttled exactly like a real one."""
    auth.make_user()
    answers = {}
    for email in ("patient@example.com", "nobody@example.com"):
        for _ in range(10):
            auth.sign_in(email, WRONG)
        refused = auth.sign_in(email, WRONG)
        answers[email] = (refused.status_code, retry_after(refused),
                          re.sub(r'value="[^"]*"', "", refused.get_data(as_text=True)))
    assert answers["patient@example.com"] == answers["nobody@example.com"]


def test_owasp_account_throttle_is_per_account_not_global(app, client, clock, auth):
    auth.make_user()
    auth.make_user(email="other@example.com")
    for _ in range(10):
        auth.sign_in(password=WRONG)
    assert auth.sign_in().status_code == 429
    assert auth.sign_in("other@example.com", client=app.test_client()).status_code == 303


def test_rule_throttle_notice_texts_owner_once_when_2fa_on(app, client, fake_vonage, clock, auth, security_auth):
    security_auth.two_factor_user()
    for attempt in range(9):
        auth.sign_in(password=WRONG)
    assert notices(fake_vonage, THROTTLED_NOTICE) == []
    auth.sign_in(password=WRONG)
    assert len(notices(fake_vonage, THROTTLED_NOTICE)) == 1
    # Further failures after each delay send nothing more.
    for delay in (30, 60, 120):
        clock.shift(delay)
        assert auth.sign_in(password=WRONG).status_code == 422
    assert len(notices(fake_vonage, THROTTLED_NOTICE)) == 1


def test_rule_throttle_notice_at_most_once_an_hour(app, client, fake_vonage, clock, auth, security_auth):
    security_auth.two_factor_user()
    auth.sign_in(password=WRONG)
    clock.shift(1000)
    for _ in range(9):
        auth.sign_in(password=WRONG)
    assert len(notices(fake_vonage, THROTTLED_NOTICE)) == 1
    # The first failure ages out; the next one brings the count back to the limit.
    clock.shift(2601)
    assert auth.sign_in(password=WRONG).status_code == 422
    assert len(notices(fake_vonage, THROTTLED_NOTICE)) == 1
    # An hour after the notice, a new run of failures may warn again.
    clock.shift(1000)
    for _ in range(10):
        auth.sign_in(password=WRONG)
    assert len(notices(fake_vonage, THROTTLED_NOTICE)) == 2


def test_rule_throttle_notice_not_sent_without_2fa(app, client, fake_vonage, clock, auth):
    auth.make_user()
    for _ in range(11):
        auth.sign_in(password=WRONG)
    assert fake_vonage.messages == []


def test_rule_throttle_counts_reauthentication_failures(app, fake_vonage, clock, auth):
    """Guessing the password on the re-authentication form is throttled like sign-in."""
    uid = auth.make_user(phone=PHONE)
    client = app.test_client()

    auth.sign_in_fully(client=client)
    clock.shift(901)
    for attempt in range(10):
        response = client.post("/account/two-factor/disable", data={"password": WRONG})
        assert response.status_code == 422, attempt
    response = client.post("/account/two-factor/disable", data={"password": PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert user_row(app, uid).phone_e164 == PHONE


def test_rule_throttle_counts_change_password_failures(app, client, clock, auth):
    """The current-password field of Change password can't be used to guess the password."""
    auth.make_user()
    assert auth.sign_in().status_code == 303
    clock.shift(1)
    new = "Violet-Harbour-Thimble-58"
    for attempt in range(10):
        response = client.post("/account/password", data={"current": WRONG, "new": new, "confirm": new})
        assert response.status_code == 422, attempt
    response = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    client.post("/signout")
    clock.shift(31)
    assert auth.sign_in().status_code == 303  # the password did not change


# ---------------------------------------------------------------- NIST 800-63B: 100 consecutive failures

class CountingHmac:
    """Stand-in for the hmac module inside app.security.codes that counts comparisons."""

    def __init__(self):
        self.comparisons = 0

    def __getattr__(self, name):
        return getattr(real_hmac, name)

    def compare_digest(self, a, b):
        self.comparisons += 1
        return real_hmac.compare_digest(a, b)


@pytest.fixture
def checker(monkeypatch):
    from app.security import codes

    counting = CountingHmac()
    monkeypatch.setattr(codes, "hmac", counting)
    return counting


NIST_CONFIG = {
    # The send caps and sign-in lifetime are other rules; lift them so 21 codes fit in one sign-in.
    "SMS_MAX_PER_USER_PER_HOUR": 1000,
    "SMS_MAX_PER_NUMBER_PER_HOUR": 1000,
    "PENDING_SIGNIN_TTL_SECONDS": 86400,
}


@pytest.mark.settings(**NIST_CONFIG)
class TestNist:
    def _resend(self, client, clock):
        clock.shift(31)
        response = client.post("/signin/resend")
        assert response.status_code == 303, response.get_data(as_text=True)[:300]  # Post/Redirect/Get

    def _fail(self, client, fake_vonage, times):
        code = fake_vonage.last_code(PHONE)
        for _ in range(times):
            assert client.post("/signin/verify", data={"code": wrong_code(code)}).status_code == 422

    def test_nist_100_failures_cap(self, app, client, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        security_auth.pending_sign_in()
        self._fail(client, fake_vonage, 4)
        for round_ in range(19):
            self._resend(client, clock)
            self._fail(client, fake_vonage, 5)
            # A resend never resets the count.
            assert user_row(app, uid).consecutive_code_failures == 4 + 5 * (round_ + 1)
        self._resend(client, clock)
        right = fake_vonage.last_code(PHONE)
        self._fail(client, fake_vonage, 1)
        assert user_row(app, uid).consecutive_code_failures == 100
        assert checker.comparisons == 100
        # The 101st never reaches the checker: even the right, live code is refused.
        response = client.post("/signin/verify", data={"code": right})
        assert response.status_code == 422
        assert "Too many wrong codes" in response.get_data(as_text=True)
        assert checker.comparisons == 100
        assert client.get("/account").status_code in (302, 303)
        assert user_row(app, uid).consecutive_code_failures == 100

    def test_nist_cap_holds_across_time_and_new_sign_ins(self, app, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        from app.extensions import db
        from app.models import User

        with app.app_context():
            db.session.get(User, uid).consecutive_code_failures = 99
            db.session.commit()
        client = app.test_client()
        security_auth.pending_sign_in(client=client)
        self._fail(client, fake_vonage, 1)  # the 100th is still checked
        assert checker.comparisons == 1
        clock.shift(30 * 86400)
        fresh = app.test_client()
        sent_before = len(fake_vonage.messages)
        security_auth.pending_sign_in(client=fresh)
        # A capped account gets no more codes texted (they could not be used anyway).
        assert len(fake_vonage.messages) == sent_before
        response = fresh.post("/signin/verify", data={"code": "123456"})
        assert response.status_code == 422 and "Too many wrong codes" in response.get_data(as_text=True)
        assert checker.comparisons == 1

    def test_nist_capped_account_resend_sends_nothing(self, app, client, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        security_auth.pending_sign_in()
        from app.extensions import db
        from app.models import User

        with app.app_context():
            db.session.get(User, uid).consecutive_code_failures = 100
            db.session.commit()
        sent_before = len(fake_vonage.messages)
        clock.shift(31)
        response = client.post("/signin/resend")
        assert response.status_code in (422, 429)
        assert "Too many wrong codes" in response.get_data(as_text=True)
        assert len(fake_vonage.messages) == sent_before

    def test_nist_cap_counts_recovery_code_failures_too(self, app, client, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        security_auth.pending_sign_in()
        from app.extensions import db
        from app.models import User

        with app.app_context():
            db.session.get(User, uid).consecutive_code_failures = 99
            db.session.commit()
        assert client.post("/signin/recovery", data={"code": "2345-6789-abcd"}).status_code == 422
        assert user_row(app, uid).consecutive_code_failures == 100
        response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
        assert response.status_code == 422 and "Too many wrong codes" in response.get_data(as_text=True)
        assert checker.comparisons == 0

    def test_nist_right_code_resets_the_count(self, app, client, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        security_auth.pending_sign_in()
        self._fail(client, fake_vonage, 4)
        assert client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)}).status_code == 303
        assert user_row(app, uid).consecutive_code_failures == 0

    def test_nist_malformed_codes_are_not_counted(self, app, client, fake_vonage, clock, checker, security_auth):
        uid = security_auth.two_factor_user()
        security_auth.pending_sign_in()
        for junk in ("", "12345", "1234567", "abcdef", "１２３４５６", "١٢٣٤٥٦", "12 34 5x"):
            response = client.post("/signin/verify", data={"code": junk})
            assert response.status_code == 422
        assert checker.comparisons == 0
        assert user_row(app, uid).consecutive_code_failures == 0


# ---------------------------------------------------------------- password right, code wrong

def test_rule_wrong_code_notice_after_three_and_once_an_hour(app, client, fake_vonage, clock, security_auth):
    security_auth.two_factor_user()
    security_auth.pending_sign_in()
    code = fake_vonage.last_code(PHONE)
    for _ in range(2):
        client.post("/signin/verify", data={"code": wrong_code(code)})
    assert notices(fake_vonage, WRONG_CODE_NOTICE) == []
    client.post("/signin/verify", data={"code": wrong_code(code)})
    assert len(notices(fake_vonage, WRONG_CODE_NOTICE)) == 1
    text = notices(fake_vonage, WRONG_CODE_NOTICE)[0]["text"]
    assert not re.search(r"\d{6}", text)
    # Inside the hour: more wrong codes (on this and new sign-ins) send no second notice.
    client.post("/signin/verify", data={"code": wrong_code(code)})
    clock.shift(3599)
    again = app.test_client()
    security_auth.pending_sign_in(client=again)
    code = fake_vonage.last_code(PHONE)
    for _ in range(3):
        again.post("/signin/verify", data={"code": wrong_code(code)})
    assert len(notices(fake_vonage, WRONG_CODE_NOTICE)) == 1
    # Just past the hour, the next wrong code may warn again.
    clock.shift(2)
    again.post("/signin/verify", data={"code": wrong_code(code)})
    assert len(notices(fake_vonage, WRONG_CODE_NOTICE)) == 2
