"""Configuration loading and extension wiring for create_app."""

import ipaddress
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers
from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event

from app.extensions import csrf, db, limiter, login_manager, migrate, sess
from app.log_safety import drop_debug_records
from app.session_store import guard_session_store
from app.sms import sender_ids


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def load_config(app: Flask, test_config: dict | None) -> None:
    """Layer defaults, instance file, FLASK_* environment and test_config."""
    app.config.from_object("app.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    _ensure_secret_key(app)
    _ensure_totp_keys(app)
    _derive_settings(app)
    _public_origin(app)
    if app.config["APP_ENV"] == "production":
        _check_production(app)


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["APP_ENV"] == "production":
        raise ConfigError("SECRET_KEY must be set in production (FLASK_SECRET_KEY).")
    # Development: generate once, keep it in instance/config.py so sessions survive restarts.
    key = secrets.token_hex(32)
    path = Path(app.instance_path) / "config.py"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"\n# Generated on first run; keep it secret.\nSECRET_KEY = {key!r}\n")
    os.chmod(path, 0o600)
    app.config["SECRET_KEY"] = key


def _ensure_totp_keys(app: Flask) -> None:
    from app.security.secretbox import keys_from, new_key

    keys = keys_from(app.config.get("TOTP_ENCRYPTION_KEYS"))
    if keys:
        app.config["TOTP_ENCRYPTION_KEYS"] = keys
        return
    env = app.config["APP_ENV"]
    if env == "production":
        return  # refused by _check_production
    key = new_key()
    if env != "testing":
        # Development: generate once, like SECRET_KEY, so enrolled apps survive restarts.
        path = Path(app.instance_path) / "config.py"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n# Generated on first run; keep it secret.\nTOTP_ENCRYPTION_KEYS = [{key!r}]\n")
        os.chmod(path, 0o600)
    app.config["TOTP_ENCRYPTION_KEYS"] = [key]


