"""Support staff area (/admin): placeholder until the admin issue lands."""

from flask import Blueprint, abort

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def hide_from_everyone():
    """Answer 404 so the area's existence isn't revealed."""
    abort(404)


@bp.get("/")
def users():
    """List users (not yet built)."""
    abort(404)
