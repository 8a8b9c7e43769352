"""Phone numbers: parse, validate for SMS, format E.164, mask for display."""

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from app.security import SecurityError

_SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_MAX_INPUT = 32


class PhoneError(SecurityError):
    """The number can't be used for SMS codes."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="phone")


def parse_mobile(region: str, raw: str, allowed_regions: frozenset[str]) -> str:
    """Return the E.164 form of a mobile number in an allowed country, or raise PhoneError."""
    raw = (raw or "").strip()
    region = (region or "").strip().upper()
    if not raw:
        raise PhoneError("Enter your mobile phone number.")
    if len(raw) > _MAX_INPUT or not all(c.isdigit() or c in " +-().\u00a0" for c in raw):
        raise PhoneError("Enter a phone number using digits only.")
    if region not in allowed_regions:
        raise PhoneError("Text messages can't be sent to that country.")
    try:
        number = _parse(raw, region)
    except NumberParseException:
        raise PhoneError("That doesn't look like a phone number. Check it and try again.")
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("That isn't a valid phone number for the country you chose.")
    number_region = phonenumbers.region_code_for_number(number)
    if number_region not in allowed_regions:
        raise PhoneError("Text messages can't be sent to that country.")
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.PREMIUM_RATE:
        raise PhoneError("Premium-rate numbers can't receive codes. Use your mobile number.")
    if number_type not in _SMS_TYPES:
        raise PhoneError("That number can't receive text messages. Use a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    number = phonenumbers.parse(raw, region)
    if phonenumbers.is_valid_number(number) or raw.startswith("+"):
        return number
    # Typed with its country code but without the "+" (e.g. 44 7400 123456 with another
    # country chosen): take it as typed when that is a valid number.
    try:
        typed = phonenumbers.parse("+" + "".join(c for c in raw if c.isdigit()), None)
    except NumberParseException:
        return number
    return typed if phonenumbers.is_valid_number(typed) else number


def region_of(e164: str | None) -> str | None:
    """Return the country (region code) of a stored number, or None."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except NumberParseException:
        return None


def allowed_regions(config_value: str) -> frozenset[str]:
    """Turn the SMS_ALLOWED_COUNTRIES setting into a set of region codes."""
    return _allowed(str(config_value))


@lru_cache(maxsize=8)
def _allowed(value: str) -> frozenset[str]:
    return frozenset(r.strip().upper() for r in value.split(",") if r.strip())


def mask(e164: str | None) -> str:
    """Show only the calling code and the last four digits, e.g. "+1 ••• ••• 1234"."""
    if not e164:
        return ""
    try:
        code = phonenumbers.parse(e164).country_code
    except NumberParseException:
        return "•••• " + e164[-4:]
    return f"+{code} ••• ••• {e164[-4:]}"


def calling_code_choices(regions: frozenset[str]) -> list[tuple[str, str]]:
    """List (region, "Country name (+code)") pairs for the country select."""
    return sorted(
        ((r, f"{_COUNTRY_NAMES.get(r, r)} (+{phonenumbers.country_code_for_region(r)})") for r in regions),
        key=lambda pair: pair[1],
    )


_COUNTRY_NAMES = {
    "US": "United States", "CA": "Canada", "GB": "United Kingdom", "IE": "Ireland",
    "AU": "Australia", "NZ": "New Zealand", "DE": "Germany", "FR": "France",
    "NL": "Netherlands", "SE": "Sweden", "ES": "Spain", "IT": "Italy", "MX": "Mexico",
    "IN": "India", "BR": "Brazil", "JP": "Japan", "CH": "Switzerland", "AT": "Austria",
    "BE": "Belgium", "DK": "Denmark", "NO": "Norway", "FI": "Finland", "PT": "Portugal",
    "PL": "Poland", "ZA": "South Africa", "SG": "Singapore",
}
