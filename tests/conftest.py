"""Fixtures: app, client, runner, fake_vonage, and helpers to sign people in."""

import functools
import os
import re
import tempfile
from datetime import UTC, datetime

import pytest
import time_machine

from tests.fake_vonage import FakeVonage
from tests.support import FixtureValue

PASSWORD = "Blue-Kettle-Orbit-42"
PHONE = "+12015550123"  # a valid US number, used as "the user's phone"
PHONE_NATIONAL = "201-555-0123"
OTHER_PHONE = "+12015550188"
# Production needs a numeric sender while +1 countries are allowed (US carriers drop alphanumeric ones).
US_SENDER = {"VONAGE_SMS_FROM_BY_COUNTRY": {"1": "+12015550100"}}


@pytest.fixture(scope="session")
def fake_vonage():
    """A fake Vonage HTTPS server that the real SDK trusts via REQUESTS_CA_BUNDLE."""
    fake = FakeVonage().start()
    bundle = tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False)
    fake.ca.cert_pem.write_to_path(bundle.name)
    old = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = bundle.name
    yield fake
    fake.stop()
    if old is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = old
    os.unlink(bundle.name)


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


@pytest.fixture(scope="session", autouse=True)
def _worker_services():
    """Drop this worker's database and Redis keys when the run ends."""
    yield
    clear_test_redis()
    if worker_database_url.cache_info().currsize and worker_database_url():
        from sqlalchemy.engine import make_url

        name = make_url(worker_database_url()).database
        admin_execute(os.environ["TEST_DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_uri(tmp_path) -> str:
    """SQLite per test, or this worker's PostgreSQL database when TEST_DATABASE_URL is set."""
    return worker_database_url() or f"sqlite:///{tmp_path}/test.db"


def base_config(tmp_path, fake_vonage) -> dict:
    config = {
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 40,
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


@pytest.fixture
def app(request, tmp_path, fake_vonage):
    """An app with a fresh schema, configured by the test's @pytest.mark.settings."""
    fake_vonage.reset()
    application = build_app(tmp_path, fake_vonage, **marked_settings(request))
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        if application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.drop_all()
        db.engine.dispose()
    clear_test_redis()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_factory(request, tmp_path, fake_vonage):
    """Build more apps with config overrides on top of the test's settings (schema=False leaves the database alone)."""
    from app import create_app
    from app.extensions import db

    fake_vonage.reset()
    made = []
    marked = marked_settings(request)

    def make(schema: bool = True, **overrides):
        overrides = {**marked, **overrides}
        if schema:
            application = build_app(tmp_path, fake_vonage, **overrides)
        else:
            application = create_app({**base_config(tmp_path, fake_vonage), **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
    clear_test_redis()


@pytest.fixture
def clock_start():
    """Where `clock` starts: now, at a whole second (a conftest may pin a fixed date instead)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def clock(clock_start):
    """Freeze the clock at clock_start; tests move it with clock.shift(seconds)."""
    with time_machine.travel(clock_start, tick=False) as traveller:
        yield traveller


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_user(app, email="patient@example.com", password=PASSWORD, phone=None, staff=False):
    """Create a user directly (optionally with two-factor on); return its id."""
    from app.extensions import db
    from app.security import accounts
    from app.security.audit import SYSTEM

    with app.app_context():
        user = accounts.create_user(email, password, SYSTEM, is_staff=staff)
        if phone:
            user.phone_e164 = phone
            user.phone_last4 = phone[-4:]
            db.session.commit()
        return user.id


def csrf_token(client, path="/signin") -> str:
    """Fetch a page and read its CSRF token (for modules with CSRF on)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no csrf token on {path}"
    return found.group(1)


def sign_in(client, email="patient@example.com", password=PASSWORD, **extra):
    """Post the password form; return the response."""
    return client.post("/signin", data={"email": email, "password": password, **extra})


def sign_in_fully(client, fake_vonage, email="patient@example.com", password=PASSWORD, trust=False, phone=None):
    """Sign in, answering the SMS code if one is asked for."""
    response = sign_in(client, email, password)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/signin/verify"):
        code = fake_vonage.last_code(phone)
        data = {"code": code}
        if trust:
            data["trust"] = "on"
        response = client.post("/signin/verify", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return response


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


# ---------------------------------------------------------------- browser tests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


class LiveServer:
    """The app served by werkzeug on 127.0.0.1 in a thread."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def live_server(request, tmp_path, fake_vonage):
    """A real HTTP server with CSRF on, talking to the fake Vonage (and the test's @pytest.mark.settings)."""
    fake_vonage.reset()
    application = build_app(tmp_path, fake_vonage, **{"WTF_CSRF_ENABLED": True, **marked_settings(request)})
    server = LiveServer(application)
    yield server
    server.stop()
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        if application.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.drop_all()
        db.engine.dispose()
    clear_test_redis()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; never a browser download."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (its own cookies) on the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.console_errors = errors
    yield tab
    context.close()
