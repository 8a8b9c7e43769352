"""Flask-Login user loading: the session version in the id ends stale sessions."""

from sqlalchemy import bindparam, select

from app import signin_session
from app.extensions import db, login_manager
from app.models import User

# Built once: the hottest query of the site (every signed-in request) skips rebuilding and
# re-keying a statement per request, which session.get does.
_USER_BY_ID = select(User).where(User.id == bindparam("uid"))

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
# Server-side timeouts and version checks protect the session; no IP pinning.
login_manager.session_protection = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for a session id of the form "<id>:<version>", if still valid."""
    uid, _, version = user_id.partition(":")
    if not (uid.isdigit() and version.isdigit()):
        return None
    user = db.session.execute(_USER_BY_ID, {"uid": int(uid)}).scalar_one_or_none()
    if user is not None and user.session_version != int(version):
        # Ended elsewhere (password change, "sign out of all other sessions", staff): say why.
        # The row is already loaded, so telling costs no extra query.
        signin_session.end_stale(user.password_changed_at)
        return None
    return user if signin_session.is_current(user, int(version)) else None


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to sign in (HX-Redirect for htmx), keeping a local next."""
    from flask import request, url_for

    from app.forms import safe_next
    from app.htmx import hx_redirect

    target = safe_next(request.full_path if request.method == "GET" else None)
    return hx_redirect(url_for("auth.sign_in", next=target.rstrip("?") if target else None))
