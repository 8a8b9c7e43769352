"""Counting someone's live sessions where the session store allows it (Redis)."""

import re

from flask import current_app

from app import adapters, signin_session
from app.models import User

BATCH = 500


def count_active(user: User, now: float | None = None) -> int | None:
    """Return how many live sessions the user has, or None when the store can't tell.

    Session files (cachelib) live on each host's disk, so no one host can count them: None.
    """
    if current_app.config["SESSION_TYPE"] != "redis":
        return None
    interface = current_app.session_interface
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", interface.key_prefix) + "*"
    now = signin_session.now() if now is None else now
    count, keys = 0, []
    for key in interface.client.scan_iter(match=pattern, count=BATCH):
        keys.append(key)
        if len(keys) >= BATCH:
            count += _count_batch(interface, keys, user.get_id(), now)
            keys = []
    if keys:
        count += _count_batch(interface, keys, user.get_id(), now)
    return count


def _count_batch(interface, keys: list, wanted: str, now: float) -> int:
    count = 0
    for raw in interface.client.mget(keys):
        data = _decode(interface, raw)
        if data and adapters.signed_in_id(data) == wanted and _alive(data, now):
            count += 1
    return count


def _decode(interface, raw: bytes | None) -> dict | None:
    if not raw:
        return None
    try:
        data = interface.serializer.decode(raw)
    except Exception:  # unreadable (another app version's format): not counted
        return None
    return data if isinstance(data, dict) else None


def _alive(data: dict, now: float) -> bool:
    # The same limits enforce_timeouts applies at the session's next request.
    cfg = current_app.config
    created = data.get(signin_session.CREATED_AT, now)
    seen = data.get(signin_session.SEEN_AT, now)
    return now - created <= int(cfg["SESSION_ABSOLUTE_TIMEOUT"]) and now - seen <= int(cfg["SESSION_IDLE_TIMEOUT"])
