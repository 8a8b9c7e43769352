"""Every screen and every htmx swap of the app, as data, for the accessibility tests.

A screen is a name and a function that brings a fresh tab there (and, for a whole page answering a
form, the CSS selector document.activeElement must match once it loads); a swap is a name, the screen it
starts from, and a function that makes the swap and returns a CSS selector that
document.activeElement must match afterwards. A feature that adds a screen or a swap adds one line
to SCREENS or SWAPS (and, if it needs one, a small function here): tests/browser/test_accessibility.py
runs axe, the 320 px reflow check and the focus checks on every entry.
"""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from tests.mail.support import delivered_to, verify
from tests.methods.helpers import SECRET, add_app, code_at
from tests.support import PASSWORD, AuthActions

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    """Someone made for one screen: unique email and number, so no limit is shared between screens."""

    id: int
    email: str
    phone: str | None

    @property
    def national(self) -> str:
        return self.phone[2:] if self.phone else ""


class World:
    """The live server's people, sign-ins and settings, for the screen and swap functions."""

    def __init__(self, request, server, fake_vonage) -> None:
        self.server, self.app, self.fake_vonage = server, server.app, fake_vonage
        self.auth = AuthActions(request, fake_vonage, app=server.app)
        self._numbers = itertools.count(1000)
        self._changed: dict = {}

    # ------------------------------------------------------------ people

    def person(self, *, two_factor: bool = True, staff: bool = False) -> Person:
        n = next(self._numbers)
        # Long, as real addresses can be: an email in a heading must wrap at 320 px, not widen the page.
        email = f"{'staff' if staff else 'person'}{n}.with.a.rather.long.address@clinic-records.example.com"
        phone = f"+1201555{n:04d}"
        uid = self.auth.make_user(email, PASSWORD, phone=phone if two_factor else None, staff=staff)
        return Person(uid, email, phone)

    def code(self, person: Person) -> str:
        return self.fake_vonage.last_code(person.phone)

    def verified(self, person: Person) -> Person:
        verify(self.app, person.id)
        return person

    def mailed_token(self, address: str) -> str:
        """The token of the newest link mailed to an address."""
        return delivered_to(self.app, address)[-1].token()

    # ------------------------------------------------------------ requests in the tab's own cookies

    def post(self, tab, form_page: str, action: str, form: dict) -> str:
        """POST like the page's form would (CSRF token from form_page); return the URL it ends on."""
        page = tab.context.request.get(form_page).text()
        token = TOKEN.search(page)
        assert token, f"no CSRF token on {form_page}"
        response = tab.context.request.post(action, form={**form, "csrf_token": token.group(1)})
        assert response.ok, (action, response.status)
        return response.url

    def pending(self, tab, person: Person) -> str:
        """Pass the password step: with two-factor on, the tab is half signed in and a code texted."""
        return self.post(tab, "/signin", "/signin", {"email": person.email, "password": PASSWORD})

    def sign_in(self, tab, person: Person, *, trust: bool = False) -> None:
        if self.pending(tab, person).endswith("/signin/verify"):
            form = {"code": self.code(person), **({"trust": "on"} if trust else {})}
            self.post(tab, "/signin/verify", "/signin/verify", form)

    # ------------------------------------------------------------ settings, undone after each test

    def configure(self, **settings) -> None:
        for key, value in settings.items():
            self._changed.setdefault(key, self.app.config.get(key))
            self.app.config[key] = value

    def restore(self) -> None:
        self.app.config.update(self._changed)
        self._changed.clear()
        self.fake_vonage.failure = None


# ---------------------------------------------------------------- screens

def anonymous(path: str) -> Callable:
    def go(world: World, tab) -> None:
        tab.goto(path)
    return go


def bad_host(world: World, tab) -> None:
    world.configure(TRUSTED_HOSTS=["localhost"])
    tab.goto("/signin")


def code_screen(world: World, tab) -> Person:
    person = world.person()
    world.pending(tab, person)
    tab.goto("/signin/verify")
    return person


def code_screen_text_failed(world: World, tab) -> None:
    world.fake_vonage.failure = "http500"
    code_screen(world, tab)


def recovery_screen(world: World, tab) -> Person:
    person = code_screen(world, tab)
    tab.goto("/signin/recovery")
    return person


