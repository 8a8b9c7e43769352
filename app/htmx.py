"""The one place that knows htmx's request and response headers."""

from collections.abc import Callable

from flask import Response, current_app, flash, make_response, redirect, render_template, request
from markupsafe import escape


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and not a history restore)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(page: str, partial: str, status: int = 200, *, retry_after: int | None = None, **context) -> Response:
    """Answer htmx with the partial and everyone else with the full page.

    The partial also carries the page's <title> (marked "Error:" on error statuses) and the
    flashed messages, swapped out of band into #alerts, so neither goes stale after a swap.
    retry_after: seconds a refusal lasts, sent as Retry-After.
    """
    context.setdefault("has_error", status >= 400)
    if is_htmx():
        # htmx lifts a top-level <title> out of the answer and sets the document's title.
        body = (render_template(partial, **context) + _title_element(page, context)
                + render_template("_alerts.html", out_of_band=True))
    else:
        body = render_template(page, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    _retry_after(response, retry_after)
    return response


def render_alert(page: str, alert: str, http_status: int, *, retry_after: int | None = None, **context) -> Response:
    """Answer an error: htmx swaps the alert into #alerts (whatever the target was); others get the page."""
    if is_htmx():
        response = make_response(render_template(alert, **context), http_status)
        response.headers["HX-Retarget"] = "#alerts"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template(page, **context), http_status)
    _retry_after(response, retry_after)
    return response


def _retry_after(response: Response, seconds: int | None) -> None:
    if seconds:
        response.headers["Retry-After"] = str(seconds)


def _title_element(page: str, context: dict) -> str:
    # The page template's own title block: one source for the page and its partials.
    template = current_app.jinja_env.get_template(page)
    block = template.blocks.get("title")
    if block is None:
        return ""
    values = dict(context)
    current_app.update_template_context(values)
    title = "".join(block(template.new_context(values))).strip()
    prefix = "Error: " if context.get("has_error") else ""
    return f"\n<title>{prefix}{title} · {escape(current_app.config['APP_NAME'])}</title>"


def hx_redirect(location: str) -> Response:
    """Finish a flow: HX-Redirect for htmx, 303 See Other for plain forms."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, code=303)
    response.vary.add("HX-Request")
    return response


def after_post(location: str, partial: Callable[[], Response], notice: str | None = None) -> Response:
    """Answer a successful POST: htmx swaps partial(); a plain form is redirected (Post/Redirect/Get).

    Without JavaScript the notice travels as a flashed message, so a reload never resubmits.
    """
    if is_htmx():
        return partial()
    if notice:
        flash(notice, "success")
    response = redirect(location, code=303)
    response.vary.add("HX-Request")
    return response
