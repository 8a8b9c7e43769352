"""Security notices by mail: one-off ones by mail and SMS, repeatable ones by mail alone once an address
is verified, mail-only ones never texted; mail spends no SMS budget."""

import pytest
from sqlalchemy import func, select

from tests.mail.support import delivered_to, verify
from tests.support import OTHER_PHONE, PASSWORD, PHONE

EMAIL = "patient@example.com"


def notices(app):
    return [m for m in delivered_to(app, EMAIL) if m.subject == "Security notice from Health Records"]


def texts(fake_vonage):
    return [m["text"] for m in fake_vonage.sent_to(PHONE) if "verification code" not in m["text"]]


def sms_rows(app) -> int:
    from app.extensions import db
    from app.models import SmsMessage

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.kind.like("notice%")))


@pytest.fixture
def patient(app, auth):
    user_id = auth.make_user(phone=PHONE)
    verify(app, user_id)
    auth.sign_in_fully()
    return user_id


def send(app, template, user_id, **words):
    from app.extensions import db
    from app.models import User
    from app.security import notify

    with app.test_request_context():
        return notify.send_notice(PHONE, template, user=db.session.get(User, user_id), **words)


def test_a_one_off_notice_goes_by_mail_and_sms(app, patient, fake_vonage):
    from app.security import notify

    assert send(app, notify.TWO_FACTOR_OFF, patient) is True
    (mail,) = notices(app)
    assert "Two-factor authentication was turned off" in mail.text and mail.html
    assert len(texts(fake_vonage)) == 1


def test_a_repeatable_notice_goes_by_mail_alone_to_a_verified_address(app, patient, fake_vonage):
    from app.security import notify

    before = sms_rows(app)
    assert send(app, notify.RECOVERY_CODE_USED, patient) is False
    assert "recovery code was just used" in notices(app)[0].text
    assert texts(fake_vonage) == [] and sms_rows(app) == before  # no SMS, no SMS budget spent


def test_without_a_verified_address_a_repeatable_notice_is_texted(app, auth, fake_vonage):
    from app.security import notify

    user_id = auth.make_user(phone=PHONE)
    assert send(app, notify.RECOVERY_CODE_USED, user_id) is True
    assert notices(app) == [] and len(texts(fake_vonage)) == 1


def test_mail_notices_are_never_sent_to_an_unverified_address(app, auth, fake_vonage):
    from app.security import notify

    user_id = auth.make_user(phone=PHONE)
    send(app, notify.TWO_FACTOR_OFF, user_id)
    assert notices(app) == [] and len(texts(fake_vonage)) == 1


def test_turning_two_factor_off_mails_the_owner(app, patient, fake_vonage):
    from app.extensions import db
    from app.models import User
    from app.security import twofactor
    from app.security.audit import SYSTEM

    with app.test_request_context():
        twofactor.disable(db.session.get(User, patient), SYSTEM)
    assert any("Two-factor authentication was turned off" in m.text for m in notices(app))
    assert len(texts(fake_vonage)) == 1


def test_a_changed_number_mails_the_owner(app, patient, fake_vonage):
    from app.extensions import db
    from app.models import User
    from app.security import codes, twofactor
    from app.security.audit import SYSTEM

    with app.test_request_context():
        user = db.session.get(User, patient)
        code = codes.send_code(user, codes.NUMBER_CHANGE, OTHER_PHONE, SYSTEM, None)
        twofactor.confirm_number_change(user, code.id, fake_vonage.last_code(OTHER_PHONE), SYSTEM)
    assert any("phone number for two-factor" in m.text for m in notices(app))


def test_new_recovery_codes_are_mailed_not_texted(app, patient, fake_vonage):
    from app.extensions import db
    from app.models import User
    from app.security import recovery
    from app.security.audit import SYSTEM

    with app.test_request_context():
        recovery.generate(db.session.get(User, patient), SYSTEM)
    assert any("New recovery codes were made" in m.text for m in notices(app))
    assert texts(fake_vonage) == []


def test_a_password_change_is_mailed_and_texted(app, client, patient, fake_vonage):
    new = "Purple-Mountain-Ranges-5"
    client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert any("password of your Health Records account was changed" in m.text for m in notices(app))
    assert any("password" in t for t in texts(fake_vonage))


def test_a_newly_trusted_browser_is_mailed_not_texted(app, patient, fake_vonage, auth):
    auth.sign_in_fully(trust=True, client=app.test_client())
    assert any("A new browser" in m.text and "was trusted" in m.text for m in notices(app))
    assert texts(fake_vonage) == []


def test_staff_actions_are_mailed(app, admin_helper):
    world = admin_helper.build_world()
    verify(app, world.patient_id)
    world.act("forget-browsers")
    world.act("lock")
    words = [m.text for m in notices(app)]
    assert any("support team acted on your Health Records account: every trusted browser was forgotten" in w
               for w in words)
    assert any("the account was locked" in w for w in words)
