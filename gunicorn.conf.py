"""Gunicorn settings for production: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value below can be changed from the environment without editing this file:

  GUNICORN_BIND       address to listen on (default 127.0.0.1:8000; a load balancer on
                      another host needs e.g. 0.0.0.0:8000 on a private network)
  WEB_CONCURRENCY     worker processes (default 2 x cores + 1, at most 12)
  GUNICORN_THREADS    threads per worker (default 4)
  GUNICORN_TIMEOUT    seconds a worker may stay silent before it is restarted (default 30)
  GUNICORN_KEEPALIVE  seconds an idle keep-alive connection stays open (default 5)
  GUNICORN_ACCESSLOG  access log target: "-" = stderr (default), a file path, or "off"
  GUNICORN_MAX_REQUESTS  recycle a worker after this many requests (default 0: never)
  FORWARDED_ALLOW_IPS addresses of the proxies whose X-Forwarded-Proto is believed
  GUNICORN_CONTROL_SOCKET  path for gunicornc's control socket (default: none)

Worker class: gthread. Each request spends its time in three places: argon2 (CPU, about
20-100 ms, in C and releasing the GIL), the database and Redis (short waits), and -- on
sign-in -- an HTTPS call to Vonage that may wait up to VONAGE_TIMEOUT seconds. With sync
workers one slow Vonage call or one slow client holds a whole process; threads keep the
process serving while it waits, for far less memory than more processes. Every thread
holds at most one database connection, so each host opens at most
WEB_CONCURRENCY x GUNICORN_THREADS connections to PostgreSQL (size max_connections for
all hosts together). gevent is not used: it would have to monkey-patch psycopg and redis.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "wsgi:app"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Each worker builds its own app (and database/Redis pools) after the fork: nothing
# connection-like is shared between processes.
preload_app = False

timeout = _int("GUNICORN_TIMEOUT", 30)  # > VONAGE_TIMEOUT (10 s) plus an argon2 hash
graceful_timeout = 30  # in-flight requests finish on deploy/restart (SIGTERM)
# Behind a load balancer that reuses connections, set this ABOVE its idle timeout so the
# balancer, not gunicorn, closes idle ones (else it may send on a just-closed one: 502).
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Worker recycling is off by default: no leak is known, and a restart costs a full app
# start (about a second of CPU) -- every few seconds per worker at benchmark rates.
# GUNICORN_MAX_REQUESTS=N turns it on (with 10 % jitter so workers don't restart together).
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Bounds on request size before Flask sees it (Flask's MAX_CONTENT_LENGTH caps bodies).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Only these proxies may tell gunicorn the request was https (X-Forwarded-Proto). The
# client's address for rate limits and the audit trail comes from X-Forwarded-For via
# the app's PROXY_FIX_X_FOR setting (number of trusted proxies), not from gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: the path without the query string (%(U)s, not %(r)s), and no Referer, so
# nothing sensitive that ever lands in a URL is written to disk. Security events are
# logged by the app itself (one line each, JSON in production).
_accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
accesslog = None if _accesslog == "off" else _accesslog
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "healthrec"

# Gunicorn >= 25.1 opens a control socket at one fixed path per user by default, which
# several servers on one host would fight over; opt in with a path of your own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
