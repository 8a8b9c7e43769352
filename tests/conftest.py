"""Fixtures: app, client, runner, app_factory, clock, fake_vonage, auth, twofactor, admin_helper,
signed_in_client, protected_client, and the browser ones."""

import logging
import os
import tempfile
from datetime import UTC, datetime

import pytest
import time_machine

from app.dev.fake_vonage import FakeVonage
from tests.admin.helpers import StaffActions
from tests.support import (PHONE, AuthActions, admin_execute, base_config, build_app, clear_test_redis, marked_settings,
                           worker_database_url)
from tests.twofactor_helpers import TwoFactorActions, client_with_agent


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


@pytest.fixture(scope="session", autouse=True)
def _worker_services():
    """Drop this worker's database and Redis keys when the run ends."""
    yield
    clear_test_redis()
    if worker_database_url.cache_info().currsize and worker_database_url():
        from sqlalchemy.engine import make_url

        name = make_url(worker_database_url()).database
        admin_execute(os.environ["TEST_DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    """Build more apps: the test's settings plus overrides (schema=False leaves the database alone)."""
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


@pytest.fixture
def auth(request, fake_vonage):
    """Make users and sign the `client` in: auth.make_user(), auth.sign_in(), auth.sign_in_fully() (client=other)."""
    return AuthActions(request, fake_vonage)


@pytest.fixture
def twofactor(auth):
    """Two-factor flows: .turn_on(), .send_setup_code(), .begin_sign_in(), .answer_code(), .trusted_browser()."""
    return TwoFactorActions(auth)


@pytest.fixture
def admin_helper(auth):
    """Staff actions: admin_helper.make_staff(), .make_patient(), .staff_client(), .build_world()."""
    return StaffActions(auth)


@pytest.fixture
def signed_in_client(app, auth):
    """A browser (Chrome on Linux) signed in to an account with two-factor off; .user_id is that account."""
    uid = auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    browser.user_id = uid
    return browser


@pytest.fixture
def protected_client(app, auth):
    """A browser signed in (with a texted code) to an account with two-factor on; .user_id is that account.

    The sign-in's text stays in fake_vonage's log: a module that counts texts resets it (see test_twofactor_setup).
    """
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    browser.user_id = uid
    return browser


# ---------------------------------------------------------------- migrations

@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of an empty database of each kind (PostgreSQL: a fresh one per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrate.db"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: needs PostgreSQL")
    from sqlalchemy.engine import make_url

    url = make_url(worker_database_url())
    name = f"{url.database}_migrate"
    base = os.environ["TEST_DATABASE_URL"]
    admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def keep_loggers():
    """Alembic's env.py calls logging.fileConfig, which disables existing loggers; undo that."""
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    state = {lg: lg.disabled for lg in loggers}
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    yield
    for lg, disabled in state.items():
        lg.disabled = disabled
    logging.root.setLevel(root_level)
    logging.root.handlers[:] = root_handlers


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


def serve(tmp_path, fake_vonage, settings: dict):
    """Serve a fresh app with CSRF on until the generator is closed, then drop what it made."""
    fake_vonage.reset()
    application = build_app(tmp_path, fake_vonage, **{"WTF_CSRF_ENABLED": True, **settings})
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


@pytest.fixture
def live_server(request, tmp_path, fake_vonage):
    """A real HTTP server with CSRF on, talking to the fake Vonage (and the test's @pytest.mark.settings)."""
    yield from serve(tmp_path, fake_vonage, marked_settings(request))


@pytest.fixture(scope="module")
def module_live_server(request, tmp_path_factory, fake_vonage):
    """One live server for a whole module (the module's @pytest.mark.settings), for tests that share it."""
    yield from serve(tmp_path_factory.mktemp("live"), fake_vonage, marked_settings(request))


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
