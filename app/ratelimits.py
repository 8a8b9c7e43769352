"""Per-IP and site-wide request limits (Flask-Limiter), shared by every view that texts a code.

Product caps (per user, per number, per code, the 100-failure cap) live in app/security and
count database rows; these limits count requests in Flask-Limiter's storage and are switched
off together by RATELIMIT_ENABLED=false.
"""

import math
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from app.extensions import limiter

SMS_IP_SCOPE = "sms-ip"
SMS_GLOBAL_SCOPE = "sms-global"


def _sms_global() -> str:
    return current_app.config["RATELIMIT_SMS_GLOBAL"]


def _sms_per_ip() -> str:
    return current_app.config["RATELIMIT_SMS_PER_IP"]


def _everyone() -> str:
    return "all"


# Decorators for views whose every POST asks for a code to be texted.
sms_global = limiter.shared_limit(_sms_global, scope=SMS_GLOBAL_SCOPE, key_func=_everyone)
sms_per_ip = limiter.shared_limit(_sms_per_ip, scope=SMS_IP_SCOPE)


def sms_sending(view):
    """Limit a view that texts: the site-wide SMS ceiling, then the per-IP one (toll-fraud protection)."""
    return sms_global(sms_per_ip(view))


def _keyed(*keys: str) -> list[str]:
    # The same storage keys Flask-Limiter's decorators use, so both share one counter.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, *keys] if prefix else list(keys)


def _take(item, keys: list[str]) -> int | None:
    # One atomic hit-and-test in the limiter storage: test() then hit() would let parallel
    # requests all pass the test before any of them counted.
    if limiter.limiter.hit(item, *keys):
        return None
    reset_at = limiter.limiter.get_window_stats(item, *keys).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def take_sms_allowance() -> int | None:
    """Count one code about to be texted against the same ceilings; return seconds to wait if over.

    For views that text a code only sometimes (the password step of sign-in), so a sign-in
    that needs no code spends nothing. Shares the decorators' counters.
    """
    if not limiter.enabled:
        return None
    wait = _take(parse(_sms_per_ip()), _keyed(get_remote_address(), SMS_IP_SCOPE))
    return wait or _take(parse(_sms_global()), _keyed(_everyone(), SMS_GLOBAL_SCOPE))


def spend_sms_global(*, force: bool = False) -> bool:
    """Count one text (a notice) against the site-wide ceiling; False when over it, unless force."""
    if not limiter.enabled:
        return True
    return _take(parse(_sms_global()), _keyed(_everyone(), SMS_GLOBAL_SCOPE)) is None or force


def breached_retry_after() -> int:
    """Seconds until the Flask-Limiter limit this request broke lets requests through again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.window.reset_time - time.time()))
