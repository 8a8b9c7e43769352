"""Security events are append-only: the ORM refuses to change or delete them."""

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.models import SecurityEvent


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
