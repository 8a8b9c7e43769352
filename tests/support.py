"""Test helpers: constants, app building and the classes behind the `auth` fixture (fixtures live in conftest.py)."""

import functools
import os
import re
from pathlib import Path


class FixtureValue:
    """A settings value only known once a fixture runs: getattr(fixture, attr), e.g. a private server's URL."""

    def __init__(self, fixture: str, attr: str) -> None:
        self.fixture, self.attr = fixture, attr


PASSWORD = "Blue-Kettle-Orbit-42"
TOTP_KEY = "dGVzdC10b3RwLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA="  # a Fernet key (32 bytes, base64) for tests only
PHONE = "+12015550123"  # a valid US number, used as "the user's phone"
PHONE_NATIONAL = "201-555-0123"
OTHER_PHONE = "+12015550188"
# Production needs a numeric sender while +1 countries are allowed (US carriers drop alphanumeric ones).
US_SENDER = {"VONAGE_SMS_FROM_BY_COUNTRY": {"1": "+12015550100"}}


# ---------------------------------------------------------------- shared services
# With `-n 2` two xdist workers run at once: each gets its own PostgreSQL database
# (<TEST_DATABASE_URL's name>_<worker>) and its own Redis key prefix, both removed at the end.

def worker_name() -> str:
    """Name this xdist worker ("gw0", "gw1"...), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def redis_prefix() -> str:
    """Key prefix of this worker's sessions and rate-limit counters."""
    return f"test-{worker_name()}-{os.getpid()}"


def admin_execute(base_url: str, *statements: str) -> None:
    """Run statements with autocommit on the database TEST_DATABASE_URL names."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@functools.lru_cache(maxsize=None)
def worker_database_url() -> str | None:
    """Create (empty) this worker's PostgreSQL database once; return its URL."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{worker_name()}"
    admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def clear_test_redis() -> None:
    """Delete this worker's session and rate-limit keys (never anyone else's)."""
    if not os.environ.get("TEST_REDIS_URL"):
        return
    import redis

    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    try:
        keys = list(client.scan_iter(match=f"*{redis_prefix()}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def database_uri(tmp_path) -> str:
    """SQLite per test, or this worker's PostgreSQL database when TEST_DATABASE_URL is set."""
    return worker_database_url() or f"sqlite:///{tmp_path}/test.db"


def base_config(tmp_path, fake_vonage) -> dict:
    config = {
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 40,
        "TOTP_ENCRYPTION_KEYS": [TOTP_KEY],
        # The test client's own host, so production-mode apps in tests accept its requests.
        "PUBLIC_URL": "https://localhost",
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "SESSION_FILE_DIR": str(tmp_path / "sessions"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SMS_BACKEND": "vonage",
        "VONAGE_API_KEY": "test-key",
        "VONAGE_API_SECRET": "test-secret",
        "VONAGE_REST_HOST": fake_vonage.host,
        "VONAGE_TIMEOUT": 2,
        "MAIL_BACKEND": "memory",
    }
    if os.environ.get("TEST_REDIS_URL"):
        config.update(SESSION_TYPE="redis", SESSION_REDIS_URL=os.environ["TEST_REDIS_URL"],
                      RATELIMIT_STORAGE_URI=os.environ["TEST_REDIS_URL"],
                      SESSION_KEY_PREFIX=f"{redis_prefix()}:session:", RATELIMIT_KEY_PREFIX=redis_prefix())
    return config


def build_app(tmp_path, fake_vonage, **overrides):
    """Create an app with a fresh schema."""
    from app import create_app
    from app.extensions import db

    config = base_config(tmp_path, fake_vonage)
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def marked_settings(request) -> dict:
    """Merge the config of every @pytest.mark.settings on a test: module, then class, then function (closest wins)."""
    merged = {}
    for marker in reversed(list(request.node.iter_markers("settings"))):
        merged.update(marker.kwargs)
    return {key: getattr(request.getfixturevalue(value.fixture), value.attr) if isinstance(value, FixtureValue)
            else value for key, value in merged.items()}


# ---------------------------------------------------------------- people and requests

class AuthActions:
    """Make users and sign browsers in; each action works on `app`/`client` unless given another (app=, client=)."""

    def __init__(self, request, fake_vonage, app=None):
        # Resolved on first use, so a test on live_server or app_factory never builds the `app` fixture too.
        self._request, self.fake_vonage, self._app = request, fake_vonage, app

    @property
    def app(self):
        return self._app if self._app is not None else self._request.getfixturevalue("app")

    @property
    def client(self):
        return self._request.getfixturevalue("client")

    def make_user(self, email="patient@example.com", password=PASSWORD, phone=None, staff=False, *, app=None) -> int:
        """Create a user directly (optionally with two-factor on); return its id."""
        from app.extensions import db
        from app.security import accounts
        from app.security.audit import SYSTEM

        with (app or self.app).app_context():
            user = accounts.create_user(email, password, SYSTEM, is_staff=staff)
            if phone:
                user.phone_e164 = phone
                user.phone_last4 = phone[-4:]
                db.session.commit()
            return user.id

    def sign_in(self, email="patient@example.com", password=PASSWORD, *, client=None, **extra):
        """Post the password form; return the response."""
        return (client or self.client).post("/signin", data={"email": email, "password": password, **extra})

    def sign_in_fully(self, email="patient@example.com", password=PASSWORD, trust=False, phone=None, *, client=None):
        """Sign in, answering the SMS code if one is asked for."""
        client = client or self.client
        response = self.sign_in(email, password, client=client)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        if response.headers["Location"].endswith("/signin/verify"):
            data = {"code": self.fake_vonage.last_code(phone)}
            if trust:
                data["trust"] = "on"
            response = client.post("/signin/verify", data=data)
            assert response.status_code == 303, response.get_data(as_text=True)[:800]
        return response


def csrf_token(client, path="/signin") -> str:
    """Fetch a page and read its CSRF token (for modules with CSRF on)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no csrf token on {path}"
    return found.group(1)


def htmx(**headers):
    """Headers htmx sends."""
    return {"HX-Request": "true", **headers}


def session_cookie(client, app) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def stored_sessions(app) -> list[bytes]:
    """Every raw session record the app's store holds (files or Redis), for "never stored" checks."""
    if app.config["SESSION_TYPE"] == "redis":
        store = app.config["SESSION_REDIS"]
        return [store.get(key) or b"" for key in store.scan_iter(match=app.config["SESSION_KEY_PREFIX"] + "*")]
    folder = app.config["SESSION_FILE_DIR"]
    records = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), "rb") as fh:
            records.append(fh.read())
    return records


# ---------------------------------------------------------------- migrations

MIGRATIONS = Path(__file__).resolve().parent.parent / "app" / "migrations"


def migrate_app(tmp_path, fake_vonage, uri):
    """An app on uri without creating its schema (the migrations do that)."""
    from app import create_app

    return create_app({**base_config(tmp_path, fake_vonage), "SQLALCHEMY_DATABASE_URI": uri,
                       "SESSION_TYPE": "cachelib"})
