"""Plain words for security events and their details: the one mapping staff screens use."""

from app.security import audit

EVENTS = {
    audit.SIGNUP: "Account created",
    audit.SIGNIN_SUCCESS: "Signed in",
    audit.SIGNIN_FAILED: "Sign-in failed",
    audit.SIGNIN_THROTTLED: "Sign-ins slowed after many failures",
    audit.SIGNOUT: "Signed out",
    audit.SIGNOUT_COMPLETELY: "Signed out completely",
    audit.PASSWORD_CHANGED: "Password changed",
    audit.TWO_FACTOR_ENABLED: "Two-factor turned on",
    audit.TWO_FACTOR_DISABLED: "Two-factor turned off",
    audit.NUMBER_CHANGED: "Phone number changed",
    audit.CODE_SENT: "Code texted",
    audit.CODE_SEND_FAILED: "Code could not be texted",
    audit.CODE_SEND_UNCONFIRMED: "Code texted, but the provider never confirmed it",
    audit.CODE_FAILED: "Wrong code entered",
    audit.CODE_LOCKED: "Code stopped after too many wrong tries",
    audit.CODE_VERIFIED: "Code accepted",
    audit.DEVICE_TRUSTED: "Browser trusted",
    audit.DEVICE_FORGOTTEN: "Trusted browser forgotten",
    audit.RECOVERY_CODES_GENERATED: "Recovery codes made",
    audit.RECOVERY_CODE_USED: "Recovery code used",
    audit.RECOVERY_CODE_FAILED: "Wrong recovery code entered",
    audit.ADMIN_RESET_2FA: "Support reset two-factor",
    audit.ADMIN_FORGET_DEVICES: "Support forgot all trusted browsers",
    audit.ADMIN_SIGNOUT_EVERYWHERE: "Support signed the person out everywhere",
    audit.ADMIN_LOCK: "Support locked the account",
    audit.ADMIN_UNLOCK: "Support unlocked the account",
    audit.STAFF_GRANTED: "Made support staff",
    audit.STAFF_REVOKED: "No longer support staff",
    audit.SESSIONS_ENDED: "Signed out of all other sessions",
    audit.WRONG_CODE_NOTICE: "Texted a warning about wrong codes",
    audit.REAUTHENTICATED: "Confirmed it's them",
    audit.EMAIL_VERIFY_SENT: "Email confirmation link sent",
    audit.EMAIL_VERIFIED: "Email address confirmed",
    audit.EMAIL_CHANGE_REQUESTED: "Asked to change the email address",
    audit.EMAIL_CHANGED: "Email address changed",
    audit.PASSWORD_RESET_REQUESTED: "Asked for a password reset link",
    audit.PASSWORD_RESET: "Password reset by email link",
    audit.ADMIN_SEND_RESET_LINK: "Support sent a password reset link",
    audit.ADMIN_RESET_2FA_SCHEDULED: "Support scheduled a two-factor reset",
    audit.ADMIN_RESET_2FA_CANCELLED: "Two-factor reset cancelled",
    audit.METHOD_ADDED: "Two-factor method added",
    audit.METHOD_REMOVED: "Two-factor method removed",
    audit.PREFERRED_METHOD_CHOSEN: "Two-factor method asked first changed",
    audit.PASSKEY_FAILED: "Passkey refused",
    audit.PASSKEY_RENAMED: "Passkey renamed",
}

DETAILS = {
    "already_used": "Already used",
    "attempt": "Wrong try number",
    "code_failures_cleared": "Wrong codes cleared",
    "code_id": "Code number",
    "count": "How many",
    "device_id": "Browser number",
    "left": "Codes left",
    "method": "With",
    "name": "Browser",
    "new_last4": "New number ends in",
    "new_name": "New name",
    "old_last4": "Old number ends in",
    "old_name": "Old name",
    "passkey_id": "Passkey number",
    "provider": "Provider said",
    "purpose": "For",
    "reason": "Why",
    "reused": "Code already used",
    "was_locked": "Was locked",
    "why": "Why",
    "browsers_forgotten": "Trusted browsers forgotten",
    "sent": "Link sent",
    "identity_verified": "Identity verified by",
    "due_at": "Takes effect at (UTC)",
}

VALUES = {
    "purpose": {"setup": "turning two-factor on", "signin": "signing in", "number_change": "changing the number"},
    "method": {"password": "password (no code needed)", "sms": "texted code", "recovery": "recovery code",
               "totp": "authenticator app", "webauthn": "passkey or security key", "passkey": "passkey alone"},
    "reason": {"password": "wrong password", "locked": "account locked"},
}
YES_NO = {"True": "yes", "False": "no"}


def _humanise(name: str) -> str:
    # A name this table doesn't know yet still reads as words, never as an identifier.
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def event_label(kind: str) -> str:
    """Name an event type the way staff read it."""
    return EVENTS.get(kind) or _humanise(kind)


def detail_pairs(details: dict) -> list[tuple[str, str]]:
    """Turn event details into (label, value) pairs in plain words."""
    return [(DETAILS.get(key) or _humanise(key), detail_value(key, value)) for key, value in details.items()]


def detail_value(key: str, value) -> str:
    """Say one detail value in words (yes/no, what a purpose means)."""
    text = str(value)
    return VALUES.get(key, {}).get(text) or YES_NO.get(text) or text


def type_choices() -> list[tuple[str, str]]:
    """List (type, label) pairs for the audit log's type filter, by label."""
    return sorted(((kind, event_label(kind)) for kind in audit.ALL_TYPES), key=lambda pair: pair[1])
