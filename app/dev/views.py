"""Development-only pages: the console SMS and mail outbox. Registered only in development."""

import ipaddress

from flask import Blueprint, abort, current_app, render_template, request

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _from_this_machine() -> bool:
    # Both the socket peer and (behind PROXY_FIX_X_FOR) the forwarded client must be
    # loopback: a forged X-Forwarded-For can't open the outbox to the network.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    return _loopback(peer) and _loopback(request.remote_addr)


@bp.get("/outbox")
def outbox():
    """Show the texts and mail the console backends 'sent', newest first, to this machine only."""
    sender, mailer = current_app.extensions["sms_sender"], current_app.extensions["mailer"]
    if not (hasattr(sender, "outbox") or hasattr(mailer, "outbox")) or not _from_this_machine():
        abort(404)
    return render_template("dev/outbox.html", messages=list(getattr(sender, "outbox", [])),
                           mails=list(getattr(mailer, "outbox", [])))
