"""Application factory: a table of contents for the app."""

from flask import Flask

from app.bootstrap import load_config, register_extensions
from app.cli import register_commands
from app.errors import register_error_handlers
from app.web import register_request_hooks


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint; imported here to keep imports acyclic."""
    from app.account.views import bp as account_bp
    from app.admin.views import bp as admin_bp
    from app.auth.views import bp as auth_bp
    from app.dev.views import bp as dev_bp
    from app.health import bp as health_bp
    from app.help import bp as help_bp
    from app.web import DatabaseId

    # Before any rule is added: <int:...> ids beyond a BIGINT are "not found", not a crash.
    app.url_map.converters["int"] = DatabaseId
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(help_bp)
    if app.config["APP_ENV"] == "development":
        app.register_blueprint(dev_bp)
