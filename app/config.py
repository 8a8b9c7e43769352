"""Safe defaults for every configuration key; no secrets live here.

Layers, last wins: this module -> instance/config.py -> FLASK_* environment
variables -> test_config. Every key is listed in the README's configuration table.
"""

from datetime import timedelta

# Deployment profile: "development", "production" or "testing".
APP_ENV = "development"
APP_NAME = "Health Records"

# The site's one canonical public origin (scheme, host, port): the WebOTP line of every
# text, links in emails and the WebAuthn relying party come from it, never from the
# request's Host header. Development defaults to http://localhost:<FLASK_RUN_PORT or 5000>;
# production refuses to start without it.
PUBLIC_URL = None
# Hosts requests may be addressed to (Flask's own allow-list; the port is ignored). In
# production it defaults to PUBLIC_URL's host; other hosts get 400, the health endpoints aside.
TRUSTED_HOSTS = None

# Filled in by load_config: a generated key in development, required in production.
SECRET_KEY = None
SECRET_KEY_FALLBACKS: list[str] = []

# Fernet keys for authenticator-app secrets at rest, newest first (a list, or comma-separated
# from the environment): the newest encrypts, all decrypt; `flask totp rotate-keys` re-encrypts
# with the newest. Separate from SECRET_KEY so either can rotate alone. Development generates
# one into instance/config.py; production refuses to start without it.
TOTP_ENCRYPTION_KEYS: list[str] = []

# Database: SQLite file in instance/ unless a URI is configured.
SQLALCHEMY_DATABASE_URI = None
SQLITE_BUSY_TIMEOUT_MS = 15000

# Server-side sessions: "cachelib" (files in instance/sessions) or "redis".
SESSION_TYPE = "cachelib"
SESSION_REDIS_URL = None
SESSION_FILE_DIR = None
# Session ids are 32 random bytes from secrets; signing them adds nothing.
SESSION_USE_SIGNER = False
SESSION_KEY_PREFIX = "session:"
SESSION_COOKIE_NAME = "session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
SESSION_IDLE_TIMEOUT = 30 * 60
# Rewrite the stored session only when it changed, not on every request. The idle clock
# (seen_at) changes at most once a minute, and each such write renews the store's expiry,
# so a live session is re-saved at least once a minute; a page view costs one read.
SESSION_REFRESH_EACH_REQUEST = False
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
# Lifetime of a stored session that is neither signed in nor half signed in (it holds a
# CSRF token and maybe a message): short, so cookie-less visits can't pile up records.
ANON_SESSION_TTL_SECONDS = 10 * 60
PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_IDLE_TIMEOUT)

# CSRF tokens live as long as the session that holds them.
WTF_CSRF_TIME_LIMIT = None
# Checked by our own hook after the rate limits (app/bootstrap.py), so a refused form
# can't store a new session without being counted first.
WTF_CSRF_CHECK_DEFAULT = False

# Requests bodies above this many bytes are refused with 413.
MAX_CONTENT_LENGTH = 64 * 1024

# Two-factor rules.
CODE_TTL_SECONDS = 10 * 60
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_COOLDOWN_SECONDS = 30
# Texts (codes and notices) per account and per destination number in any hour. Sized so a
# person working through every two-factor step twice in an hour stays well under them; the
# pumping defence is the per-number cap (across accounts), the per-IP and site-wide limits.
SMS_MAX_PER_USER_PER_HOUR = 30
SMS_MAX_PER_NUMBER_PER_HOUR = 20
CODE_FAILURE_CAP = 100
PENDING_SIGNIN_TTL_SECONDS = 10 * 60
REAUTH_MAX_AGE_SECONDS = 15 * 60
SIGNIN_FAILURES_PER_HOUR = 10
WRONG_CODE_NOTICE_AFTER = 3

# Second-factor methods. The authenticator app (RFC 6238): 30 s steps, 6 digits, SHA-1 (what
# every app supports); a code one step early or late is accepted, each step only once.
TOTP_ISSUER = None  # the name shown in the app; APP_NAME when None
# Staff need a passkey or an authenticator app (not SMS alone) to enter the admin area.
STAFF_REQUIRE_STRONG_METHOD = False

