"""Sender ids: the "from" of a text, chosen by the destination's country calling code."""

import re
from collections.abc import Mapping

import phonenumbers
from phonenumbers import NumberParseException

# Vonage takes a number in international form without "+", or up to 11 letters, digits and spaces.
_NUMERIC = re.compile(r"\+?\d{6,15}")
_ALPHANUMERIC = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def is_numeric(sender: str | None) -> bool:
    """Tell whether a sender id is a phone number (what +1 carriers require)."""
    return bool(sender) and bool(_NUMERIC.fullmatch(sender.replace(" ", "")))


def clean(sender: str, where: str) -> str:
    """Return a sender id as Vonage wants it, or raise ValueError saying what is wrong."""
    sender = str(sender or "").strip()
    if is_numeric(sender):
        return sender.replace(" ", "").lstrip("+")
    if _ALPHANUMERIC.fullmatch(sender):
        return sender
    raise ValueError(f"{where}: a sender id is a number such as +12015550100 or up to 11 letters and digits.")


def parse_by_country(value) -> dict[str, str]:
    """Read VONAGE_SMS_FROM_BY_COUNTRY ({"<calling code>": "<sender>"}), raising ValueError if unusable."""
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError('VONAGE_SMS_FROM_BY_COUNTRY must map calling codes to senders, e.g. {"1": "+12015550100"}.')
    senders = {}
    for code, sender in value.items():
        code = str(code).strip().lstrip("+")
        if not code.isdigit() or phonenumbers.region_code_for_country_code(int(code)) == "ZZ":
            raise ValueError(f"VONAGE_SMS_FROM_BY_COUNTRY: {code!r} is not a country calling code.")
        senders[code] = clean(sender, f"VONAGE_SMS_FROM_BY_COUNTRY[{code!r}]")
    return senders


def calling_code(to_e164: str) -> str | None:
    """Return the calling code of an E.164 number ("1" for +1...), or None."""
    try:
        return str(phonenumbers.parse(to_e164).country_code)
    except NumberParseException:
        return None


def choose(to_e164: str, default: str, by_country: Mapping[str, str]) -> str:
    """Pick the sender for a destination: its country's, else the default."""
    return by_country.get(calling_code(to_e164) or "", default)
