"""Unbound extension objects, bound to the app in create_app."""

from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.session_store import keeps_a_session, new_session_limit

# Named constraints let Alembic alter them later, also in SQLite's batch mode.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING)


# Objects keep their loaded values after a commit: services commit before slow work (argon2,
# Vonage), and expiring everything there reloaded the same rows right after, several times per
# sign-in. Sessions are per request, so nothing outlives the request that loaded it; values other
# transactions may change concurrently are read with a fresh query where they matter.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
sess = Session()
# Every request that arrives without a live session may store a new one: count those per IP.
limiter = Limiter(key_func=get_remote_address, application_limits=[
    ApplicationLimit(new_session_limit, scope="new-session", exempt_when=keeps_a_session)])
