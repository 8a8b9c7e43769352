"""Links in mail: always on PUBLIC_URL's origin, never the request's Host."""

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """Build an absolute URL for endpoint on the configured public origin (works outside a request)."""
    origin = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(origin.netloc, url_scheme=origin.scheme)
    return adapter.build(endpoint, values, force_external=True)
