"""Security events are append-only: the ORM and database triggers refuse to change or delete them.

The one change allowed is the retention of client details: blanking `ip` and `user_agent`
(set to NULL, every other column as it was), which `flask cleanup` does after
AUDIT_CLIENT_RETENTION_DAYS. The triggers are installed by the migration and, for
`db.create_all()` (tests), by the DDL events below, so both see the same rules.
"""

from datetime import datetime

from sqlalchemy import DDL, and_, event, or_, update
from sqlalchemy.orm import ORMExecuteState, Session

from app.extensions import db
from app.models import SecurityEvent

TABLE = SecurityEvent.__table__
# Client details retention may blank; every other column must stay as it was.
CLIENT_COLUMNS = ("ip", "user_agent")
MESSAGE = "security_events rows are append-only"


class AppendOnlyError(RuntimeError):
    """Someone tried to edit or delete an audit entry."""


@event.listens_for(SecurityEvent, "before_update")
@event.listens_for(SecurityEvent, "before_delete")
def _refuse_row_change(_mapper, _connection, target: SecurityEvent) -> None:
    raise AppendOnlyError(f"security event {target.id} is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    # update(SecurityEvent)/delete(SecurityEvent) skip the per-row hooks above.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is SecurityEvent:
        raise AppendOnlyError("security events are append-only")


def forget_old_clients(before: datetime) -> int:
    """Blank the IP address and user agent of events older than before; return how many rows.

    Commits nothing: the caller's unit of work does. Runs on the session's connection, past
    the ORM refusal above; the database triggers allow exactly this change.
    """
    from app.security.audit import SYSTEM  # audit imports this module

    statement = (
        update(TABLE)
        .where(TABLE.c.created_at < before,
               or_(TABLE.c.ip.is_not(None),
                   and_(TABLE.c.user_agent.is_not(None), TABLE.c.user_agent != SYSTEM.user_agent)))
        .values(ip=None, user_agent=None)
    )
    return db.session.connection().execute(statement).rowcount or 0


def _kept_columns() -> list[str]:
    return [c.name for c in TABLE.columns if c.name not in CLIENT_COLUMNS]


def _client_blanked(same: str) -> str:
    # Each client column either NULL or as it was; `same` is the dialect's null-safe "equal".
    return " AND ".join(f"(NEW.{c} IS NULL OR {same.format(f'NEW.{c}', f'OLD.{c}')})" for c in CLIENT_COLUMNS)


def sqlite_triggers() -> list[str]:
    """Return the SQLite statements that make the table append-only."""
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _kept_columns())
    return [
        f"CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events "
        f"WHEN NOT ({unchanged} AND {_client_blanked('{} IS {}')}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def postgresql_triggers() -> list[str]:
    """Return the PostgreSQL statements that make the table append-only (TRUNCATE too)."""
    kept = _kept_columns()
    new, old = ", ".join(f"NEW.{c}" for c in kept), ", ".join(f"OLD.{c}" for c in kept)
    return [
        "CREATE OR REPLACE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'UPDATE' THEN "
        f"IF ({new}) IS NOT DISTINCT FROM ({old}) AND {_client_blanked('{} IS NOT DISTINCT FROM {}')} THEN "
        "RETURN NEW; END IF; END IF; "
        f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; "
        "END $$",
        "CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events "
        "FOR EACH ROW EXECUTE FUNCTION security_events_append_only()",
        "CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION security_events_append_only()",
    ]


for _statement in sqlite_triggers():
    event.listen(TABLE, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in postgresql_triggers():
    event.listen(TABLE, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
# The triggers go with the table; the function would outlive it.
event.listen(TABLE, "after_drop",
             DDL("DROP FUNCTION IF EXISTS security_events_append_only()").execute_if(dialect="postgresql"))
