"""Reading form fields: bounded, unicode-normalised, never trusted."""

import unicodedata
from urllib.parse import urlsplit

from flask import request


# C0/C1 control characters other than tab, newline and carriage return: never typed by a
# person, and NUL can't even be stored by PostgreSQL.
_CONTROLS = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}


def field(name: str, max_length: int = 256, *, strip: bool = True) -> str:
    """Return a form field, NFC-normalised, without control characters, cut to max_length (missing -> "")."""
    value = request.form.get(name, "", type=str)
    value = unicodedata.normalize("NFC", value).translate(_CONTROLS)
    if strip:
        value = value.strip()
    return value[:max_length]


def keep_typed(typed: dict[str, str], errors: dict, emptied_by: dict[str, list[str]]) -> dict[str, str]:
    """Echo what was typed after an error, except the fields an error empties (e.g. a new password
    that failed a rule, or a wrong current password), so a correction isn't a retype of everything."""
    empty = {name for key in errors for name in emptied_by.get(key, [])}
    return {name: ("" if name in empty else value) for name, value in typed.items()}


def checkbox(name: str) -> bool:
    """Return whether a checkbox was ticked."""
    return request.form.get(name) in ("on", "1", "true", "yes")


def safe_next(target: str | None) -> str | None:
    """Accept only a local path (no scheme, host, or protocol-relative tricks)."""
    if not target or len(target) > 512:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
