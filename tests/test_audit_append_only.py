"""security_events in the database itself: triggers refuse UPDATE and DELETE (SQLite and PostgreSQL,
created by the models or by the migrations); only retention may blank IP addresses and user agents."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.support import MIGRATIONS, migrate_app

REFUSED = [
    "UPDATE security_events SET details = '{\"reason\": \"rewritten\"}'",
    "UPDATE security_events SET type = 'signin_success'",
    "UPDATE security_events SET actor_id = 1",
    "UPDATE security_events SET subject = 'another'",
    "UPDATE security_events SET ip = '203.0.113.66'",
    "UPDATE security_events SET user_agent = 'forged', ip = NULL",
    "UPDATE security_events SET ip = NULL, details = NULL",
    "DELETE FROM security_events",
    "DELETE FROM security_events WHERE id = 1",
]


def add_event(created_at=None, ip="198.51.100.7", user_agent="Mozilla/5.0 Firefox/130", **values):
    """Insert one event row (inserts are allowed); return its id."""
    from app.extensions import db
    from app.models import SecurityEvent, utcnow

    event = SecurityEvent(type=values.pop("type", "signin_failed"), created_at=created_at or utcnow(), ip=ip,
                          user_agent=user_agent, details=values.pop("details", '{"reason": "password"}'), **values)
    db.session.add(event)
    db.session.flush()
    event_id = event.id
    db.session.commit()  # and no new transaction: on SQLite it would hold the write lock
    return event_id


def rows(connection_or_session) -> list[tuple]:
    return [tuple(r) for r in connection_or_session.execute(text(
        "SELECT id, user_id, actor_id, type, subject, created_at, ip, user_agent, details "
        "FROM security_events ORDER BY id"))]


def assert_rules_hold(engine) -> None:
    """Every refused statement fails and changes nothing; blanking the client details works."""
    with engine.connect() as conn:
        before = rows(conn)
    assert before
    for statement in REFUSED:
        with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
                pytest.fail(f"not refused: {statement}")
            conn.rollback()
            assert rows(conn) == before, statement
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("TRUNCATE security_events"))
            conn.rollback()
    with engine.begin() as conn:
        conn.execute(text("UPDATE security_events SET ip = NULL"))
        conn.execute(text("UPDATE security_events SET user_agent = NULL"))
        after = rows(conn)
    assert [r[:6] + r[8:] for r in after] == [r[:6] + r[8:] for r in before]
    assert all(r[6] is None and r[7] is None for r in after)


def test_tables_made_by_the_models_refuse_changes(app, auth):
    from app.extensions import db

    auth.make_user()  # its sign-up event
    with app.app_context():
        add_event()
        assert_rules_hold(db.engine)


def test_tables_made_by_the_migrations_refuse_changes(empty_database, tmp_path, fake_vonage, keep_loggers):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    app = migrate_app(tmp_path, fake_vonage, empty_database)
    with app.app_context():
        try:
            upgrade(directory=str(MIGRATIONS), revision="head")
            add_event()
            add_event(user_agent="system", ip=None)
            assert_rules_hold(db.engine)
            # Down a revision the triggers are gone; up again they are back.
            downgrade(directory=str(MIGRATIONS), revision="d6d2a0f844fb")
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE security_events SET details = NULL WHERE id = 1"))
            upgrade(directory=str(MIGRATIONS), revision="head")
            with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("DELETE FROM security_events"))
        finally:
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------- retention of client details

@pytest.mark.settings(AUDIT_CLIENT_RETENTION_DAYS=30)
def test_cleanup_blanks_old_ips_and_user_agents_and_nothing_else(app, runner, clock):
    from app.extensions import db
    from app.models import SecurityEvent, utcnow

    with app.app_context():
        now = utcnow()
        old = add_event(now - timedelta(days=31))
        old_agent_only = add_event(now - timedelta(days=40), ip=None)
        system = add_event(now - timedelta(days=90), ip=None, user_agent="system", type="staff_granted")
        recent = add_event(now - timedelta(days=29))
        before = {e.id: e for e in db.session.scalars(select(SecurityEvent))}
        db.session.expunge_all()
        db.session.rollback()

    result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("audit_clients=2")

    with app.app_context():
        after = {e.id: e for e in db.session.scalars(select(SecurityEvent))}
    assert set(after) == set(before)  # nothing deleted
    for event_id in (old, old_agent_only):
        assert after[event_id].ip is None and after[event_id].user_agent is None
    assert after[system].user_agent == "system"  # names no person; says who acted
    assert (after[recent].ip, after[recent].user_agent) == ("198.51.100.7", "Mozilla/5.0 Firefox/130")
    for event_id, event in after.items():
        kept = ("type", "user_id", "actor_id", "subject", "created_at", "details")
        assert [getattr(event, c) for c in kept] == [getattr(before[event_id], c) for c in kept]
    again = runner.invoke(args=["cleanup"])
    assert again.output.strip().endswith("audit_clients=0")  # idempotent


def test_retention_defaults_to_ninety_days(app):
    assert app.config["AUDIT_CLIENT_RETENTION_DAYS"] == 90
