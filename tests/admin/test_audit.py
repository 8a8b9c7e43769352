"""The audit log: filters, pages, a streamed CSV export of the filtered view, and append-only rows."""

import csv
import io
import json
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from app.models import SecurityEvent
from app.security import audit
from app.security.append_only import AppendOnlyError
from tests.admin.helpers import PATIENT_EMAIL, cheap_password_hashing
from tests.support import htmx

DAY = datetime(2025, 3, 1, 9, 30)


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


@pytest.fixture
def staff(app, fake_vonage, admin_helper):
    admin_helper.make_staff()
    return admin_helper.staff_client()


def seed(app, rows: list[dict]) -> None:
    """Insert events in one statement (executemany), as fast as SQLite takes them."""
    from app.extensions import db

    with app.app_context():
        db.session.connection().execute(insert(SecurityEvent.__table__), rows)
        db.session.commit()


def event(user_id, kind, when, **details) -> dict:
    return {"user_id": user_id, "actor_id": user_id, "type": kind, "created_at": when, "ip": "192.0.2.7",
            "user_agent": "Firefox", "details": json.dumps(details) if details else None}


@pytest.fixture
def history(app, staff, admin_helper):
    """Two patients' events over a week of March 2025."""
    alice = admin_helper.make_patient("alice@example.com", phone=None)
    bob = admin_helper.make_patient("bob@example.com", phone=None)
    rows = []
    for day in range(7):
        for who in (alice, bob):
            rows.append(event(who, audit.SIGNIN_SUCCESS, DAY + timedelta(days=day), method="password"))
            rows.append(event(who, audit.CODE_FAILED, DAY + timedelta(days=day, hours=1), attempt=1))
    seed(app, rows)
    return {"alice": alice, "bob": bob}


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def expected_ids(app, *conditions) -> list[int]:
    from app.extensions import db

    with app.app_context():
        stmt = select(SecurityEvent.id).where(*conditions)
        return list(db.session.scalars(stmt.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())))


@pytest.mark.parametrize("args, conditions", [
    ({"user": "Alice@Example.com"}, lambda ids: [SecurityEvent.user_id == ids["alice"]]),
    ({"type": audit.CODE_FAILED}, lambda ids: [SecurityEvent.type == audit.CODE_FAILED]),
    ({"from": "2025-03-02", "to": "2025-03-03"},
     lambda ids: [SecurityEvent.created_at >= datetime(2025, 3, 2), SecurityEvent.created_at < datetime(2025, 3, 4)]),
    ({"user": "bob@example.com", "type": audit.SIGNIN_SUCCESS, "from": "2025-03-05"},
     lambda ids: [SecurityEvent.user_id == ids["bob"], SecurityEvent.type == audit.SIGNIN_SUCCESS,
                  SecurityEvent.created_at >= datetime(2025, 3, 5)]),
    ({"user": "nobody@example.com"}, lambda ids: [SecurityEvent.id < 0]),
])
def test_csv_export_matches_the_filter(app, staff, history, args, conditions):
    rows = read_csv(staff.get("/admin/audit.csv", query_string=args))
    assert [int(r["id"]) for r in rows] == expected_ids(app, *conditions(history))
    page = staff.get("/admin/audit", query_string=args).get_data(as_text=True)
    assert page.count("<tr>") - 1 == min(len(rows), 50) or (not rows and "No events." in page)


def test_csv_rows_carry_who_what_when_and_where(app, staff, history):
    rows = read_csv(staff.get("/admin/audit.csv?user=alice@example.com&type=code_failed&from=2025-03-07"))
    assert rows == [{"id": rows[0]["id"], "time_utc": "2025-03-07 10:30:00", "type": "code_failed",
                     "account": "alice@example.com", "actor": "", "ip": "192.0.2.7", "user_agent": "Firefox",
                     "reason": "", "details": '{"attempt": "1"}'}]


def test_the_log_lists_newest_first_in_pages(app, staff, history):
    first = staff.get("/admin/audit?from=2025-03-01&to=2025-03-31").get_data(as_text=True)
    assert first.index("07 Mar 2025, 10:30") < first.index("07 Mar 2025, 09:30") < first.index("06 Mar 2025")
    assert "Next page" not in first  # 28 events fit one page
    seed(app, [event(history["alice"], audit.CODE_SENT, DAY - timedelta(minutes=i)) for i in range(60)])
    first = staff.get("/admin/audit?user=alice@example.com").get_data(as_text=True)
    assert first.count("<tr>") == 51 and 'href="/admin/audit?page=2&amp;user=alice@example.com"' in first
    second = staff.get("/admin/audit?user=alice@example.com&page=2", headers=htmx())
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and html.lstrip().startswith('<section id="audit-results"')
    assert html.count("<tr>") == 1 + (1 + 14 + 60) - 50  # header + (sign-up, history, new rows) - page 1
    assert "Previous page" in html and "Next page" not in html


