"""GET /healthz (database and session store, for load balancers) and GET /livez."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the database and the session store answer."""
    checks = {"database": _check(lambda: db.session.execute(text("SELECT 1"))),
              "sessions": _check(_ping_session_store)}
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)


@bp.get("/livez")
def livez():
    """Report that this process answers, checking nothing behind it."""
    # Liveness, not readiness: a supervisor restarts a process that fails this, and a
    # database outage is no reason to restart. Also the benchmarks' baseline route.
    return jsonify(status="ok")


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means unhealthy; the name says which
        return f"error: {type(exc).__name__}"


def _ping_session_store() -> None:
    cfg = current_app.config
    if cfg["SESSION_TYPE"] == "redis":
        cfg["SESSION_REDIS"].ping()
    else:
        cache = cfg["SESSION_CACHELIB"]
        cache.set("healthz", 1, timeout=5)
        if cache.get("healthz") != 1:
            raise RuntimeError("session store did not keep a value")