# Trusted browsers.
TRUST_COOKIE_NAME = "trusted_device"
TRUSTED_DEVICE_DAYS = 90

# Phone numbers.
DEFAULT_COUNTRY = "US"
SMS_ALLOWED_COUNTRIES = "US,CA,GB,IE,AU,NZ,DE,FR,NL,SE"

# SMS delivery: "console" (development), "vonage" or "memory" (tests).
SMS_BACKEND = "console"
VONAGE_API_KEY = None
VONAGE_API_SECRET = None
VONAGE_SMS_FROM = "HealthRec"
# Sender per country calling code, over VONAGE_SMS_FROM: e.g. {"1": "+12015550100"}, since US and
# Canadian carriers drop texts from alphanumeric senders (production refuses +1 countries without one).
VONAGE_SMS_FROM_BY_COUNTRY: dict[str, str] = {}
VONAGE_REST_HOST = None
# Seconds to wait for Vonage's answer (whole seconds: the SDK takes an int). A text that got no
# answer in time may still arrive, so its code stays valid (see codes.send_code).
VONAGE_TIMEOUT = 10
# Vonage calls at once per process; when all are busy a send is refused at once ("try again in
# a moment") instead of queueing, so a slow Vonage holds at most this many request threads.
# Keep it below GUNICORN_THREADS. 0 = no cap.
SMS_MAX_CONCURRENT_SENDS = 2

# Password hashes (argon2id, 46 MiB each) at once per process; more wait up to
# ARGON2_MAX_WAIT_SECONDS for a slot, then get 503 with Retry-After. 0 = no cap.
ARGON2_MAX_CONCURRENT = 2
ARGON2_MAX_WAIT_SECONDS = 5

# Per-IP and global request limits (Flask-Limiter); product caps above stay on regardless.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
# Off: Flask-Limiter would overwrite a product limit's Retry-After (e.g. the 30 s resend
# cooldown) with the reset time of an unbroken per-IP window; app/errors.py sets its own.
RATELIMIT_HEADERS_ENABLED = False
RATELIMIT_SIGNIN = "20 per minute"
RATELIMIT_SMS_PER_IP = "20 per hour"
RATELIMIT_SMS_GLOBAL = "120 per minute"
# Per IP, on requests that arrive without a live session (each may store a new one).
RATELIMIT_NEW_SESSIONS = "20 per minute"

# Number of trusted reverse proxies (load balancers) in front of the app; 0 = clients
# connect directly. With N > 0 the client address comes from X-Forwarded-For (N hops).
PROXY_FIX_X_FOR = 0

# Audit rows keep the client's IP address and user agent this many days; `flask cleanup`
# then blanks them (the event itself stays).
AUDIT_CLIENT_RETENTION_DAYS = 90

# Structured JSON security log lines (on by default in production).
LOG_JSON = None

# Mail: "console" (development: printed and listed at /dev/outbox), "smtp" or "memory" (tests).
MAIL_BACKEND = "console"
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_FROM = "Health Records <no-reply@localhost>"
MAIL_TIMEOUT = 10
# Mail is composed in the request and sent by a queue, so no answer waits on SMTP:
# "thread" (a background thread in each process) or "redis" (a list on MAIL_REDIS_URL,
# drained by `flask mail-worker`; messages survive a restart of the app hosts).
MAIL_QUEUE = "thread"
MAIL_REDIS_URL = None
MAIL_QUEUE_KEY = "mail:queue"

# Links sent by mail (single use, stored only as keyed digests).
EMAIL_VERIFY_TTL_SECONDS = 24 * 60 * 60
PASSWORD_RESET_TTL_SECONDS = 60 * 60
# Reset links per address in any hour (counted from audit rows, known address or not);
# further requests get the same answer and send nothing.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 3
RATELIMIT_PASSWORD_RESET = "10 per hour"
# Verification links one account may ask to be resent in any hour.
EMAIL_VERIFY_RESENDS_PER_HOUR = 3
# A staff reset of two-factor waits this long (the owner can cancel it) unless staff
# recorded that they verified the person's identity.
STAFF_RESET_DELAY_SECONDS = 24 * 60 * 60