def _derive_settings(app: Flask) -> None:
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "app.db"
        )
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        cfg["SQLALCHEMY_ENGINE_OPTIONS"].setdefault(
            "connect_args", {"timeout": cfg["SQLITE_BUSY_TIMEOUT_MS"] / 1000}
        )
    else:
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=cfg["SESSION_IDLE_TIMEOUT"])
    cfg["SESSION_PERMANENT"] = True
    session_type = str(cfg["SESSION_TYPE"]).lower()
    if session_type == "redis":
        import redis

        if not cfg.get("SESSION_REDIS"):
            if not cfg.get("SESSION_REDIS_URL"):
                raise ConfigError("SESSION_TYPE=redis needs SESSION_REDIS_URL.")
            cfg["SESSION_REDIS"] = redis.Redis.from_url(
                cfg["SESSION_REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
            )
    elif session_type == "cachelib":
        from cachelib.file import FileSystemCache

        directory = cfg.get("SESSION_FILE_DIR") or os.path.join(
            app.instance_path, "sessions"
        )
        cfg["SESSION_FILE_DIR"] = directory
        if not cfg.get("SESSION_CACHELIB"):
            # threshold=0: never evict live sessions to make room.
            cfg["SESSION_CACHELIB"] = FileSystemCache(directory, threshold=0, mode=0o600)
    else:
        raise ConfigError(f"Unsupported SESSION_TYPE {cfg['SESSION_TYPE']!r}.")
    cfg["SESSION_TYPE"] = session_type
    try:
        cfg["VONAGE_SMS_FROM_BY_COUNTRY"] = sender_ids.parse_by_country(cfg.get("VONAGE_SMS_FROM_BY_COUNTRY"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    # SQL parameters and result rows hold phone numbers: keep them out of logs and error text.
    cfg["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)
    drop_debug_records("sqlalchemy.engine.Engine")
    if str(cfg.get("RATELIMIT_STORAGE_URI") or "").startswith(("redis://", "rediss://")):
        # Fail fast (answered with 503) instead of hanging when Redis stops answering.
        options = dict(cfg.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_timeout", 2)
        options.setdefault("socket_connect_timeout", 2)
        cfg["RATELIMIT_STORAGE_OPTIONS"] = options
    if cfg["LOG_JSON"] is None:
        cfg["LOG_JSON"] = cfg["APP_ENV"] == "production"
    if cfg["APP_ENV"] == "production":
        cfg["SESSION_COOKIE_SECURE"] = True
        # __Host- cookies: Secure, no Domain, Path=/ -- cannot be set by a subdomain.
        if not cfg["SESSION_COOKIE_NAME"].startswith("__Host-"):
            cfg["SESSION_COOKIE_NAME"] = "__Host-" + cfg["SESSION_COOKIE_NAME"]
        if not cfg["TRUST_COOKIE_NAME"].startswith("__Host-"):
            cfg["TRUST_COOKIE_NAME"] = "__Host-" + cfg["TRUST_COOKIE_NAME"]


_HOSTNAME = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def _public_origin(app: Flask) -> None:
    # One canonical origin for texts, mail links and WebAuthn; never the request's Host.
    cfg = app.config
    production = cfg["APP_ENV"] == "production"
    if not cfg.get("PUBLIC_URL"):
        if production:
            raise ConfigError("PUBLIC_URL must be set in production (FLASK_PUBLIC_URL=https://your.host).")
        # localhost, not 127.0.0.1: a WebAuthn relying-party id cannot be an IP address.
        cfg["PUBLIC_URL"] = f"http://localhost:{os.environ.get('FLASK_RUN_PORT') or 5000}"
    parts = urlsplit(str(cfg["PUBLIC_URL"]).strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = parts.hostname or ""
    if (parts.scheme not in ("http", "https") or not _HOSTNAME.fullmatch(host) or parts.username
            or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment or port == -1):
        raise ConfigError("PUBLIC_URL must be an origin like https://records.example.org (no path).")
    if production and (parts.scheme != "https" or _is_ip(host)):
        raise ConfigError("PUBLIC_URL must be https:// and name a host, not an IP address, in production.")
    cfg["PUBLIC_URL"] = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    if production and cfg.get("TRUSTED_HOSTS") is None:
        cfg["TRUSTED_HOSTS"] = [host]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_production(app: Flask) -> None:
    cfg = app.config
    if len(str(cfg["SECRET_KEY"])) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production.")
    if cfg["SMS_BACKEND"] not in ("vonage",):
        raise ConfigError("Production needs SMS_BACKEND=vonage; console/memory are for development.")
    if not (cfg["VONAGE_API_KEY"] and cfg["VONAGE_API_SECRET"]):
        raise ConfigError("SMS_BACKEND=vonage needs VONAGE_API_KEY and VONAGE_API_SECRET.")
    _check_plus_one_sender(cfg)
    # Console mail would print reset links on the server; memory mail would never leave it.
    if cfg["MAIL_BACKEND"] != "smtp" and not (cfg["MAIL_BACKEND"] == "memory" and cfg.get("TESTING")):
        raise ConfigError("Production needs MAIL_BACKEND=smtp (with MAIL_SERVER and MAIL_FROM); "
                          "console mail is for development.")
    if not cfg.get("TOTP_ENCRYPTION_KEYS"):
        raise ConfigError("TOTP_ENCRYPTION_KEYS must be set in production (FLASK_TOTP_ENCRYPTION_KEYS).")


def _check_plus_one_sender(cfg) -> None:
    # US and Canadian carriers drop texts from alphanumeric senders: codes would never arrive.
    from app.security.phones import allowed_regions

    plus_one = sorted(r for r in allowed_regions(cfg["SMS_ALLOWED_COUNTRIES"])
                      if phonenumbers.country_code_for_region(r) == 1)
    sender = cfg["VONAGE_SMS_FROM_BY_COUNTRY"].get("1", cfg["VONAGE_SMS_FROM"])
    if plus_one and not sender_ids.is_numeric(sender):
        raise ConfigError(
            f"SMS_ALLOWED_COUNTRIES has {', '.join(plus_one)}, where texts need a numeric sender: set "
            'VONAGE_SMS_FROM_BY_COUNTRY to e.g. {"1": "+12015550100"} (your Vonage number), or remove them.'
        )


def register_extensions(app: Flask) -> None:
    """Bind each extension to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    sess.init_app(app)
    guard_session_store(app)
    limiter.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin_immediate)
    from app import auth_loader  # noqa: F401  (registers the user loader)
    from app.mail import init_mail
    from app.security.passwords import init_hashing
    from app.sms import init_sms

    init_sms(app)
    init_mail(app)
    init_hashing(app)


def protect_csrf() -> None:
    """Refuse a state-changing request without a valid CSRF token (htmx included)."""
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside one writer; the busy timeout waits instead of failing.
    # SQLAlchemy emits BEGIN itself (below), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(conn) -> None:
    # A deferred transaction that reads, then writes, fails at once with "database is
    # locked" when another writer got in between; taking the write lock up front makes
    # it wait for the busy timeout instead. GET/HEAD requests never write (every state
    # change is a POST), so they read under a deferred BEGIN: with WAL any number of them
    # run beside the one writer instead of queueing for its lock for the whole request.
    if has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
