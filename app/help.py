"""Help pages anyone can read, signed in or not (a lost phone is when people need them)."""

from flask import Blueprint, render_template

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/two-factor")
def two_factor():
    """Explain two-factor authentication, trusted browsers, recovery codes and a lost phone."""
    return render_template("help/two_factor.html")
