"""The one place that knows htmx's request and response headers."""

from flask import Response, make_response, redirect, render_template, request


def is_htmx() -> bool:
    """Tell whether htmx sent this request (and not a history restore)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(page: str, partial: str, status: int = 200, **context) -> Response:
    """Answer htmx with the partial and everyone else with the full page."""
    template = partial if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str) -> Response:
    """Finish a flow: HX-Redirect for htmx, 303 See Other for plain forms."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, code=303)
    response.vary.add("HX-Request")
    return response
