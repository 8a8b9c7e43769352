"""The architecture's structural rules (docs/architecture.md), checked on the source itself."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
WEB_PACKAGES = ("account", "admin", "auth")


def _sources(*parts: str):
    for path in sorted(APP.joinpath(*parts).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, path.read_text()


def _imports(source: str) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [(node.module or "", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def test_no_view_or_web_module_commits_a_transaction():
    # Each service function commits its own unit of work; the web layer never does.
    offenders = [str(path.relative_to(ROOT)) for path, text in _sources() if "security" not in path.parts
                 and "session.commit(" in text]
    assert offenders == []


def test_account_and_admin_never_touch_flask_session():
    offenders = [str(path.relative_to(ROOT)) for package in ("account", "admin")
                 for path, text in _sources(package) if ("flask", "session") in _imports(text)]
    assert offenders == []


def test_admin_does_not_import_account():
    offenders = [str(path.relative_to(ROOT)) for path, text in _sources("admin")
                 if any(module.startswith("app.account") for module, _ in _imports(text))]
    assert offenders == []


def test_flow_keys_are_named_only_in_signin_session():
    offenders = [str(path.relative_to(ROOT)) for path, text in _sources() if path.name != "signin_session.py"
                 and re.search(r"\b(FLOW|RECOVERY_ACK)\b|session\[", text)]
    assert offenders == []


def test_private_library_internals_only_in_the_adapter():
    pattern = re.compile(r"\._(generate_sid|remove_expired|list_dir|login_user|get_store_id)\b|\"_user_id\"")
    offenders = [str(path.relative_to(ROOT)) for path, text in _sources() if path.name != "adapters.py"
                 and pattern.search(text)]
    assert offenders == []


def test_only_htmx_module_sets_htmx_or_retry_after_headers():
    pattern = re.compile(r"headers\[\"(HX-[A-Za-z-]+|Retry-After)\"\]\s*=|\"HX-Re(target|swap)\"")
    offenders = [str(path.relative_to(ROOT)) for path, text in _sources() if path.name != "htmx.py"
                 and pattern.search(text)]
    assert offenders == []


def test_request_hooks_run_in_the_documented_order(app_factory):
    app = app_factory(schema=False, RATELIMIT_ENABLED=True)
    names = [getattr(hook, "__name__", "") for hook in app.before_request_funcs[None]]
    ours = [name for name in names if name in {"refuse_untrusted_host", "hide_staff_area", "refuse_while_down",
                                               "_check_request_limit", "protect_csrf", "session_rules"}]
    assert ours == ["refuse_untrusted_host", "hide_staff_area", "refuse_while_down", "_check_request_limit",
                    "protect_csrf", "session_rules"]
    assert not any("insert(0" in text for _, text in _sources())


def test_the_project_points_to_its_own_architecture_document():
    assert (ROOT / "docs" / "architecture.md").is_file()
    files = [ROOT / "README.md", ROOT / "SECURITY.md", *APP.rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]
    offenders = [str(path.relative_to(ROOT)) for path in files if path.exists() and path.name != "test_code_health.py"
                 and "DESIGN" ".md" in path.read_text()]
    assert offenders == []
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()


def test_tests_take_their_actions_from_fixtures():
    # Making users, signing in, two-factor and staff actions come from the auth/twofactor/admin_helper/security_auth
    # fixtures; only conftest files build those from the Actions classes.
    actions = {"make_user", "sign_in", "sign_in_fully", "send_setup_code", "turn_on", "begin_sign_in", "answer_code",
               "trusted_browser", "make_staff", "make_patient", "staff_client", "build_world", "pending_sign_in",
               "two_factor_user", "AuthActions", "TwoFactorActions", "StaffActions", "SecurityAuthActions"}
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in sorted(ROOT.joinpath("tests").rglob("test_*.py"))
                 for module, name in _imports(path.read_text()) if module.startswith("tests") and name in actions]
    assert offenders == []
