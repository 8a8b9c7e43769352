"""Support staff area (/admin): find people, act on their accounts, read the audit log."""

from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context, url_for
from flask_login import current_user

from app import signin_session
from app.admin import access, audit_log, directory, wording
from app.admin.actions import ACTIONS
from app.admin.paging import page_number
from app.extensions import db
from app.errors import render_error
from app.forms import field
from app.htmx import hx_redirect, render
from app.models import User
from app.recent_password import require_recent_password
from app.security import SecurityError, admin
from app.web import client

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(access.require_staff_with_two_factor)


@bp.get("/")
def users():
    """Search people by email prefix or the last four digits of their number."""
    query = directory.clean_query(request.args.get("q"))
    found = directory.search(query, page_number(request.args.get("page")))
    return render("admin/users.html", "admin/_users.html", query=query, found=found)


def _target(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    """Show one person's account facts, browsers, sessions and recent events."""
    return render_template("admin/user.html", facts=directory.facts(_target(user_id)), action=None)


@bp.route("/users/<int:user_id>/actions/<slug>", methods=["GET", "POST"])
def action(user_id: int, slug: str):
    """Ask for confirmation and a reason (GET), then act on the account (POST)."""
    target, chosen = _target(user_id), ACTIONS.get(slug) or abort(404)
    reason, error = field("reason", 2 * admin.MAX_REASON), None
    extra = {chosen.extra[0]: field(chosen.extra[0], 400)} if chosen.extra else {}
    try:
        admin.check_may_act(target, current_user)  # also on GET: don't offer what will be refused
        if request.method == "POST":
            require_recent_password()
            outcome = chosen.run(target, current_user, admin.clean_reason(reason), client(), **extra)
            flash(outcome if isinstance(outcome, str) else chosen.done, "success")
            return hx_redirect(url_for("admin.user", user_id=target.id))
    except SecurityError as exc:
        error = exc
    return render("admin/user.html", "admin/_action.html", error.status if error else 200,
                  facts=directory.facts(target), action=chosen, reason=reason, extra=extra, error=error,
                  needs_password=not signin_session.recently_authenticated())


@bp.get("/audit")
def audit():
    """List security events newest first, filtered by account, type and dates."""
    chosen = audit_log.parse_filter(request.args)
    events = audit_log.page(chosen, page_number(request.args.get("page")))
    return render("admin/audit.html", "admin/_audit.html", 422 if chosen.errors else 200,
                  chosen=chosen, events=events, types=wording.type_choices())


@bp.get("/audit.csv")
def audit_csv():
    """Download the filtered audit log as CSV, streamed batch by batch."""
    chosen = audit_log.parse_filter(request.args)
    if chosen.errors:  # never export more than was asked for
        return render_error(422, " ".join(chosen.errors.values()))
    return Response(stream_with_context(audit_log.csv_lines(chosen)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
