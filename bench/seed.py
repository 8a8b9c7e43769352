"""Bulk seeding (users, trusted browsers, audit rows) and an EXPLAIN check of the hot paths."""

import hashlib
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

BENCH_PASSWORD = "Bench-Kettle-Orbit-42"
EVENT_TYPES = ["signin_success", "signin_failed", "code_sent", "code_verified", "device_trusted", "signout"]
BIG_TABLES = ("users", "trusted_devices", "security_events", "verification_codes", "recovery_codes")


def bench_user(i: int) -> dict:
    """The i-th virtual user of the load driver (two-factor on, its own number)."""
    return {"email": f"bench{i}@example.com", "password": BENCH_PASSWORD, "phone": f"+1201555{i:04d}"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Seeder:
    """Grow the database to a target size in bulk (COPY on PostgreSQL, executemany on SQLite)."""

    def __init__(self, database_url: str, password_hash: str) -> None:
        self.url = make_url(database_url)
        self.postgres = self.url.get_backend_name() == "postgresql"
        self.password_hash = password_hash
        self.rng = random.Random(42)

    def _connect(self):
        if self.postgres:
            import psycopg

            return psycopg.connect(self.url.set(drivername="postgresql").render_as_string(hide_password=False))
        import sqlite3

        conn = sqlite3.connect(self.url.database, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        # A bulk load, not the app: a big page cache for the random-order index inserts.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        return conn

    def _write(self, conn, table: str, columns: list[str], rows) -> int:
        count = 0
        if self.postgres:
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 20000:
                    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
                count += len(batch)
        return count

    def _scalar(self, conn, sql: str):
        cur = conn.cursor()
        cur.execute(sql)
        value = cur.fetchone()[0]
        cur.close()
        return value

    def grow_to(self, *, users: int, devices: int, events: int, codes: int, bench_users: int) -> dict:
        """Add rows until the tables hold (at least) these counts; return counts and seconds."""
        started = time.monotonic()
        now = _now()
        conn = self._connect()
        try:
            have = self._scalar(conn, "SELECT count(*) FROM users")
            user_cols = ["email", "password_hash", "is_staff", "session_version", "phone_e164", "phone_last4",
                         "consecutive_code_failures", "created_at", "password_changed_at"]

            def user_rows():
                for i in range(have, users):
                    if i < bench_users:
                        u = bench_user(i)
                        email, phone = u["email"], u["phone"]
                    else:
                        email = f"user{i}@example.org"
                        phone = f"+1302{5550000 + i:07d}" if self.rng.random() < 0.6 else None
                    created = now - timedelta(days=self.rng.randint(1, 700))
                    yield (email, self.password_hash, False, 1, phone, phone[-4:] if phone else None, 0,
                           created, created)

            self._write(conn, "users", user_cols, user_rows())
            ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id").fetchall()]
            have_devices = self._scalar(conn, "SELECT count(*) FROM trusted_devices")
            have_events = self._scalar(conn, "SELECT count(*) FROM security_events")
            device_cols = ["user_id", "token_digest", "name", "ip", "created_at", "last_used_at", "expires_at"]

            def device_rows():
                for j in range(have_devices, devices):
                    created = now - timedelta(days=self.rng.randint(0, 100))
                    yield (self.rng.choice(ids), hashlib.sha256(f"seed-device-{j}".encode()).hexdigest(),
                           "Firefox on Linux", "192.0.2.10", created, created, created + timedelta(days=90))

            event_cols = ["user_id", "actor_id", "type", "subject", "created_at", "ip", "user_agent", "details"]

            def event_rows():
                for k in range(have_events, events):
                    uid = self.rng.choice(ids)
                    kind = self.rng.choice(EVENT_TYPES)
                    subject = hashlib.sha256(f"seed-subject-{uid}".encode()).hexdigest() if kind.startswith(
                        "signin") else None
                    yield (uid, uid, kind, subject, now - timedelta(minutes=self.rng.randint(0, 200000)),
                           "192.0.2.10", "Mozilla/5.0 (seed)", None)

            have_codes = self._scalar(conn, "SELECT count(*) FROM verification_codes")
            code_cols = ["user_id", "purpose", "phone_e164", "digest", "created_at", "expires_at", "attempts",
                         "consumed_at"]
            others = ids[bench_users:] or ids  # the load driver's own users keep their caps free

            def code_rows():
                # What cleanup leaves: about the last hour of sign-in codes, mostly used.
                for n in range(have_codes, codes):
                    created = now - timedelta(seconds=self.rng.randint(60, 3900))
                    yield (self.rng.choice(others), "signin", f"+1302{5550000 + n % 100000:07d}",
                           hashlib.sha256(f"seed-code-{n}".encode()).hexdigest(), created,
                           created + timedelta(minutes=10), 0, created + timedelta(seconds=40))

            self._write(conn, "trusted_devices", device_cols, device_rows())
            self._write(conn, "security_events", event_cols, event_rows())
            self._write(conn, "verification_codes", code_cols, code_rows())
            conn.commit()
            if self.postgres:
                conn.execute("ANALYZE")
                conn.commit()
            else:
                conn.execute("ANALYZE")
                # Fold the bulk load into the database file so readers don't wade through the WAL.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            counts = {t: self._scalar(conn, f"SELECT count(*) FROM {t}")
                      for t in ("users", "trusted_devices", "security_events", "verification_codes")}
        finally:
            conn.close()
        return {**counts, "seconds": round(time.monotonic() - started, 1)}


def explain_hot_paths(app_config: dict, user: dict) -> list[dict]:
    """Run a sign-in (new device, code), a trusted sign-in and a page view in-process,
    EXPLAIN every statement they sent, and return the ones that scan a big table."""
    from app import create_app
    from app.extensions import db

    app = create_app({**app_config, "WTF_CSRF_ENABLED": False, "SMS_BACKEND": "memory",
                      "RATELIMIT_ENABLED": False})
    seen: dict[str, object] = {}
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")) and not executemany:
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", record)
    try:
        client = app.test_client()
        client.post("/signin", data={"email": user["email"], "password": user["password"]})
        sender = app.extensions["sms_sender"]
        if not sender.messages:
            raise RuntimeError("the EXPLAIN sign-in sent no code (a product cap?)")
        code = sender.messages[-1]["text"].split("code is ")[1][:6]
        client.post("/signin/verify", data={"code": code, "trust": "on"})
        client.get("/account")
        client.post("/signout")
        client.post("/signin", data={"email": user["email"], "password": user["password"]})  # trusted now
        client.get("/account")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    postgres = engine.dialect.name == "postgresql"
    findings = []
    with engine.connect() as conn:
        # A full scan of a table of a few hundred rows is the planner's right choice.
        big = [t for t in BIG_TABLES if conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() >= 10_000]
        for statement, parameters in seen.items():
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
            plan = "\n".join(str(r[-1]) for r in rows)
            scans = [t for t in big if _scans(plan, t, postgres)]
            if scans:
                findings.append({"tables": scans, "statement": " ".join(statement.split())[:240], "plan": plan})
        conn.rollback()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return [{"statements": len(seen)}] + findings


def _scans(plan: str, table: str, postgres: bool) -> bool:
    if postgres:
        return f"Seq Scan on {table}" in plan
    # SQLite: "SCAN t" reads the whole table (or a whole index); "SEARCH t USING ..." does not.
    return any(line.strip().startswith(f"SCAN {table}") for line in plan.splitlines())
