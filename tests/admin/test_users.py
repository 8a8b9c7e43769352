"""Staff screens: finding people, the User detail, session counts; never a full number or a code."""

import re

import pytest

from app.security import audit
from tests.admin.helpers import PATIENT_EMAIL, cheap_password_hashing, full_number_shown, later
from tests.support import PHONE, htmx
from tests.private_redis import PrivateRedis
from tests.support import FixtureValue

ACTION_SLUGS = ("reset-two-factor", "forget-browsers", "sign-out", "lock", "unlock")


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


@pytest.fixture
def world(app, fake_vonage, admin_helper):
    return admin_helper.build_world()


def staff_pages(world) -> list[str]:
    urls = ["/admin/", "/admin/?q=patient", f"/admin/?q={PHONE[-4:]}", f"/admin/users/{world.patient_id}",
            "/admin/audit", f"/admin/audit?user={PATIENT_EMAIL}", "/admin/audit.csv"]
    urls += [world.url(slug) for slug in ACTION_SLUGS]
    pages = []
    for url in urls:
        response = world.staff.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for token in set(re.findall(r'csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"', html)):
            for part in filter(None, token):
                html = html.replace(part, "")
        pages.append(html)
    return pages


def test_staff_pages_never_show_a_full_number_or_a_code(world, fake_vonage):
    from app.extensions import db
    from app.models import User
    from app.security.audit import Client

    code = fake_vonage.last_code(PHONE)
    with world.app.app_context():
        patient = db.session.get(User, world.patient_id)
        # A provider error that echoes the number, and a reason typed with it.
        audit.record(audit.CODE_SEND_FAILED, Client("127.0.0.1"), user=patient,
                     provider=f"Non-Whitelisted Destination {PHONE[1:]}")
        audit.record(audit.ADMIN_LOCK, Client("127.0.0.1"), user=patient, reason=f"caller said {PHONE} code {code}")
        db.session.commit()
    pages = staff_pages(world)
    assert any("+1 ••• ••• 0123" in page for page in pages)
    for page in pages:
        assert not full_number_shown(page)
        assert code not in page


def test_search_by_last_four_digits_and_email_prefix(app, fake_vonage, admin_helper):
    admin_helper.make_patient()
    admin_helper.make_patient("other@example.com", phone="+12015550188")
    admin_helper.make_patient("nophone@example.com", phone=None)
    admin_helper.make_patient("pat_tern@example.com", phone=None)
    admin_helper.make_staff()
    client = admin_helper.staff_client()

    def emails(query, **headers):
        html = client.get("/admin/", query_string={"q": query}, headers=headers).get_data(as_text=True)
        return re.findall(r'/admin/users/\d+">([^<]+)</a>', html)

    assert emails("0123") == [PATIENT_EMAIL]
    assert emails("0188") == ["other@example.com"]
    assert emails("9999") == []
    assert emails("PAT") == ["pat_tern@example.com", PATIENT_EMAIL]
    assert emails("pat_") == ["pat_tern@example.com"]  # "_" is a literal, not a wildcard
    assert emails("%") == []
    assert len(emails("")) == 5
    partial = client.get("/admin/", query_string={"q": "0123"}, headers=htmx())
    html = partial.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="user-results"')
    assert "HX-Request" in partial.headers["Vary"]


def test_user_list_pages(app, fake_vonage, admin_helper):
    for i in range(27):
        admin_helper.make_patient(f"p{i:02d}@example.com", phone=None)
    admin_helper.make_staff()
    client = admin_helper.staff_client()
    first = client.get("/admin/?q=p").get_data(as_text=True)
    assert "p00@example.com" in first and "p24@example.com" in first and "p25@example.com" not in first
    assert 'href="/admin/?page=2&amp;q=p"' in first
    second = client.get("/admin/?q=p&page=2").get_data(as_text=True)
    assert "p25@example.com" in second and "p26@example.com" in second and "Previous page" in second


def test_user_detail_shows_the_facts(world):
    page = world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
    assert PATIENT_EMAIL in page and "+1 ••• ••• 0123" in page
    assert "<dt>Recovery codes left</dt><dd>3</dd>" in page
    if world.app.config["SESSION_TYPE"] == "redis":
        assert "<dt>Active sessions</dt>\n    <dd>1</dd>" in page
    else:
        assert "Not available" in page  # session files can't be counted
    assert "Chrome" in page or "Unknown browser" in page  # the trusted browser
    assert "Signed in" in page and "Browser trusted" in page  # events in plain words
    for label in ("Reset two-factor", "Forget all trusted browsers", "Sign out everywhere", "Lock account"):
        assert label in page


@pytest.mark.settings(SESSION_TYPE="redis", SESSION_REDIS_URL=FixtureValue("private_redis", "url"))
class TestSessionsInRedis:
    @pytest.fixture
    def private_redis(self, tmp_path):
        server = PrivateRedis(tmp_path).start()  # skips when redis-server isn't installed
        yield server
        server.stop()

    def test_active_sessions_are_counted(self, world, fake_vonage, auth):
        def shown():
            page = world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
            return int(re.search(r"<dt>Active sessions</dt>\s*<dd>(\d+)</dd>", page).group(1))

        assert shown() == 1
        second = world.app.test_client()
        with later(1):
            auth.sign_in_fully(PATIENT_EMAIL, phone=PHONE, client=second)
            assert shown() == 2
            second.post("/signout")
            assert shown() == 1
            world.act("sign-out")
            assert shown() == 0


class FakeRedis:
    def __init__(self, store):
        self.store = store

    def scan_iter(self, match, count):
        prefix = match.rstrip("*").replace("\\", "")
        return iter([k for k in self.store if k.startswith(prefix)])

    def mget(self, keys):
        return [self.store[k] for k in keys]


def test_session_counting_counts_only_live_current_sessions(app, monkeypatch, admin_helper):
    import msgspec

    from app.admin import sessions
    from app.extensions import db
    from app.models import User

    patient_id = admin_helper.make_patient()
    now = 1_000_000.0
    encode = msgspec.msgpack.encode
    live = {"_user_id": f"{patient_id}:1", "created_at": now - 60, "seen_at": now - 60}
    store = {
        "session:a": encode(live),
        "session:b": encode(live),
        "session:old-version": encode(live | {"_user_id": f"{patient_id}:0"}),
        "session:idle": encode(live | {"seen_at": now - 3600}),
        "session:too-long": encode(live | {"created_at": now - 13 * 3600}),
        "session:pending": encode({"pending": {"uid": patient_id}}),
        "session:garbage": b"\xc1not msgpack",
        "session:other": encode(live | {"_user_id": "99:1"}),
        "LIMITS:x": encode(live),
    }

    class Interface:
        key_prefix = "session:"
        client = FakeRedis(store)
        serializer = app.session_interface.serializer

    with app.app_context():
        user = db.session.get(User, patient_id)
        monkeypatch.setitem(app.config, "SESSION_TYPE", "cachelib")
        assert sessions.count_active(user, now) is None  # session files: not countable
        monkeypatch.setitem(app.config, "SESSION_TYPE", "redis")
        monkeypatch.setattr(app, "session_interface", Interface())
        monkeypatch.setattr(sessions, "BATCH", 3)
        assert sessions.count_active(user, now) == 2