def signed_in(path: str, *, two_factor: bool = True, trust: bool = False, staff: bool = False) -> Callable:
    def go(world: World, tab) -> Person:
        person = world.person(two_factor=two_factor or staff, staff=staff)
        world.sign_in(tab, person, trust=trust)
        tab.goto(path)
        return person
    return go


def password_asked(go: Callable) -> Callable:
    """The same screen when the sign-in is older than REAUTH_MAX_AGE_SECONDS (the password is asked)."""
    def later(world: World, tab):
        world.configure(REAUTH_MAX_AGE_SECONDS=0)
        return go(world, tab)
    return later


def setup_code_screen(world: World, tab) -> Person:
    person = signed_in("/account", two_factor=False)(world, tab)
    world.post(tab, "/account/two-factor", "/account/two-factor/setup", {"country": "US", "phone": person.national})
    tab.goto("/account/two-factor")
    return person


def codes_shown_once(world: World, tab) -> None:
    person = setup_code_screen(world, tab)
    world.post(tab, "/account/two-factor", "/account/two-factor/verify", {"code": world.code(person)})
    tab.goto("/account/two-factor")  # the codes were in that answer only; this page asks for the tick


def confirm_its_you(world: World, tab) -> Person:
    person = password_asked(signed_in("/account/two-factor"))(world, tab)
    world.post(tab, "/account/two-factor/disable", "/account/two-factor/disable", {"password": PASSWORD})
    tab.goto("/account/two-factor")
    return person


def staff_on(path_for: Callable[[Person, Person], str]) -> Callable:
    """A staff member looking at a patient who has signed in from a trusted browser."""
    def go(world: World, tab) -> Person:
        patient = world.person()
        world.sign_in(tab, patient, trust=True)
        tab.context.clear_cookies()
        staff = world.person(staff=True)
        world.sign_in(tab, staff)
        tab.goto(path_for(staff, patient))
        return patient
    return go


def staff_confirm_strong(world: World, tab) -> Person:
    """Staff who signed in by text, with an app set up, asked to confirm with it before the support area."""
    world.configure(STAFF_REQUIRE_STRONG_METHOD=True)
    staff = world.person(staff=True)
    add_app(world.app, staff.id, SECRET, preferred="sms")
    world.sign_in(tab, staff)
    tab.goto("/admin/")
    assert tab.url.endswith("/account/confirm-strong"), tab.url
    return staff


def press_and_land(tab, fields: dict[str, str], button: str) -> None:
    """Fill a form and press its button; wait for the page it leads to (a redirect or a full answer)."""
    with tab.expect_navigation():
        fill_and_press(tab, fields, button)


def then(go: Callable, fields: dict[str, str], button: str) -> Callable:
    """A screen, then a form on it sent (JS or not, these answer with a whole page)."""
    def answered(world: World, tab):
        person = go(world, tab)
        press_and_land(tab, fields, button)
        return person
    return answered


def reset_link(world: World, tab) -> Person:
    person = world.verified(world.person())
    world.configure(RATELIMIT_PASSWORD_RESET="1000 per minute")  # every screen of the module asks from 127.0.0.1
    world.post(tab, "/password/forgot", "/password/forgot", {"email": person.email})
    tab.goto(f"/password/reset?token={world.mailed_token(person.email)}")
    return person


def verify_link(*, signed_in_too: bool) -> Callable:
    def go(world: World, tab) -> Person:
        person = signed_in("/account")(world, tab)
        world.post(tab, "/account", "/account/email/resend", {})
        if not signed_in_too:
            tab.context.clear_cookies()
        tab.goto(f"/email/verify?token={world.mailed_token(person.email)}")
        return person
    return go


def add_passkey(world: World, person: Person, name: str = "Laptop Touch ID") -> None:
    """Store a passkey for the person directly (the screens show it; no ceremony is run)."""
    from app.extensions import db
    from app.models import WebauthnCredential

    with world.app.app_context():
        db.session.add(WebauthnCredential(user_id=person.id, credential_id=f"key-{person.id}-{name}".encode(),
                                          public_key=b"not-a-real-key", name=name))
        db.session.commit()


