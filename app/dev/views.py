"""Development-only pages: the console SMS outbox. Registered only in development."""

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox():
    """Show the texts the console backend 'sent', newest first."""
    sender = current_app.extensions["sms_sender"]
    if not hasattr(sender, "outbox"):
        abort(404)
    return render_template("dev/outbox.html", messages=list(sender.outbox))