def test_bad_filters_are_explained_and_ignored(app, staff, history):
    response = staff.get("/admin/audit?type=made_up&from=yesterday&to=2025-02-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose an event type from the list." in html and "Enter a date like 2025-01-31." in html
    response = staff.get("/admin/audit.csv?type=made_up")
    assert response.status_code == 422 and response.mimetype == "text/html"  # never the whole log instead
    response = staff.get("/admin/audit?from=2025-03-05&to=2025-03-01", headers=htmx())
    assert response.status_code == 422 and "The end date is before the start date." in response.get_data(as_text=True)


def test_the_user_detail_links_to_their_filtered_log(app, staff, history):
    page = staff.get(f"/admin/users/{history['alice']}").get_data(as_text=True)
    assert 'href="/admin/audit?user=alice@example.com"' in page
    assert "bob@example.com" not in page


def test_csv_cells_cannot_become_formulas(app, staff, admin_helper):
    patient = admin_helper.make_patient(phone=None)
    nasty = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "plain"]
    seed(app, [event(patient, audit.ADMIN_LOCK, DAY + timedelta(minutes=i), reason=text) | {"user_agent": text}
               for i, text in enumerate(nasty)])
    rows = read_csv(staff.get(f"/admin/audit.csv?user={PATIENT_EMAIL}&type=admin_lock"))
    reasons = [r["reason"] for r in reversed(rows)]
    assert reasons == ["'=HYPERLINK(\"http://evil.example\")", "'+1+1", "'-2+3", "'@SUM(A1:A2)", "'\tTAB", "plain"]
    assert [r["user_agent"] for r in reversed(rows)] == reasons


def test_a_100k_row_export_streams_in_batches(app, staff, admin_helper):
    patient = admin_helper.make_patient(phone=None)
    total = 100_000
    start = datetime(2024, 1, 1)
    seed(app, [event(patient, audit.SIGNIN_FAILED, start + timedelta(seconds=i // 3), reason="password")
               for i in range(total)])
    began = time.monotonic()
    response = staff.get(f"/admin/audit.csv?type=signin_failed&user={PATIENT_EMAIL}", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    chunks = rows = 0
    ids = set()
    for chunk in response.response:
        chunks += 1
        if chunks == 2:
            # Between batches the export holds no transaction: a sign-in can still write.
            seed(app, [event(patient, audit.CODE_SENT, start)])
        lines = chunk.decode().splitlines() if isinstance(chunk, bytes) else chunk.splitlines()
        rows += len(lines)
        ids.update(line.split(",", 1)[0] for line in lines)
    response.close()
    assert rows == total + 1  # and the header
    assert len(ids) == total + 1  # every row once, none skipped or repeated across batches
    assert chunks >= total // 2000  # yielded batch by batch, never built whole
    assert time.monotonic() - began < 30


class TestAppendOnly:
    def test_the_orm_refuses_to_edit_or_delete_an_event(self, app, admin_helper):
        from app.extensions import db

        admin_helper.make_patient(phone=None)
        with app.app_context():
            entry = db.session.scalars(select(SecurityEvent)).first()
            entry.details = '{"reason": "rewritten"}'
            with pytest.raises(AppendOnlyError):
                db.session.flush()
            db.session.rollback()
            db.session.delete(db.session.scalars(select(SecurityEvent)).first())
            with pytest.raises(AppendOnlyError):
                db.session.flush()
            db.session.rollback()

    @pytest.mark.parametrize("statement", [
        update(SecurityEvent).values(details=None), delete(SecurityEvent),
        update(SecurityEvent).where(SecurityEvent.id == 1).values(type="x"),
    ])
    def test_bulk_statements_are_refused_too(self, app, statement, admin_helper):
        from app.extensions import db

        admin_helper.make_patient(phone=None)
        with app.app_context():
            with pytest.raises(AppendOnlyError):
                db.session.execute(statement)
            db.session.rollback()
            assert db.session.scalar(select(SecurityEvent.type).where(SecurityEvent.id == 1)) == audit.SIGNUP

    def test_staff_screens_offer_no_way_to_change_the_log(self, app, staff):
        methods = {m for r in app.url_map.iter_rules() if r.endpoint in ("admin.audit", "admin.audit_csv")
                   for m in r.methods}
        assert methods <= {"GET", "HEAD", "OPTIONS"}
        assert staff.post("/admin/audit").status_code == 405