def with_methods(path: str, *, app: bool = False, passkey: bool = False, password: bool = False) -> Callable:
    """Signed in (by text) with an authenticator app and/or a passkey added afterwards; password asked if so."""
    def go(world: World, tab) -> Person:
        if password:
            world.configure(REAUTH_MAX_AGE_SECONDS=0)
        person = signed_in("/account")(world, tab)
        if app:
            add_app(world.app, person.id, SECRET)
        if passkey:
            add_passkey(world, person)
        tab.goto(path)
        return person
    return go


def email_change_link(world: World, tab) -> Person:
    person = signed_in("/account/email")(world, tab)
    new = "new." + person.email
    world.post(tab, "/account/email", "/account/email", {"email": new, "password": PASSWORD})
    tab.goto(f"/email/change/confirm?token={world.mailed_token(new)}")
    return person


def staff_reset_scheduled(world: World, tab) -> Person:
    """The support screen after a reset of two-factor was scheduled (no identity check recorded)."""
    patient = verified_patient(lambda staff, patient: f"/admin/users/{patient.id}/actions/reset-two-factor")(world, tab)
    press_and_land(tab, {"Reason": "Ticket 1234: lost phone"}, "Yes, reset two-factor")
    return patient


def staff_reset_cancel_link(world: World, tab) -> Person:
    patient = staff_reset_scheduled(world, tab)
    tab.context.clear_cookies()
    tab.goto(f"/two-factor/reset/cancel?token={world.mailed_token(patient.email)}")
    return patient


def verified_patient(path_for: Callable[[Person, Person], str]) -> Callable:
    """A staff member looking at a patient whose address is confirmed (reset links go only there)."""
    def go(world: World, tab) -> Person:
        patient = staff_on(lambda staff, patient: f"/admin/users/{patient.id}")(world, tab)
        world.verified(patient)
        tab.goto(path_for(None, patient))
        return patient
    return go


NEW_PASSWORD = "Violet-Harbour-Thimble-58"
def app_sign_in(path: str) -> Callable:
    """Half signed in (password given) as someone whose authenticator app is asked first."""
    def go(world: World, tab) -> Person:
        person = world.person()
        add_app(world.app, person.id, SECRET)
        world.pending(tab, person)
        tab.goto(path)
        return person
    return go


def passkey_sign_in_step(world: World, tab) -> Person:
    person = world.person()
    add_passkey(world, person)
    world.pending(tab, person)
    tab.goto("/signin/passkey-2fa")
    return person


def passkey_button(world: World, tab) -> None:
    tab.goto("/signin")
    tab.get_by_role("button", name="Continue with a passkey").wait_for()  # shown where WebAuthn exists


def app_enrolment(world: World, tab) -> Person:
    person = signed_in("/account")(world, tab)
    world.post(tab, "/account/two-factor", "/account/two-factor/app", {})
    tab.goto("/account/two-factor")
    return person


def add_method_password(world: World, tab) -> Person:
    person = password_asked(signed_in("/account/two-factor", two_factor=False))(world, tab)
    world.post(tab, "/account/two-factor", "/account/two-factor/app", {})
    tab.goto("/account/two-factor")
    return person


def reauth_with_app(world: World, tab) -> Person:
    person = with_methods("/account/two-factor", app=True, password=True)(world, tab)
    world.post(tab, "/account/two-factor", "/account/two-factor/sms/remove", {"password": PASSWORD})
    tab.goto("/account/two-factor")
    return person


def passkey_changed(action: str, form: dict) -> Callable:
    """The two-factor screen after a passkey was renamed or removed (its notice at the top)."""
    def go(world: World, tab) -> Person:
        person = with_methods("/account/two-factor", passkey=True)(world, tab)
        with world.app.app_context():
            from app.extensions import db
            from app.models import WebauthnCredential
            key = db.session.query(WebauthnCredential).filter_by(user_id=person.id).one().id
        world.post(tab, "/account/two-factor", f"/account/two-factor/passkeys/{key}/{action}", form)
        tab.goto("/account/two-factor")
        return person
    return go


def staff_on_methods(world: World, tab) -> Person:
    """A staff member looking at a patient with a text number, an authenticator app and a passkey."""
    patient = world.person()
    add_app(world.app, patient.id, SECRET)
    add_passkey(world, patient)
    staff = world.person(staff=True)
    world.sign_in(tab, staff)
    tab.goto(f"/admin/users/{patient.id}")
    return patient


