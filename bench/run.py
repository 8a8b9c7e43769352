"""`make bench`: load and speed benchmarks against gunicorn on 127.0.0.1, reported as ratios.

Prints one JSON line per measurement and writes bench/out/results.jsonl and
bench/out/summary.md (bench/RESULTS.md records a reviewed run).

  statements SQL statements per request of an SMS sign-in and of a signed-in page (in-process)
  backends   embedded (SQLite + session files) and, if reachable, PostgreSQL + Redis
  matrix     2 and 4 gunicorn workers x 8 and 32 virtual users x baseline/page/signin; sign-in
             throughput against the argon2 limit (cores / verify time), peak RSS per worker
  slow       a slow Vonage (answers after 3 s; then one that hangs until VONAGE_TIMEOUT): 8 users
             browsing alone, then beside 32 signing in; with the send cap on and (3 s) off
  scale      page and signin at 1,000 users, then again at 100,000 users with 500,000
             trusted browsers and 500,000 audit rows; plus an EXPLAIN of every hot-path query

Environment: BENCH_SECONDS (measured seconds per run, default 8), BENCH_WARMUP (2),
BENCH_PARTS ("statements,matrix,slow,scale"), BENCH_WORKERS ("2,4"),
BENCH_BACKENDS ("embedded,services"), BENCH_DATABASE_URL (PostgreSQL database to create and
drop, default postgresql+psycopg://postgres@127.0.0.1:5432/healthrec_bench),
BENCH_REDIS_URL (redis://127.0.0.1:6379/10; keys under a "bench-<pid>" prefix, removed after).
"""

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.seed import BENCH_PASSWORD, Seeder, bench_user, explain_hot_paths  # noqa: E402
from bench.stack import SECRET_KEY, Gunicorn, Vonage, app_env, run_migrations  # noqa: E402

OUT = ROOT / "bench" / "out"
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
PARTS = {p.strip() for p in os.environ.get("BENCH_PARTS", "statements,matrix,slow,scale").split(",")}
WORKERS = tuple(int(w) for w in os.environ.get("BENCH_WORKERS", "2,4").split(","))
USERS = (8, 32)
# The slow-Vonage scenario: 8 browsing users (bench users 32-39) beside 32 signing in (0-31).
BROWSERS, SIGNERS = 8, 32
BASE_SIZE = {"users": 1_000, "devices": 5_000, "events": 5_000, "codes": 500}
SCALE_SIZE = {"users": 100_000, "devices": 500_000, "events": 500_000, "codes": 50_000}
# Product caps stay on in the app; the load needs them generous (many sign-ins per user).
SCALE_ROUNDS = 2
LOAD_CONFIG = {"FLASK_RATELIMIT_ENABLED": "false", "FLASK_SMS_MAX_PER_USER_PER_HOUR": "1000000",
               "FLASK_SMS_MAX_PER_NUMBER_PER_HOUR": "1000000", "FLASK_CODE_RESEND_COOLDOWN_SECONDS": "0"}

results: list[dict] = []
verify_ms: float | None = None  # argon2's measured verify time: the sign-in limit is cores / it


def emit(record: dict) -> None:
    results.append(record)
    print(json.dumps(record), flush=True)


