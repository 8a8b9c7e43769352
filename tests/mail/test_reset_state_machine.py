"""No sequence of reset, sign-in, code and sign-out steps yields a signed-in session without the second factor."""

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.mail.support import delivered_to, verify
from tests.support import PASSWORD, PHONE

EMAIL = "patient@example.com"


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_no_sequence_signs_in_without_the_second_factor(app_factory, fake_vonage, auth):
    passwords = (f"Fresh-Password-Number-{n}" for n in itertools.count())

    class Machine(RuleBasedStateMachine):
        """The browser under test, the person's mailbox, and what the model allows."""

        def __init__(self):
            super().__init__()
            fake_vonage.reset()
            self.app = app_factory()
            verify(self.app, auth.make_user(EMAIL, PASSWORD, phone=PHONE, app=self.app))
            self.browser = self.app.test_client()
            self.password, self.old_passwords = PASSWORD, []
            self.tokens_used: list[str] = []
            self.token: str | None = None
            self.mails_seen = 0
            # A trusted browser is a second factor only until the next reset.
            self.trusted = False
            self.pending = False

        @rule()
        def forgot(self):
            self.browser.post("/password/forgot", data={"email": EMAIL})
            mails = [m for m in delivered_to(self.app, EMAIL) if "reset" in m.subject.lower()]
            if len(mails) > self.mails_seen:  # the per-address throttle may have sent nothing
                self.mails_seen = len(mails)
                self.token = mails[-1].token()

        @precondition(lambda self: self.token is not None)
        @rule(same_browser=st.booleans())
        def reset(self, same_browser):
            client = self.browser if same_browser and not self.pending else self.app.test_client()
            new = next(passwords)
            response = client.post("/password/reset", data={"token": self.token, "new": new, "confirm": new})
            assert response.status_code == 303 and response.headers["Location"] == "/signin", response.headers
            self.old_passwords.append(self.password)
            self.password, self.trusted, self.pending = new, False, False
            self.tokens_used.append(self.token)
            self.token = None
            assert not signed_in(self.browser), "a reset signed someone in or kept a session"

        @precondition(lambda self: self.tokens_used)
        @rule(data=st.data())
        def reuse_a_used_link(self, data):
            token = data.draw(st.sampled_from(self.tokens_used))
            # Another browser: this one may be mid sign-in, where every other page leads to the code screen.
            response = self.app.test_client().post("/password/reset", data={
                "token": token, "new": "Some-Other-Pass-1", "confirm": "Some-Other-Pass-1"})
            assert response.status_code == 410

        @rule(old=st.booleans())
        def sign_in(self, old):
            password = self.old_passwords[-1] if old and self.old_passwords else self.password
            response = self.browser.post("/signin", data={"email": EMAIL, "password": password})
            if response.status_code != 303:
                return  # wrong password (an old one) or a signed-in browser's answer
            location = response.headers["Location"]
            if location.endswith("/signin/verify"):
                self.pending = True
            elif location.endswith("/account"):
                # Straight in: only a browser trusted (after a code) since the last reset may do that.
                assert password == self.password and self.trusted, "signed in without a second factor"

        @precondition(lambda self: self.pending)
        @rule(trust=st.booleans(), right=st.booleans())
        def enter_code(self, trust, right):
            code = fake_vonage.last_code(PHONE) if right else "000000"
            if not right and code == fake_vonage.last_code(PHONE):
                return
            data = {"code": code, **({"trust": "on"} if trust else {})}
            response = self.browser.post("/signin/verify", data=data)
            if right and response.status_code == 303 and response.headers["Location"].endswith("/account"):
                self.pending = False
                self.trusted = self.trusted or trust

        @rule()
        def sign_out(self):
            # Mid sign-in the way out is Cancel (every other page leads back to the code screen).
            self.browser.post("/signin/cancel" if self.pending else "/signout")
            self.pending = False

        @invariant()
        def never_signed_in_while_a_code_is_owed(self):
            if self.pending:
                assert not signed_in(self.browser)

    run_state_machine_as_test(Machine, settings=settings(
        max_examples=15, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
