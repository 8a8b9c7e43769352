"""Application factory: a table of contents for the app."""

from flask import Flask

from app.bootstrap import load_config, register_extensions
from app.cli import register_commands
from app.errors import register_error_handlers
from app.web import install_request_classes


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    install_request_classes(app)
    register_first_hooks(app)
    register_extensions(app)
    register_blueprints(app)
    register_last_hooks(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_first_hooks(app: Flask) -> None:
    """Register the hooks that run before any extension's own (before_request runs in this order)."""
    from app.admin.access import hide_staff_area
    from app.session_store import refuse_while_down
    from app.web import refuse_untrusted_host

    # 1. A Host we don't serve gets a plain 400: no URL can be built for it, no session is read.
    app.before_request(refuse_untrusted_host)
    # 2. /admin is 404 to all but staff, before a pending-sign-in redirect or a CSRF refusal could reveal it.
    app.before_request(hide_staff_area)
    # 3. Session store down: 503, before CSRF or a rate limit reads the stand-in session ("form expired").
    app.before_request(refuse_while_down)
    # register_extensions then adds Flask-WTF's hook (a no-op: WTF_CSRF_CHECK_DEFAULT is off)
    # and Flask-Limiter's limit check, which counts requests that arrive without a live session.


def register_last_hooks(app: Flask) -> None:
    """Register the hooks that run after the extensions' own, in this order."""
    from app.bootstrap import protect_csrf
    from app.web import security_headers, session_rules

    # 4. CSRF after Flask-Limiter's check, so a form post without a live session is counted first.
    app.before_request(protect_csrf)
    # 5. Session timeouts, then the pending-sign-in gate (only the code screens answer mid sign-in).
    app.before_request(session_rules)
    # Blueprint hooks follow: account's login_required, admin's require_staff_with_two_factor.
    # After every response (Flask runs after_request hooks last-registered first, so this runs before
    # Flask-Limiter's and Flask-Login's): the security headers and no-store.
    app.after_request(security_headers)


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint; imported here to keep imports acyclic."""
    from app.account.email_views import bp as account_email_bp
    from app.account.views import bp as account_bp
    from app.admin.views import bp as admin_bp
    from app.auth.email_views import bp as email_bp
    from app.auth.views import bp as auth_bp
    from app.dev.views import bp as dev_bp
    # Route modules that add to the two blueprints above: the other second factors' sign-in
    # steps, and adding, removing and choosing the methods.
    from app.account import method_views  # noqa: F401
    from app.auth import other_ways, passkey_views  # noqa: F401
    from app.health import bp as health_bp
    from app.help import bp as help_bp
    from app.web import DatabaseId

    # Before any rule is added: <int:...> ids beyond a BIGINT are "not found", not a crash.
    app.url_map.converters["int"] = DatabaseId
    app.register_blueprint(auth_bp)
    app.register_blueprint(email_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(account_email_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(help_bp)
    if app.config["APP_ENV"] == "development":
        app.register_blueprint(dev_bp)
