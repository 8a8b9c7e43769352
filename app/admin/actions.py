"""The staff actions as the screens show them: labels, warnings, and which apply when."""

from collections.abc import Callable
from dataclasses import dataclass

from app.models import User
from app.security import admin


@dataclass(frozen=True)
class Action:
    """One thing staff can do to an account, with the words the screens use."""

    slug: str
    label: str
    confirm: str
    warning: str
    done: str
    run: Callable[..., object]
    applies: Callable[[User], bool]
    # An optional second field: (form name, label, hint); its value is passed to run by that name.
    extra: tuple[str, str, str] | None = None


ACTIONS = {
    action.slug: action
    for action in (
        Action(
            "reset-two-factor", "Reset two-factor", "Yes, reset two-factor",
            "Two-factor authentication will be turned off, every trusted browser and recovery code "
            "forgotten and every session ended. Unless you record how you verified the person's identity, "
            "it happens after a waiting period: the owner is told by text and email and can cancel it.",
            "Two-factor authentication was reset. The person can sign in with their password and set it up again.",
            admin.reset_two_factor, lambda user: user.two_factor_enabled,
            extra=("identity_verified", "Identity verified — how (optional)",
                   "E.g. \"video call, passport checked\". Filled in, the reset happens at once; "
                   "left empty, it waits and the owner can cancel it."),
        ),
        Action(
            "send-reset-link", "Send password reset link", "Yes, send the link",
            "A link to choose a new password goes to the person's confirmed email address (never to "
            "another one). It works once, for an hour; signing in afterwards still needs their second "
            "factor. You never see or set the password.",
            "A password reset link was sent to the person's confirmed address.",
            admin.send_reset_link, lambda user: user.email_verified,
        ),
        Action(
            "forget-browsers", "Forget all trusted browsers", "Yes, forget all browsers",
            "Every browser this person trusted will be asked for a code at its next sign-in.",
            "All trusted browsers were forgotten.",
            admin.forget_browsers, lambda user: user.two_factor_enabled,
        ),
        Action(
            "sign-out", "Sign out everywhere", "Yes, sign out everywhere",
            "Every session of this person ends at its next request, on every device.",
            "The person was signed out everywhere.",
            admin.sign_out_everywhere, lambda user: True,
        ),
        Action(
            "lock", "Lock account", "Yes, lock the account",
            "The person is signed out everywhere and can't sign in until the account is unlocked. "
            "They are told only that they can't sign in right now and should contact support.",
            "The account is locked.",
            admin.lock, lambda user: not user.is_locked,
        ),
        Action(
            "unlock", "Unlock account", "Yes, unlock the account",
            "The person can sign in again, and their count of wrong codes starts from zero.",
            "The account is unlocked.",
            admin.unlock, lambda user: user.is_locked or admin.code_checks_stopped(user),
        ),
    )
}


def available(user: User) -> list[Action]:
    """List the actions that make sense for the account as it is now."""
    return [action for action in ACTIONS.values() if action.applies(user)]
