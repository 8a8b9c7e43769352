"""flask users create / set-staff."""

from sqlalchemy import select

from tests.support import PASSWORD


def get_user(app, email="staff@example.com"):
    from app.security import accounts

    with app.app_context():
        user = accounts.find_by_email(email)
        if user is not None:
            user.password_hash  # load while the session is open  # noqa: B018
        return user


def event_types(app) -> list[str]:
    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        return db.session.scalars(select(SecurityEvent.type).order_by(SecurityEvent.id)).all()


def test_create_user_with_password_option(runner, app, client, auth):
    result = runner.invoke(args=["users", "create", "Person@Example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created user person@example.com" in result.output
    assert PASSWORD not in result.output
    user = get_user(app, "person@example.com")
    assert user is not None and user.is_staff is False
    assert user.password_hash.startswith("$argon2id$")
    assert auth.sign_in("person@example.com").status_code == 303


def test_create_staff_user(runner, app):
    result = runner.invoke(args=["users", "create", "staff@example.com", "--password", PASSWORD, "--staff"])
    assert result.exit_code == 0, result.output
    assert "Created staff user staff@example.com" in result.output
    assert get_user(app).is_staff is True


def test_create_user_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["users", "create", "staff@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and PASSWORD not in result.output
    assert get_user(app) is not None


def test_create_user_prompt_must_match(runner, app):
    result = runner.invoke(args=["users", "create", "staff@example.com"],
                           input=f"{PASSWORD}\nsomething-else-entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert get_user(app) is not None


def test_bad_password_is_rejected(runner, app):
    for password, message in (("password1234", "common passwords"), ("short", "at least 12"),
                              ("staff@example.com", "can't be your email")):
        result = runner.invoke(args=["users", "create", "staff@example.com", "--password", password])
        assert result.exit_code == 1
        assert message in result.output
    assert get_user(app) is None


def test_bad_email_is_rejected(runner, app):
    result = runner.invoke(args=["users", "create", "not-an-email", "--password", PASSWORD])
    assert result.exit_code == 1 and "valid email" in result.output


def test_duplicate_email_is_rejected(runner, app, auth):
    auth.make_user("staff@example.com")
    result = runner.invoke(args=["users", "create", "STAFF@example.com", "--password", PASSWORD, "--staff"])
    assert result.exit_code == 1 and "already exists" in result.output
    assert get_user(app).is_staff is False


def test_set_staff_and_off(runner, app, auth):
    auth.make_user("staff@example.com")
    result = runner.invoke(args=["users", "set-staff", "Staff@Example.com"])
    assert result.exit_code == 0, result.output
    assert "staff@example.com is now staff" in result.output
    assert get_user(app).is_staff is True
    result = runner.invoke(args=["users", "set-staff", "staff@example.com", "--off"])
    assert result.exit_code == 0, result.output
    assert "no longer staff" in result.output
    assert get_user(app).is_staff is False
    assert event_types(app)[-2:] == ["staff_granted", "staff_revoked"]


def test_set_staff_ends_the_users_sessions(runner, app, client, auth):
    auth.make_user("staff@example.com")
    auth.sign_in("staff@example.com")
    assert client.get("/account").status_code == 200
    runner.invoke(args=["users", "set-staff", "staff@example.com"])
    # Privileges changed: the session must start over to pick them up.
    assert client.get("/account").status_code == 303


def test_set_staff_for_unknown_email_fails(runner, app):
    result = runner.invoke(args=["users", "set-staff", "nobody@example.com"])
    assert result.exit_code == 1 and "No user nobody@example.com" in result.output