def machine() -> dict:
    memory_gb = None
    try:
        with open("/proc/meminfo") as fh:
            memory_gb = round(int(fh.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {"scenario": "machine", "cores": os.cpu_count(), "memory_gb": memory_gb, "cpu": cpu,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.machine()}"}


def argon2_cost() -> dict:
    """Time one argon2id hash and one verify with the app's parameters."""
    from app.security.passwords import hash_password, hasher, verify_password

    hashes, verifies, verify_cpu = [], [], []
    for _ in range(10):
        started = time.perf_counter()
        stored = hash_password("Bench-Kettle-Orbit-42")
        hashes.append(time.perf_counter() - started)
        started, cpu = time.perf_counter(), time.thread_time()
        verify_password(stored, "Bench-Kettle-Orbit-42")
        verifies.append(time.perf_counter() - started)
        verify_cpu.append(time.thread_time() - cpu)
    global verify_ms
    # CPU time, not wall time: other load on the machine stretches the wall clock, not the work.
    verify_ms = statistics.median(verify_cpu) * 1000
    return {"scenario": "argon2", "variant": "argon2id", "time_cost": hasher.time_cost,
            "memory_cost_kib": hasher.memory_cost, "parallelism": hasher.parallelism,
            "hash_ms_median": round(statistics.median(hashes) * 1000, 1),
            "verify_ms_median": round(statistics.median(verifies) * 1000, 1),
            "verify_cpu_ms_median": round(verify_ms, 1)}


def statement_counts(workdir: Path) -> dict:
    """Count the SQL statements of an SMS sign-in and a signed-in page, and time them, in-process on SQLite."""
    from app import create_app
    from app.extensions import db
    from app.security import accounts
    from app.security.audit import SYSTEM
    from bench.statements import count_scenarios, sms_signin_steps

    user = bench_user(0)
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": SECRET_KEY, "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'statements.db'}",
                      "SESSION_TYPE": "cachelib", "SESSION_FILE_DIR": str(workdir / "statement-sessions"),
                      "SMS_BACKEND": "memory",
                      **{key.removeprefix("FLASK_"): json.loads(value) for key, value in LOAD_CONFIG.items()}})
    with app.app_context():
        db.create_all()
        created = accounts.create_user(user["email"], BENCH_PASSWORD, SYSTEM)
        created.phone_e164, created.phone_last4 = user["phone"], user["phone"][-4:]
        db.session.commit()
        created_id, user_model = created.id, type(created)
    sender = app.extensions["sms_sender"]
    read_code = lambda: sender.messages[-1]["text"].split("code is ")[1][:6]  # noqa: E731
    counts = count_scenarios(app, user["email"], BENCH_PASSWORD, read_code)
    emit({"scenario": "statements", "backend": "embedded", **counts})
    # Server CPU without gunicorn or a network: the same app, requests through the test client.
    flows = _cpu_ms_each(20, lambda: [step() for _, step in
                                      sms_signin_steps(app.test_client(), user["email"], BENCH_PASSWORD, read_code)])
    # The same flow with a trivial argon2 cost (the hash's own parameters decide a verify's cost):
    # what a flow costs outside argon2, measured directly rather than as a difference of two noisy figures.
    from argon2 import PasswordHasher

    from app.security import passwords

    cheap, real = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16), passwords.hasher
    with app.app_context():
        db.session.get(user_model, created_id).password_hash = cheap.hash(BENCH_PASSWORD)
        db.session.commit()
    passwords.hasher = cheap
    try:
        outside = _cpu_ms_each(20, lambda: [step() for _, step in
                                            sms_signin_steps(app.test_client(), user["email"], BENCH_PASSWORD,
                                                             read_code)])
    finally:
        passwords.hasher = real
    client = app.test_client()
    for _, step in sms_signin_steps(client, user["email"], BENCH_PASSWORD, read_code):
        step()
    page = _cpu_ms_each(300, lambda: client.get("/account"))
    livez = _cpu_ms_each(300, lambda: client.get("/livez"))
    with app.app_context():
        db.engine.dispose()
    return {"scenario": "inprocess_cpu", "backend": "embedded", "signin_flow_ms": flows,
            "signin_outside_argon2_ms": outside,
            "page_ms": page, "livez_ms": livez, "livez/page": _ratio(livez, page)}


def _cpu_ms_each(times: int, call) -> float:
    """Median CPU milliseconds of call() over `times` runs (5 warm-up runs first)."""
    for _ in range(5):
        call()
    spent = []
    for _ in range(times):
        started = time.thread_time()
        call()
        spent.append(time.thread_time() - started)
    return round(statistics.median(spent) * 1000, 3)


