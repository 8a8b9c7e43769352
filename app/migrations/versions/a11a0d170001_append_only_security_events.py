"""security_events append-only triggers

Revision ID: a11a0d170001
Revises: a10f10c0de01
Create Date: 2026-11-29 18:00:00

Database triggers refuse UPDATE and DELETE (and on PostgreSQL TRUNCATE) of security_events
rows. The one update allowed is retention: setting ip and/or user_agent to NULL with every
other column unchanged (`flask cleanup`, AUDIT_CLIENT_RETENTION_DAYS). The SQL is frozen
here on purpose; app/security/append_only.py builds the same triggers for db.create_all().
A later SQLite batch migration that recreates security_events must create them again.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a11a0d170001'
down_revision = 'a10f10c0de01'
branch_labels = None
depends_on = None

MESSAGE = "security_events rows are append-only"

SQLITE = [
    "CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events WHEN NOT ("
    "NEW.id IS OLD.id AND NEW.user_id IS OLD.user_id AND NEW.actor_id IS OLD.actor_id AND NEW.type IS OLD.type "
    "AND NEW.subject IS OLD.subject AND NEW.created_at IS OLD.created_at AND NEW.details IS OLD.details "
    "AND (NEW.ip IS NULL OR NEW.ip IS OLD.ip) AND (NEW.user_agent IS NULL OR NEW.user_agent IS OLD.user_agent)) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' THEN "
    "IF (NEW.id, NEW.user_id, NEW.actor_id, NEW.type, NEW.subject, NEW.created_at, NEW.details) "
    "IS NOT DISTINCT FROM (OLD.id, OLD.user_id, OLD.actor_id, OLD.type, OLD.subject, OLD.created_at, OLD.details) "
    "AND (NEW.ip IS NULL OR NEW.ip IS NOT DISTINCT FROM OLD.ip) "
    "AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent) THEN "
    "RETURN NEW; END IF; END IF; "
    f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
    "END $$",
    "CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events "
    "FOR EACH ROW EXECUTE FUNCTION security_events_append_only()",
    "CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION security_events_append_only()",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS security_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS security_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS security_events_no_truncate ON security_events")
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only ON security_events")
        op.execute("DROP FUNCTION IF EXISTS security_events_append_only()")
