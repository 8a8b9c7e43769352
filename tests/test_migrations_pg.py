"""Migrations: from empty, and from every earlier revision, to head -- on SQLite and PostgreSQL.

Revisions are discovered from app/migrations, so a new migration is covered without
editing this file. After each upgrade the schema must match the models exactly.
"""

import pytest
from sqlalchemy import inspect

from tests.support import MIGRATIONS, migrate_app



def revisions_base_to_head() -> list[str]:
    """Every revision id, oldest first (a linear history is required)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"migrations have several heads: {script.get_heads()}"
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


REVISIONS = revisions_base_to_head()
# "base" = an empty database; then every revision except head as a starting point.
STARTS = ["base", *REVISIONS[:-1]]


def schema_differences(app) -> list:
    """Compare the live schema with the models (types included)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def current_revision(app) -> str | None:
    from alembic.migration import MigrationContext

    from app.extensions import db

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.mark.parametrize("start", STARTS)
def test_upgrade_to_head_from(start, empty_database, tmp_path, fake_vonage, keep_loggers):
    from flask_migrate import upgrade

    from app.extensions import db

    app = migrate_app(tmp_path, fake_vonage, empty_database)
    with app.app_context():
        try:
            if start != "base":
                upgrade(directory=str(MIGRATIONS), revision=start)
                assert current_revision(app) == start
            upgrade(directory=str(MIGRATIONS), revision="head")
            assert current_revision(app) == REVISIONS[-1]
            assert schema_differences(app) == []
            tables = set(inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            # Running it again is a no-op (a second host running `db upgrade` is harmless).
            upgrade(directory=str(MIGRATIONS), revision="head")
            assert current_revision(app) == REVISIONS[-1]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_every_revision_is_discovered():
    assert REVISIONS, "no migrations found"
    files = [p for p in (MIGRATIONS / "versions").glob("*.py")]
    assert len(files) == len(REVISIONS)