class Backend:
    """A fresh database (and Redis prefix) for one benchmark backend."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.prefix = f"bench-{os.getpid()}"
        if name == "embedded":
            self.database_url = f"sqlite:///{workdir / 'bench.db'}"
            self.redis_url = None
        else:
            from sqlalchemy.engine import make_url

            self.database_url = os.environ.get(
                "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/healthrec_bench")
            assert make_url(self.database_url).host in ("127.0.0.1", "localhost")
            self.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")

    def env(self, vonage: Vonage) -> dict:
        return app_env(database_url=self.database_url, redis_url=self.redis_url, redis_prefix=self.prefix,
                       session_dir=str(self.workdir / "sessions"), extra={**vonage.server_env(), **LOAD_CONFIG})

    def app_config(self) -> dict:
        """The same configuration, for an in-process app (the EXPLAIN check)."""
        config = {"APP_ENV": "testing", "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": self.database_url,
                  **{key.removeprefix("FLASK_"): json.loads(value) for key, value in LOAD_CONFIG.items()}}
        if self.redis_url:
            config.update(SESSION_TYPE="redis", SESSION_REDIS_URL=self.redis_url,
                          SESSION_KEY_PREFIX=f"{self.prefix}:session:")
        else:
            config.update(SESSION_TYPE="cachelib", SESSION_FILE_DIR=str(self.workdir / "sessions"))
        return config

    def create(self) -> None:
        if self.name != "embedded":
            self._admin(create=True)

    def drop(self) -> None:
        if self.name != "embedded":
            self._admin(create=False)
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"*{self.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()

    def _admin(self, *, create: bool) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        engine.dispose()

    def reachable(self) -> str | None:
        if self.name == "embedded":
            return None
        try:
            import redis
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            engine = create_engine(make_url(self.database_url).set(database="postgres"),
                                   connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).ping()
        except Exception as exc:  # report and skip this backend
            return f"{type(exc).__name__}: {exc}"[:200]
        return None


def measure(backend: Backend, server: Gunicorn, vonage: Vonage, scenario: str, users: int, workers: int,
            stage: str) -> dict:
    figures = load.run(scenario, server.url, vonage.desk_url, [bench_user(i) for i in range(users)],
                       warmup=WARMUP, duration=SECONDS, cpu_probe=server.cpu_seconds)
    record = {"backend": backend.name, "stage": stage, "workers": workers, **figures}
    emit(record)
    return record


def bench_backend(name: str, vonage: Vonage, workdir: Path) -> None:
    from app.security.passwords import hash_password

    backend = Backend(name, workdir)
    problem = backend.reachable()
    if problem:
        emit({"scenario": "skipped", "backend": name, "reason": problem})
        return
    backend.create()
    try:
        env = backend.env(vonage)
        run_migrations(env)
        seeder = Seeder(backend.database_url, hash_password(bench_user(0)["password"]))
        emit({"scenario": "seed", "backend": name,
              **seeder.grow_to(**BASE_SIZE, bench_users=max(max(USERS), BROWSERS + SIGNERS))})
        for workers in (WORKERS if "matrix" in PARTS else ()):
            server = Gunicorn(env, workers=workers, log_path=workdir / f"{name}-{workers}w.log").start()
            try:
                for users in USERS:
                    base = measure(backend, server, vonage, "baseline", users, workers, "matrix")
                    page = measure(backend, server, vonage, "page", users, workers, "matrix")
                    emit({"scenario": "page/baseline", "backend": name, "workers": workers, "users": users,
                          "ratio": _ratio(page["per_second"], base["per_second"]),
                          "server_cpu_ratio": _ratio(base.get("server_cpu_ms"), page.get("server_cpu_ms"))})
                    signin = measure(backend, server, vonage, "signin", users, workers, "matrix")
                    limit = (os.cpu_count() or 1) / (verify_ms / 1000) if verify_ms else None
                    emit({"scenario": "signin/argon2_limit", "backend": name, "workers": workers, "users": users,
                          "ratio": _ratio(signin["per_second"], limit), "limit_per_second": round(limit or 0, 1),
                          "server_cpu_ms_per_flow": signin.get("server_cpu_ms"),
                          "outside_argon2_ms": round(signin["server_cpu_ms"] - verify_ms, 1)
                          if signin.get("server_cpu_ms") and verify_ms else None,
                          "peak_rss_mb_per_worker": server.worker_peak_rss_mb()})
            finally:
                server.stop()
        if "slow" in PARTS and name == "embedded":  # one backend: the scenario is about threads, not storage
            slow_vonage(backend, env, vonage, workdir)
        if "scale" in PARTS:
            scale_check(backend, env, seeder, vonage, workdir)
    finally:
        backend.drop()


def slow_vonage(backend: Backend, env: dict, vonage: Vonage, workdir: Path) -> None:
    """Browsing alone, then beside 32 sign-ins, while Vonage answers the sign-ins' texts slowly.

    Variants: Vonage answers after 3 s (VONAGE_TIMEOUT 10), with the per-process send cap on and
    off; and Vonage hangs past VONAGE_TIMEOUT (2 s here, to keep the run short)."""
    import threading

    signers = [bench_user(i) for i in range(SIGNERS)]
    browsers = [bench_user(SIGNERS + i) for i in range(BROWSERS)]
    fake = vonage.fake
    fake.only_to = frozenset(u["phone"].lstrip("+") for u in signers)
    variants = (("slow-3s", 3.0, 10, 2), ("slow-3s", 3.0, 10, 0), ("hang", 4.0, 2, 2))
    try:
        for name, delay, timeout, cap in variants:
            server_env = {**env, "FLASK_VONAGE_TIMEOUT": str(timeout), "FLASK_SMS_MAX_CONCURRENT_SENDS": str(cap)}
            server = Gunicorn(server_env, workers=2, log_path=workdir / f"{backend.name}-{name}-{cap}.log").start()
            fake.failure, fake.slow_seconds = "slow", delay
            try:
                alone = load.run("page", server.url, vonage.desk_url, browsers, warmup=WARMUP, duration=SECONDS)
                mixed: dict[str, dict] = {}

                def drive(scenario, users, warmup, duration):
                    mixed[scenario] = load.run(scenario, server.url, vonage.desk_url, users, warmup=warmup,
                                               duration=duration)

                # The browsing users sign in first (their texts are answered at once, but the send
                # slots must be free); then the sign-ins start, and the page window lies inside theirs.
                page_numbers = [u["phone"].lstrip("+") for u in browsers]
                sent_before = sum(len(fake.sent_to(n)) for n in page_numbers)
                threads = [threading.Thread(target=drive, args=("page", browsers, WARMUP + 4, SECONDS)),
                           threading.Thread(target=drive, args=("signin_told", signers, WARMUP, SECONDS + 8))]
                threads[0].start()
                deadline = time.monotonic() + 60
                while (sum(len(fake.sent_to(n)) for n in page_numbers) < sent_before + len(browsers)
                       and time.monotonic() < deadline):
                    time.sleep(0.2)
                threads[1].start()
                for thread in threads:
                    thread.join()
                page, signin = mixed["page"], mixed["signin_told"]
                emit({"scenario": "slow_vonage", "backend": backend.name, "variant": name, "send_cap": cap,
                      "vonage_delay_s": delay, "vonage_timeout_s": timeout,
                      "page_p99_alone_ms": alone["p99_ms"], "page_p99_with_signins_ms": page["p99_ms"],
                      "p99_ratio": _ratio(page["p99_ms"], alone["p99_ms"]),
                      "page_per_second_alone": alone["per_second"], "page_per_second_with_signins": page["per_second"],
                      "signin_outcomes": signin.get("outcomes", {}), "signin_p50_ms": signin["p50_ms"],
                      "signin_p99_ms": signin["p99_ms"],
                      "errors": page["errors"] + signin["errors"] + alone["errors"],
                      "server_5xx": page["server_errors"] + signin["server_errors"] + alone["server_errors"],
                      "error_samples": (signin.get("error_samples", []) + page.get("error_samples", []))[:3]})
            finally:
                fake.failure = None
                fake.wait_idle(timeout=15)
                server.stop()
    finally:
        fake.only_to = None


def _ratio(numerator, denominator):
    return round(numerator / denominator, 3) if numerator and denominator else None


def scale_check(backend: Backend, env: dict, seeder: Seeder, vonage: Vonage, workdir: Path) -> None:
    """Page and signin at 1,000 users, then at 100,000: best of SCALE_ROUNDS runs each, as other
    load on the machine only ever slows a run down."""
    workers, users = 2, 8
    best = {}
    for stage, size in (("1k", None), ("100k", SCALE_SIZE)):
        if size:
            emit({"scenario": "seed", "backend": backend.name, **seeder.grow_to(**size, bench_users=max(USERS))})
            findings = explain_hot_paths(backend.app_config(), bench_user(max(USERS) - 1))
            emit({"scenario": "explain", "backend": backend.name, "statements": findings[0]["statements"],
                  "full_scans": findings[1:]})
        server = Gunicorn(env, workers=workers, log_path=workdir / f"{backend.name}-scale-{stage}.log").start()
        try:
            for _ in range(SCALE_ROUNDS):
                for scenario in ("page", "signin"):
                    run = measure(backend, server, vonage, scenario, users, workers, f"scale-{stage}")
                    kept = best.get((stage, scenario))
                    if kept is None or run["per_second"] > kept["per_second"]:
                        best[(stage, scenario)] = run
        finally:
            server.stop()
    for scenario in ("page", "signin"):
        small, big = best[("1k", scenario)], best[("100k", scenario)]
        slowdown = small["per_second"] / big["per_second"] if big["per_second"] else float("inf")
        emit({"scenario": f"scale/{scenario}", "backend": backend.name, "workers": workers, "users": users,
              "per_second_1k": small["per_second"], "per_second_100k": big["per_second"],
              "p50_ms_1k": small["p50_ms"], "p50_ms_100k": big["p50_ms"],
              "server_cpu_ms_1k": small.get("server_cpu_ms"), "server_cpu_ms_100k": big.get("server_cpu_ms"),
              "slowdown": round(slowdown, 3), "within_1_2x": slowdown <= 1.2})


def summary() -> str:
    lines = ["# Benchmark run", ""]
    for r in results:
        if r["scenario"] in ("machine", "argon2", "seed", "skipped", "explain"):
            lines.append(f"- `{json.dumps(r)}`")
    lines += ["", "| backend | workers | users | baseline req/s | page req/s | page/baseline | page/baseline by "
              "server CPU | page p50/p99 ms | signin flows/s | signin p50/p95/p99 ms | signin errors |",
              "|" + "---|" * 11]
    by = {(r.get("backend"), r.get("workers"), r.get("users"), r["scenario"]): r
          for r in results if r.get("stage") == "matrix"}
    for backend in ("embedded", "services"):
        for workers in WORKERS:
            for users in USERS:
                b, p, s = (by.get((backend, workers, users, k)) for k in ("baseline", "page", "signin"))
                if not (b and p and s):
                    continue
                ratio = _ratio(p["per_second"], b["per_second"])
                cpu_ratio = _ratio(b.get("server_cpu_ms"), p.get("server_cpu_ms"))
                lines.append(f"| {backend} | {workers} | {users} | {b['per_second']} | {p['per_second']} | "
                             f"{ratio} | {cpu_ratio} ({b.get('server_cpu_ms')}/{p.get('server_cpu_ms')} ms) | "
                             f"{p['p50_ms']}/{p['p99_ms']} | {s['per_second']} | "
                             f"{s['p50_ms']}/{s['p95_ms']}/{s['p99_ms']} | {s['errors']} |")
    lines += ["", "| backend | workers | users | signin flows/s | argon2 limit/s | ratio | server CPU ms/flow "
              "| outside argon2 ms | peak RSS MiB per worker |", "|" + "---|" * 9]
    for r in results:
        if r["scenario"] == "signin/argon2_limit":
            lines.append(f"| {r['backend']} | {r['workers']} | {r['users']} | "
                         f"{_find_signin(r)} | {r['limit_per_second']} | {r['ratio']} | {r['server_cpu_ms_per_flow']} "
                         f"| {r['outside_argon2_ms']} | {r['peak_rss_mb_per_worker']} |")
    for r in results:
        if r["scenario"] == "statements":
            lines.append(f"\nSQL statements: SMS sign-in flow {r['sms_signin_flow']} ({r['per_request']}), "
                         f"signed-in page {r['signed_in_page']}")
    lines += ["", "| backend | variant | send cap | page p99 alone ms | page p99 with 32 sign-ins ms | ratio "
              "| sign-in outcomes | 5xx | errors |", "|" + "---|" * 9]
    for r in results:
        if r["scenario"] == "slow_vonage":
            lines.append(f"| {r['backend']} | {r['variant']} | {r['send_cap']} | {r['page_p99_alone_ms']} "
                         f"| {r['page_p99_with_signins_ms']} | {r['p99_ratio']} | {r['signin_outcomes']} "
                         f"| {r['server_5xx']} | {r['errors']} |")
    lines += ["", "| backend | scenario | 1k per s | 100k per s | p50 1k ms | p50 100k ms | server CPU ms 1k "
              "| server CPU ms 100k | slowdown | within 1.2x |", "|" + "---|" * 10]
    for r in results:
        if r["scenario"].startswith("scale/"):
            lines.append(f"| {r['backend']} | {r['scenario'][6:]} | {r['per_second_1k']} | {r['per_second_100k']} "
                         f"| {r['p50_ms_1k']} | {r['p50_ms_100k']} | {r['server_cpu_ms_1k']} "
                         f"| {r['server_cpu_ms_100k']} | {r['slowdown']} | {r['within_1_2x']} |")
    return "\n".join(lines) + "\n"


def _find_signin(limit_record: dict):
    for r in results:
        if (r["scenario"] == "signin" and r.get("stage") == "matrix" and r.get("backend") == limit_record["backend"]
                and r.get("workers") == limit_record["workers"] and r.get("users") == limit_record["users"]):
            return r["per_second"]
    return None


def main() -> int:
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="healthrec-bench-"))
    try:
        emit(machine())
        emit(argon2_cost())
        if "statements" in PARTS:
            emit(statement_counts(workdir))
        vonage = Vonage(workdir)
        try:
            names = [n.strip() for n in os.environ.get("BENCH_BACKENDS", "embedded,services").split(",")
                     if n.strip()]
            for name in names:
                bench_backend(name, vonage, workdir)
        finally:
            vonage.stop()
    finally:
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"server logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    emit({"scenario": "total", "seconds": round(time.monotonic() - started, 1)})
    (OUT / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    (OUT / "summary.md").write_text(summary())
    # Exit 1 when the zero-errors target (32 users on the embedded default) was missed.
    failed = [r for r in results if r.get("errors") and r.get("stage") == "matrix"
              and r.get("backend") == "embedded" and r.get("users") == 32]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
