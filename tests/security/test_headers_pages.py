"""Security headers on every answer, and HTML that a strict CSP can run."""

import json
import re
from pathlib import Path

import pytest

from tests.support import US_SENDER, build_app, htmx
from tests.security.support import LIMITS_ON
from tests.security.pages import (INLINE_HANDLER, INLINE_SCRIPT, INLINE_STYLE, JS_URL, full_pages, html_pages,
                                  inline_code, reachable_pages)

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
STATIC_JS = Path(__file__).resolve().parents[2] / "app" / "static" / "js"


@pytest.fixture(scope="module")
def pages(tmp_path_factory, fake_vonage):
    """Walk once per module: the answers are only read."""
    fake_vonage.reset()
    app = build_app(tmp_path_factory.mktemp("pages"), fake_vonage)
    walked = reachable_pages(app, fake_vonage)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    return walked


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_walk_reaches_every_state(pages):
    statuses = {r.status_code for _, r in pages}
    assert {200, 303, 404, 405, 413, 422, 429} <= statuses
    assert len(pages) > 40


def test_owasp_csp_on_every_answer_without_unsafe_inline(pages):
    for label, response in pages:
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"], label
        assert directives["style-src"] == ["'self'"], label
        assert directives["default-src"] == ["'self'"], label
        assert directives["object-src"] == ["'none'"], label
        assert directives["base-uri"] == ["'none'"], label
        assert directives["frame-ancestors"] == ["'none'"], label
        assert directives["form-action"] == ["'self'"], label
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, label


def test_owasp_nosniff_referrer_and_framing_on_every_answer(pages):
    for label, response in pages:
        assert response.headers["X-Content-Type-Options"] == "nosniff", label
        assert response.headers["Referrer-Policy"] == "same-origin", label
        assert response.headers["X-Frame-Options"] == "DENY", label


def test_asvs_8_2_1_no_store_on_every_auth_and_account_answer(pages):
    for label, response in pages:
        assert response.headers["Cache-Control"] == "no-store", label


def test_owasp_no_inline_script_handler_or_style_in_rendered_html(pages):
    for label, response in html_pages(pages):
        assert inline_code(response.get_data(as_text=True)) == [], label


def test_owasp_no_inline_script_handler_or_style_in_template_files():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 15
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(source), path.name
        assert not INLINE_HANDLER.search(source), path.name
        assert not INLINE_STYLE.search(source), path.name
        assert not JS_URL.search(source), path.name
        # Autoescaping is never switched off for user data.
        assert "|safe" not in source.replace(" ", ""), path.name
        assert "autoescape false" not in source, path.name


def test_owasp_scripts_use_no_eval():
    for path in STATIC_JS.rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new Function\s*\(|innerHTML\s*=", source), path.name


def test_rule_htmx_self_requests_only_and_history_off_on_every_page(pages):
    for label, response in full_pages(pages):
        html = response.get_data(as_text=True)
        meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
        assert meta, label
        config = json.loads(meta.group(1))
        assert config["selfRequestsOnly"] is True, label
        assert config["allowEval"] is False and config["allowScriptTags"] is False, label
        assert config["historyCacheSize"] == 0, label
        assert config["includeIndicatorStyles"] is False, label
        body = re.search(r"<body\b[^>]*>", html).group(0)
        assert 'hx-history="false"' in body, label


def test_rule_htmx_is_served_locally_with_a_pinned_version(pages):
    for label, response in full_pages(pages):
        scripts = re.findall(r'<script src="([^"]+)"', response.get_data(as_text=True))
        assert scripts and all(src.startswith("/static/") for src in scripts), label
        assert any(re.search(r"htmx-\d+\.\d+\.\d+\.min\.js$", src) for src in scripts), label


def test_rule_responses_that_answer_both_ways_vary_on_hx_request(app, client):
    for response in (client.get("/signin"), client.get("/signin", headers=htmx())):
        assert "HX-Request" in response.headers.get("Vary", "")


def test_rule_error_pages_reveal_no_internals(app, client):
    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret internal detail /srv/app/db.py line 42")

    response = client.get("/__boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in text and "Traceback" not in text
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_owasp_hsts_in_production(tmp_path, fake_vonage):
    app = build_app(tmp_path, fake_vonage, APP_ENV="production", SECRET_KEY="p" * 48, **US_SENDER)
    response = app.test_client().get("/signin", base_url="https://localhost")
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000 and "includeSubDomains" in hsts


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SIGNIN="1 per minute")
class TestLimiterPages:
    def test_owasp_rate_limit_page_has_the_same_headers(self, app, client, clock):
        client.post("/signin", data={"email": "a@example.com", "password": "x"})
        for headers in ({}, htmx()):
            response = client.post("/signin", data={"email": "a@example.com", "password": "x"}, headers=headers)
            assert response.status_code == 429
            assert int(response.headers["Retry-After"]) == 60
            assert "Try again in 1 minute" in response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "<html" not in response.get_data(as_text=True)
        assert response.headers["HX-Retarget"] == "#alerts"


def test_rule_the_scanners_can_fail():
    """The checks above would notice inline code, and don't mistake escaped text for it."""
    for bad in ('<script>x()</script>', '<a onclick="x()">', '<p style="color:red">', '<a href=" javascript:x()">',
                '<style>p{}</style>', '<body onload=x()>'):
        assert inline_code(bad), bad
        assert any(p.search(bad) for p in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, JS_URL)), bad
    assert inline_code('<input value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"><script src="/a.js"></script>') == []
