"""PUBLIC_URL: texts name the configured host, never the request's; production serves only trusted hosts."""

import pytest

from tests.support import PASSWORD, PHONE, US_SENDER, build_app

PUBLIC = {"PUBLIC_URL": "https://records.example.org"}
HUGE_HOST = "a" * 60 + "." + ".".join(["b" * 60] * 132) + ".example"  # over 8 KB
SIGN_IN = {"email": "patient@example.com", "password": PASSWORD}


def the_text(fake_vonage) -> str:
    (message,) = fake_vonage.messages
    return message["text"]


@pytest.mark.settings(**PUBLIC)
def test_a_phishing_host_is_not_written_into_the_sms(app, client, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    response = client.post("/signin", data=SIGN_IN, headers={"Host": "evil-phish.example"})
    assert response.status_code == 303
    text = the_text(fake_vonage)
    assert text.endswith(f"\n\n@records.example.org #{fake_vonage.last_code(PHONE)}")
    assert "evil" not in text


@pytest.mark.settings(**PUBLIC)
def test_an_8_kb_host_header_leaves_the_sms_short(app, client, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    assert len(HUGE_HOST) > 8000
    response = client.post("/signin", data=SIGN_IN, headers={"Host": HUGE_HOST})
    assert response.status_code == 303
    text = the_text(fake_vonage)
    assert len(text) < 160 and "bbbb" not in text
    assert text.endswith(f"@records.example.org #{fake_vonage.last_code(PHONE)}")


# ---------------------------------------------------------------- production: trusted hosts only

@pytest.fixture
def production(tmp_path, fake_vonage):
    fake_vonage.reset()
    return build_app(tmp_path, fake_vonage, APP_ENV="production", SECRET_KEY="p" * 48, LOG_JSON=False, **PUBLIC,
                     **US_SENDER)


def test_production_trusts_only_the_public_host(production):
    assert production.config["TRUSTED_HOSTS"] == ["records.example.org"]
    client = production.test_client()
    assert client.get("/signin", base_url="https://records.example.org").status_code == 200


@pytest.mark.parametrize("host", ["evil-phish.example", "10.0.0.7", "records.example.org.evil.example",
                                  HUGE_HOST])
def test_production_answers_other_hosts_with_a_clean_400(production, fake_vonage, host, auth):
    auth.make_user(phone=PHONE, app=production)
    client = production.test_client()
    for method, path in (("GET", "/signin"), ("POST", "/signin"), ("GET", "/admin"), ("GET", "/no-such-page")):
        response = client.open(path, method=method, base_url="https://records.example.org",
                               headers={"Host": host}, data=SIGN_IN)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (method, path)
        assert "Bad request" in html and "Traceback" not in html and host not in html
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert fake_vonage.messages == []


@pytest.mark.parametrize("path", ["/livez", "/healthz"])
def test_production_health_endpoints_answer_a_load_balancer_probing_by_ip(production, path):
    response = production.test_client().get(path, base_url="http://10.0.0.7:8000")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_development_serves_any_host(app, client):
    assert app.config["TRUSTED_HOSTS"] is None
    assert client.get("/signin", base_url="http://192.168.1.20:5000").status_code == 200
