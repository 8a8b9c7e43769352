"""Migrations: from empty to head on SQLite, matching the models; WAL and busy timeout; back to base."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tests.support import base_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_app(tmp_path, fake_vonage):
    """An app on a brand-new SQLite file, with no tables at all."""
    from app import create_app
    from app.extensions import db

    config = base_config(tmp_path, fake_vonage)
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/migrated.db", SQLITE_BUSY_TIMEOUT_MS=2500)
    application = create_app(config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def run_db(app, *args: str):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def table_names(app) -> set[str]:
    from app.extensions import db

    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def model_tables() -> set[str]:
    from app.extensions import db

    return set(db.metadata.tables)


def test_upgrade_from_empty_creates_every_model_table(empty_app):
    assert table_names(empty_app) == set()
    run_db(empty_app, "upgrade")
    assert model_tables() == {"users", "verification_codes", "trusted_devices", "recovery_codes", "security_events",
                              "sms_messages", "second_factor_challenges", "email_tokens",
                              "staff_resets", "totp_credentials", "webauthn_credentials"}
    assert table_names(empty_app) == model_tables() | {"alembic_version"}


def test_migrated_schema_matches_the_models(empty_app):
    from app.extensions import db

    run_db(empty_app, "upgrade")
    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrated_database_is_usable(empty_app):
    from app.security import accounts
    from app.security.audit import SYSTEM

    run_db(empty_app, "upgrade")
    with empty_app.app_context():
        user = accounts.create_user("migrated@example.com", "Blue-Kettle-Orbit-42", SYSTEM)
        assert user.id == 1 and accounts.find_by_email("MIGRATED@example.com").id == 1


def test_sqlite_uses_wal_busy_timeout_and_foreign_keys(empty_app):
    from app.extensions import db

    run_db(empty_app, "upgrade")
    with empty_app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_busy_timeout_is_fifteen_seconds(app):
    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_downgrade_to_base_and_back(empty_app):
    run_db(empty_app, "upgrade")
    run_db(empty_app, "downgrade", "base")
    assert table_names(empty_app) <= {"alembic_version"}
    run_db(empty_app, "upgrade")
    assert table_names(empty_app) == model_tables() | {"alembic_version"}
    from app.extensions import db

    with empty_app.app_context():
        heads = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(heads) == 1


def test_there_is_a_single_head(empty_app):
    from alembic.script import ScriptDirectory

    with empty_app.app_context():
        config = empty_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_documented_command_migrates_an_empty_database(tmp_path):
    """Run `flask --app wsgi db upgrade` exactly as `make run` does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        FLASK_SECRET_KEY="migration-test-" + "m" * 40,
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/cli.db",
        FLASK_SESSION_FILE_DIR=str(tmp_path / "sessions"),
    )
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert model_tables() <= names
