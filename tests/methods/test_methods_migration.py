"""Migrating from the SMS-only schema keeps every SMS user's two-factor working, on both backends."""

from sqlalchemy import text

from tests.support import PASSWORD, PHONE, migrate_app

BEFORE = "a11rec0e0001"  # today's schema: the number on users, nothing else


def migrated_sms_user(tmp_path, fake_vonage, uri):
    """An app whose database held an SMS user before the methods migration ran."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.security.passwords import hash_password

    app = migrate_app(tmp_path, fake_vonage, uri)
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(text(
            "INSERT INTO users (email, password_hash, is_staff, session_version, phone_e164, phone_last4, "
            "consecutive_code_failures, created_at, password_changed_at) VALUES "
            "('old@example.com', :hash, false, 1, :phone, :last4, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"hash": hash_password(PASSWORD), "phone": PHONE, "last4": PHONE[-4:]})
        db.session.commit()
        upgrade()
    return app


def test_an_sms_user_keeps_two_factor_and_signs_in_with_a_text(empty_database, tmp_path, fake_vonage, auth,
                                                                keep_loggers):
    from app.extensions import db
    from app.models import User
    from app.security import methods

    app = migrated_sms_user(tmp_path, fake_vonage, empty_database)
    try:
        with app.app_context():
            user = db.session.query(User).filter_by(email="old@example.com").one()
            assert user.two_factor_enabled and methods.available(user) == [methods.SMS]
            assert methods.preferred(user) == methods.SMS and user.preferred_method is None
        client = app.test_client()
        response = auth.sign_in("old@example.com", client=client)
        assert response.headers["Location"].endswith("/signin/verify")
        response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
        assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