@dataclass(frozen=True)
class Screen:
    name: str
    go: Callable
    # For a whole page answering a form: a CSS selector document.activeElement must match once it loads.
    focus: str | None = None


SCREENS = [
    Screen("sign-up", anonymous("/signup")),
    Screen("sign-in", anonymous("/signin")),
    Screen("signed out completely", anonymous("/signed-out")),
    Screen("help: two-factor", anonymous("/help/two-factor")),
    Screen("error: page not found", anonymous("/no-such-page")),
    Screen("error: method not allowed", anonymous("/signout")),
    Screen("error: unknown host", bad_host),
    Screen("code", code_screen),
    Screen("code: the text failed", code_screen_text_failed),
    Screen("recovery code", recovery_screen),
    Screen("settings: two-factor off", signed_in("/account", two_factor=False)),
    Screen("settings: two-factor on", signed_in("/account")),
    Screen("change password", signed_in("/account/password")),
    Screen("two-factor: off", signed_in("/account/two-factor", two_factor=False)),
    Screen("two-factor: enter the code", setup_code_screen),
    Screen("two-factor: recovery codes shown once", codes_shown_once),
    Screen("two-factor: on, trusted browser", signed_in("/account/two-factor", trust=True)),
    Screen("two-factor: change number", signed_in("/account/two-factor/change-number")),
    Screen("two-factor: change number, password asked",
           password_asked(signed_in("/account/two-factor/change-number"))),
    Screen("two-factor: disable", signed_in("/account/two-factor/disable")),
    Screen("two-factor: disable, password asked", password_asked(signed_in("/account/two-factor/disable"))),
    Screen("two-factor: on, password asked", password_asked(signed_in("/account/two-factor"))),
    Screen("two-factor: confirm it's you", confirm_its_you),
    Screen("methods: SMS only, SIM-swap note", signed_in("/account/two-factor")),
    Screen("methods: app and SMS, method choice", with_methods("/account/two-factor", app=True)),
    Screen("methods: passkey", with_methods("/account/two-factor", passkey=True)),
    Screen("methods: app, SMS and passkey", with_methods("/account/two-factor", app=True, passkey=True)),
    Screen("methods: app enrolment, QR and key", app_enrolment),
    Screen("methods: password to add a method", add_method_password),
    Screen("methods: confirm it's you with the app", reauth_with_app),
    Screen("methods: passkey renamed", passkey_changed("rename", {"name": "Work laptop"})),
    Screen("methods: passkey removed", passkey_changed("remove", {})),
    Screen("sign-in: passkey button", passkey_button),
    Screen("sign-in: app code", app_sign_in("/signin/app")),
    Screen("sign-in: try another way", app_sign_in("/signin/another-way")),
    Screen("sign-in: passkey step", passkey_sign_in_step),
    Screen("support: user with methods", staff_on_methods),
    Screen("support: users", staff_on(lambda staff, patient: "/admin/")),
    Screen("support: confirm with the app or a passkey first", staff_confirm_strong),
    Screen("support: no match", staff_on(lambda staff, patient: "/admin/?q=nobody-here")),
    Screen("support: user", staff_on(lambda staff, patient: f"/admin/users/{patient.id}")),
    Screen("support: own account", staff_on(lambda staff, patient: f"/admin/users/{staff.id}")),
    Screen("support: action", staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/lock")),
    Screen("support: action, password asked",
           password_asked(staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/reset-two-factor"))),
    Screen("support: audit log", staff_on(lambda staff, patient: "/admin/audit")),
    Screen("support: audit log, bad filter",
           staff_on(lambda staff, patient: "/admin/audit?from=2025-02-01&to=2025-01-01")),
    # Email flows. /dev/outbox isn't here: the dev blueprint exists only with APP_ENV=development, and the
    # tests run as "testing" (tests/sms/test_dev_outbox.py covers that page).
    Screen("forgot password", anonymous("/password/forgot")),
    Screen("forgot password: no address", then(anonymous("/password/forgot"), {}, "Send reset link"),
           "#f-email[aria-invalid=true]"),
    Screen("forgot password: check your email", anonymous("/password/forgot/sent")),
    Screen("reset password", reset_link),
    Screen("reset password: passwords differ",
           then(reset_link, {"New password": NEW_PASSWORD, "New password again": "Another-Thing-Entirely-7"},
                "Set new password"), "#f-confirm[aria-invalid=true]"),
    Screen("reset password: dead link", anonymous("/password/reset?token=no-such-link"), ".alert-error"),
    Screen("reset password: done",
           then(reset_link, {"New password": NEW_PASSWORD, "New password again": NEW_PASSWORD}, "Set new password")),
    Screen("confirm address", verify_link(signed_in_too=False)),
    Screen("confirm address, signed in", verify_link(signed_in_too=True)),
    Screen("confirm address: confirmed", then(verify_link(signed_in_too=True), {}, "Confirm my email address")),
    Screen("confirm address: dead link", anonymous("/email/verify?token=no-such-link"), ".alert-error"),
    Screen("settings: address not confirmed, link sent again", then(signed_in("/account"), {}, "Resend the link")),
    Screen("change email", signed_in("/account/email")),
    Screen("change email: link sent",
           then(signed_in("/account/email"), {"New email address": "moved@clinic-records.example.com",
                                              "Your password": PASSWORD}, "Send confirmation link")),
    Screen("change email: not an address",
           then(signed_in("/account/email"), {"New email address": "not-an-address", "Your password": PASSWORD},
                "Send confirmation link"), "#f-email[aria-invalid=true]"),
    Screen("change email: wrong password",
           then(signed_in("/account/email"), {"New email address": "fine@clinic-records.example.com",
                                              "Your password": "Not-The-Password-1"}, "Send confirmation link"),
           "#f-password[aria-invalid=true]"),
    Screen("confirm new address", email_change_link),
    Screen("confirm new address: changed", then(email_change_link, {}, "Use this email address")),
    Screen("support: send reset link",
           verified_patient(lambda staff, patient: f"/admin/users/{patient.id}/actions/send-reset-link")),
    Screen("support: reset link sent",
           then(verified_patient(lambda staff, patient: f"/admin/users/{patient.id}/actions/send-reset-link"),
                {"Reason": "Ticket 1234: forgot password"}, "Yes, send the link")),
    Screen("support: reset two-factor",
           staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/reset-two-factor")),
    Screen("support: reset two-factor, identity verified",
           then(staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/reset-two-factor"),
                {"Reason": "Ticket 1234", "Identity verified — how (optional)": "video call, passport checked"},
                "Yes, reset two-factor")),
    Screen("support: reset two-factor scheduled", staff_reset_scheduled),
    Screen("cancel staff reset", staff_reset_cancel_link),
    Screen("cancel staff reset: cancelled", then(staff_reset_cancel_link, {}, "Cancel the reset")),
    Screen("cancel staff reset: dead link", anonymous("/two-factor/reset/cancel?token=no-such-link"), ".alert-error"),
]


# ---------------------------------------------------------------- swaps

def fill_and_press(tab, fields: dict[str, str], button: str) -> None:
    for label, value in fields.items():
        tab.get_by_label(label, exact=True).fill(value)
    tab.get_by_role("button", name=button, exact=True).click()


def sign_up_refused(world, tab) -> str:
    fill_and_press(tab, {"Email address": "new@example.com", "Password": "short", "Confirm password": "short"},
                   "Create account")
    return "#f-password[aria-invalid=true]"


def sign_in_refused(world, tab) -> str:
    fill_and_press(tab, {"Email address": "nobody@example.com", "Password": "Not-The-Password-1"}, "Sign in")
    return ".alert-error"


def sign_in_expired(world, tab) -> str:
    tab.context.clear_cookies()  # the anonymous session (and its CSRF token) ran out while the page stood open
    return sign_in_refused(world, tab)


def wrong_code(world, tab) -> str:
    fill_and_press(tab, {"Verification code": "000000"}, "Verify")
    return "#f-code[aria-invalid=true]"


def resend_refused(world, tab) -> str:
    # The button waits out the cooldown; send its form anyway to get the refusal swapped in.
    tab.locator("form[action$='/resend']").evaluate("form => form.requestSubmit()")
    return ".alert-error"


def resend(world, tab) -> str:
    world.configure(CODE_RESEND_COOLDOWN_SECONDS=0)
    tab.reload()
    tab.get_by_role("button", name="Resend code").click()
    return "#f-code"


def link(name: str, focus: str) -> Callable:
    def swap(world, tab) -> str:
        tab.get_by_role("link", name=name, exact=True).click()
        return focus
    return swap


def button(name: str, focus: str) -> Callable:
    def swap(world, tab) -> str:
        tab.get_by_role("button", name=name, exact=True).click()
        return focus
    return swap


def forget_a_browser(world, tab) -> str:
    tab.locator("#devices").get_by_role("button", name="Forget", exact=False).first.click()
    return "#devices .alert-success"


def wrong_recovery_code(world, tab) -> str:
    fill_and_press(tab, {"Recovery code": "aaaa-bbbb-cccc"}, "Sign in")
    return "#f-code[aria-invalid=true]"


def send_code_to(number: str, focus: str) -> Callable:
    def swap(world, tab) -> str:
        fill_and_press(tab, {"Phone number": number}, "Send code")
        return focus
    return swap


def setup_right_code(world, tab) -> str:
    fill_and_press(tab, {"Verification code": world.fake_vonage.last_code()}, "Verify")
    return ".alert-success"


def reauth_wrong_code(world, tab) -> str:
    fill_and_press(tab, {"Verification code": "000000"}, "Confirm")
    return "#f-code[aria-invalid=true]"


def reauth_wrong_recovery_code(world, tab) -> str:
    fill_and_press(tab, {"Recovery code": "aaaa-bbbb-cccc"}, "Confirm with a recovery code")
    return "#f-recovery_code[aria-invalid=true]"


def disable_with_password(world, tab) -> str:
    fill_and_press(tab, {"Password": PASSWORD}, "Yes, disable")
    return "#f-code"


def wrong_current_password(world, tab) -> str:
    fill_and_press(tab, {"Current password": "Not-The-Password-1", "New password": "Violet-Harbour-Thimble-58",
                         "Confirm new password": "Violet-Harbour-Thimble-58"}, "Change password")
    return "#f-current[aria-invalid=true]"


def live_search(world, tab) -> str:
    tab.get_by_label("Email or last 4 digits of phone").press_sequentially("person")
    return "#f-q"  # typing goes on where it was


def action_without_reason(world, tab) -> str:
    tab.get_by_role("button", name="Yes, lock the account").click()
    return "#f-reason[aria-invalid=true]"


def refused_request(world, tab) -> str:
    # A refused token is answered with an error message swapped into #alerts, whatever the target was.
    tab.locator("#twofactor form:has(#f-phone) input[name=csrf_token]").evaluate("field => { field.value = 'stale'; }")
    return send_code_to("201-555-0124", "#alerts .alert-error")(world, tab)


def audit_dates_reversed(world, tab) -> str:
    fill_and_press(tab, {"From (UTC)": "2025-02-01", "To (UTC)": "2025-01-01"}, "Filter")
    return ".alert-error"


def app_wrong_code(button_name: str, label: str = "Code from the app", focus: str = "#f-code") -> Callable:
    def swap(world, tab) -> str:
        fill_and_press(tab, {label: "000000"}, button_name)
        return f"{focus}[aria-invalid=true]"
    return swap


def choose_app_first(world, tab) -> str:
    tab.get_by_label("Authenticator app", exact=True).check()
    tab.get_by_role("button", name="Save choice", exact=True).click()
    return ".alert-success"


@dataclass(frozen=True)
class Swap:
    name: str
    start: Callable
    act: Callable[[World, object], str]


SUPPORT_USER = staff_on(lambda staff, patient: f"/admin/users/{patient.id}")
SUPPORT_ACTION = staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/lock")

SWAPS = [
    Swap("sign-up refused", anonymous("/signup"), sign_up_refused),
    Swap("sign-in refused", anonymous("/signin"), sign_in_refused),
    Swap("sign-in after the page expired", anonymous("/signin"), sign_in_expired),
    Swap("code: wrong code", code_screen, wrong_code),
    Swap("code: resend refused", code_screen, resend_refused),
    Swap("code: resend", code_screen, resend),
    Swap("code: use a recovery code", code_screen, link("Use a recovery code instead", "#recovery #f-code")),
    Swap("recovery code: wrong code", recovery_screen, wrong_recovery_code),
    Swap("recovery code: use the texted code", recovery_screen, link("Use the texted code instead", "#verify #f-code")),
    Swap("two-factor off: bad number", signed_in("/account/two-factor", two_factor=False),
         send_code_to("12", "#f-phone[aria-invalid=true]")),
    Swap("two-factor off: send code", signed_in("/account/two-factor", two_factor=False),
         send_code_to("201-555-0123", "#f-code")),
    Swap("two-factor off: request refused", signed_in("/account/two-factor", two_factor=False), refused_request),
    Swap("two-factor code: wrong code", setup_code_screen, wrong_code),
    Swap("two-factor code: right code", setup_code_screen, setup_right_code),
    Swap("two-factor code: another number", setup_code_screen, button("Use a different number", "#f-country")),
    Swap("two-factor on: change number", signed_in("/account/two-factor"), link("Change phone number", "#f-country")),
    Swap("two-factor on: disable", signed_in("/account/two-factor"),
         link("Disable Two-Factor Authentication", "#disable-title")),
    Swap("two-factor on: disable, password asked", password_asked(signed_in("/account/two-factor")),
         link("Disable Two-Factor Authentication", "#f-password")),
    Swap("two-factor on: forget a browser", signed_in("/account/two-factor", trust=True), forget_a_browser),
    Swap("two-factor on: new recovery codes", signed_in("/account/two-factor"),
         button("Generate new codes", ".alert-success")),
    Swap("disable: cancel", signed_in("/account/two-factor/disable"), link("Cancel", ".status[data-focus]")),
    Swap("disable: yes", signed_in("/account/two-factor/disable"), button("Yes, disable", ".alert-success")),
    Swap("disable, password asked: yes", password_asked(signed_in("/account/two-factor/disable")),
         disable_with_password),
    Swap("confirm it's you: wrong code", confirm_its_you, reauth_wrong_code),
    Swap("confirm it's you: wrong recovery code", confirm_its_you, reauth_wrong_recovery_code),
    Swap("confirm it's you: cancel", confirm_its_you, button("Cancel", ".status[data-focus]")),
    Swap("methods: app enrolment, wrong code", app_enrolment, app_wrong_code("Verify and turn on")),
    Swap("methods: app enrolment, cancel", app_enrolment, button("Cancel", ".status[data-focus]")),
    Swap("methods: set up an app, password asked", password_asked(signed_in("/account/two-factor", two_factor=False)),
         button("Set up an authenticator app", "#f-password")),
    Swap("methods: set up an app", signed_in("/account/two-factor"), button("Set up an authenticator app", "#f-code")),
    Swap("methods: choose the app first", with_methods("/account/two-factor", app=True), choose_app_first),
    Swap("methods: confirm it's you, wrong app code", reauth_with_app,
         app_wrong_code("Confirm with the app", "Code from your authenticator app", "#f-app_code")),
    Swap("sign-in: app code, wrong code", app_sign_in("/signin/app"), app_wrong_code("Verify")),
    Swap("change password refused", signed_in("/account/password"), wrong_current_password),
    Swap("support: live search", staff_on(lambda staff, patient: "/admin/"), live_search),
    Swap("support: action", SUPPORT_USER, link("Lock account", "#f-reason")),
    Swap("support: action without a reason", SUPPORT_ACTION, action_without_reason),
    Swap("support: audit log, bad filter", staff_on(lambda staff, patient: "/admin/audit"), audit_dates_reversed),
    Swap("support: send reset link", verified_patient(lambda staff, patient: f"/admin/users/{patient.id}"),
         link("Send password reset link", "#f-reason")),
    Swap("support: reset two-factor", SUPPORT_USER, link("Reset two-factor", "#f-reason")),
    Swap("support: reset two-factor without a reason",
         staff_on(lambda staff, patient: f"/admin/users/{patient.id}/actions/reset-two-factor"),
         button("Yes, reset two-factor", "#f-reason[aria-invalid=true]")),
]
