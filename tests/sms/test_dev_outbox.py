"""/dev/outbox (development only) shows texted codes to this machine's loopback clients, nobody else."""

import pytest

from tests.support import PASSWORD, PHONE


pytestmark = pytest.mark.settings(APP_ENV="development", SMS_BACKEND="console")


@pytest.fixture
def texted(app, capsys, auth):
    """A sign-in that texted a code through the console backend; return that code."""
    auth.make_user(phone=PHONE)
    app.test_client().post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    (message,) = app.extensions["sms_sender"].outbox
    capsys.readouterr()
    return message["text"].split("#")[-1]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_outbox_answers_loopback_clients(app, texted, address):
    response = app.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200 and texted in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["192.168.1.20", "10.0.0.7", "203.0.113.9", "2001:db8::1", "::ffff:192.168.1.20",
                                     "0.0.0.0", ""])
def test_outbox_is_not_found_for_anyone_else(app, texted, address):
    response = app.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": address})
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and texted not in html and "Development outbox" not in html


@pytest.mark.settings(APP_ENV="development", SMS_BACKEND="console", PROXY_FIX_X_FOR=1)
def test_a_forged_forwarded_address_does_not_open_the_outbox(app, texted):
    from_network = app.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": "192.168.1.20"},
                                         headers={"X-Forwarded-For": "127.0.0.1"})
    assert from_network.status_code == 404
    local = app.test_client().get("/dev/outbox", headers={"X-Forwarded-For": "127.0.0.1"})
    assert local.status_code == 200 and texted in local.get_data(as_text=True)
