"""Every setting of the project. Environments differ through variables only.

With no variable set the app runs embedded: SQLite file, eager Celery tasks, console
email, DEBUG on, development keys. Each variable is listed in README.md and .env.example.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Public on purpose: used only with DEBUG on; production refuses to start without its own key.
_DEV_SECRET_KEY = "django-insecure-development-key-not-for-production-0123456789abcdef"  # noqa: S105  # nosec B105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production mode (DJANGO_DEBUG=false) refuses to start "
            "without a secret key: set DJANGO_SECRET_KEY to a long random string."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Named permission predicates (communities.platform.policies) and their template tags.
    "rules",
    # The login's CAPTCHA, drawn here (issue 19, finding 4): no outside service.
    "captcha",
    "communities",
    "communities.grid",
    "communities.phone_codes",
    "registration",
    "registration.rates",
    "registration.selfservice",
    "registration.export_approvals",
    "services",
    "services.assessment",
    "services.activities",
    "services.teams",
    "services.requests",
    "services.certificates",
    "services.pairing",
    "services.timebank",
    "services.council",
    # Last: Django's own widget templates, found through TEMPLATES (FORM_RENDERER) after the project's overrides.
    "django.forms",
]

MIDDLEWARE = [
    # First: /health/ answers load balancers before the host check and the HTTPS redirect (communities/health.py).
    "communities.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so every page the app answers (lockout, 403, 404, admin) carries the policy.
    "csp.middleware.CSPMiddleware",
    # The admin only to the addresses of ADMIN_ALLOWED_NETWORKS, when set: before sessions, logins or any view.
    "communities.admin_allowlist.AdminAllowListMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Cache-Control: no-store, private on every response that may hold personal data (issue 19, finding 7); after
    # the CSRF middleware, so that it still sees whether the page rendered a token (holds a form).
    "communities.privacy.NoStoreMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets request.user.is_verified(): whether this session passed the second factor (django-otp's middleware, with
    # the session's device read from the cache: communities.second_factor).
    "communities.second_factor.CachedOTPMiddleware",
    # Keeps the request for the audit trail's events written by services and signals (client IP, acting user).
    "communities.audit.AuditMiddleware",
    "communities.sessions.StaffSessionLimitMiddleware",
    "communities.privacy.SessionRenewalMiddleware",
    # Holds an account that needs a second factor at the second-factor page until this session passed it.
    "communities.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it hands a refused login to AXES_LOCKOUT_CALLABLE.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "communities.context_processors.inbox",
                "communities.context_processors.large_text",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections double throughput (docs/MEASURED figures); SQLite gains nothing.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and login --------------------------------------------------------------------------
AUTH_USER_MODEL = "registration.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# At least 10 characters with letters (Chinese ones count) and digits, not common, not like the name or
# the phone (members' username); no upper limit below the form's 128.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "registration.password_validation.LettersAndDigitsValidator"},
]
# Argon2id (registration/hashers.py says why); hashes made before it still verify and are upgraded at login.
PASSWORD_HASHERS = [
    "registration.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# django-axes' backend first: it refuses locked accounts and IPs before any password is checked (at the cost of one
# password hash, so that a refusal takes as long as a wrong password: registration.ratelimit.LockoutTimingBackend).
AUTHENTICATION_BACKENDS = [
    "registration.ratelimit.LockoutTimingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Every session (members' on shared phones too) ends after SESSION_IDLE_SECONDS without a request (renewed at most
# hourly while in use: communities.privacy) and its cookie when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Staff accounts: logged out after 30 minutes without a request, and 12 hours after logging in.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=12 * 60 * 60)
# Sessions a staff account may hold at once: a new login ends the oldest beyond it (communities.sessions); 0: no limit.
STAFF_MAX_SESSIONS = env.int("STAFF_MAX_SESSIONS", default=2)

# The networks the admin site answers (comma-separated CIDR or addresses, e.g. "10.20.0.0/16,192.0.2.7"); empty: every
# address. Others get a 404 (communities.admin_allowlist).
ADMIN_ALLOWED_NETWORKS = env.list("ADMIN_ALLOWED_NETWORKS", default=[])

# --- Second factor (communities.second_factor) ------------------------------------------------------------
# Superusers and the organisation department's and administrators' accounts confirm each login with a 6-digit
# TOTP code from an authenticator app (django-otp). After the n-th wrong code in a row the next one is checked
# only 2^(n-1) seconds later (django-otp's throttling: factor 1). Replayed codes are refused (TOTPDevice.last_t).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_TOTP_ISSUER = "在职党员到社区报到"  # the account's name in the authenticator app: "issuer:username"
# The admin never shows a device's key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Login lockout and rate limits (registration.ratelimit) ------------------------------------------
# Counted on axes' AccessFailureLog (one row a failure) by registration.ratelimit.LoginLockoutHandler, each since the
# account's last successful login, in windows that slide (issue 19, finding 4: nobody can lock a victim out for long):
# - an account from one address: LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW_MINUTES lock that account at
#   that address for LOGIN_LOCKOUT_MINUTES from the failure that locked it (the owner elsewhere is not affected);
# - an account from anywhere: LOGIN_ACCOUNT_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES lock it everywhere until
#   they age; its owner is told (SMS and inbox) and lifts the lock by logging in with an SMS code or resetting the
#   password with one;
# - an address: LOGIN_IP_FAILURE_LIMIT failures in the last hour refuse every login from it, a threshold high enough
#   for an office or a carrier's NAT;
# - a CAPTCHA drawn locally is asked after LOGIN_CAPTCHA_AFTER failures of the account, or LOGIN_CAPTCHA_IP_AFTER of
#   the address, within the window.
# A refused login shows the same page and error as a wrong password, and costs the same time (a password hash).
# Attempts refused are not counted. Deleting "access attempts" (admin, manage.py axes_reset, axes_reset_ip,
# axes_reset_username) lifts the locks they cover.
AXES_ENABLED = True
AXES_HANDLER = "registration.ratelimit.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]  # the address rules are the handler's, with their own limits (see above)
# Axes announces itself at every start otherwise.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = timedelta(minutes=env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15))
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=500)
LOGIN_IP_FAILURE_WINDOW = timedelta(hours=1)
LOGIN_CAPTCHA_AFTER = env.int("LOGIN_CAPTCHA_AFTER", default=3)
LOGIN_CAPTCHA_IP_AFTER = env.int("LOGIN_CAPTCHA_IP_AFTER", default=20)
AXES_LOCK_OUT_AT_FAILURE = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = False  # the handler reads the last successful login from axes' AccessLog
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "registration.ratelimit.lockout_response"
AXES_CLIENT_IP_CALLABLE = "registration.ratelimit.client_ip"
# Number of reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR). Behind
# one, every client would otherwise share the proxy's address for both IP limits.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
# axes.W006 warns that username-only lockout parameters leave IPs unlimited; the handler limits IPs itself.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# The CAPTCHA (django-simple-captcha): a sum of two small numbers, easy to type on a phone's number pad.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "+"
CAPTCHA_TIMEOUT = 5  # minutes
CAPTCHA_IMAGE_SIZE = (120, 44)

# --- One-time SMS codes (communities.phone_codes) ------------------------------------------------
# Codes live PHONE_CODE_TTL_MINUTES and allow PHONE_CODE_MAX_ATTEMPTS wrong tries; a phone gets one every
# PHONE_CODE_RESEND_SECONDS and PHONE_CODE_PER_PHONE_HOUR an hour; an address asks PHONE_CODE_PER_IP_HOUR an hour.
PHONE_CODE_TTL_MINUTES = env.int("PHONE_CODE_TTL_MINUTES", default=5)
PHONE_CODE_MAX_ATTEMPTS = env.int("PHONE_CODE_MAX_ATTEMPTS", default=5)
PHONE_CODE_RESEND_SECONDS = env.int("PHONE_CODE_RESEND_SECONDS", default=60)
PHONE_CODE_PER_PHONE_HOUR = env.int("PHONE_CODE_PER_PHONE_HOUR", default=5)
PHONE_CODE_PER_IP_HOUR = env.int("PHONE_CODE_PER_IP_HOUR", default=30)
# Submissions of the registration form (not the posts that only narrow a list) per IP and clock hour; 0: no limit.
REGISTRATION_RATE_LIMIT = env.int("REGISTRATION_RATE_LIMIT", default=20)
# Residents' requests raised from a community's public page per IP and clock hour; 0: no limit.
RESIDENT_REQUEST_RATE_LIMIT_IP = env.int("RESIDENT_REQUEST_RATE_LIMIT_IP", default=10)
# The registration limit is counted in this cache. The default (local memory) is per process: with several
# gunicorn workers, set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/2.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Redis: a cache that degrades instead of failing while Redis is unreachable (communities/cache.py), waiting for it at
# most REDIS_CACHE_TIMEOUT seconds, so that a Redis outage gives no 500 (sessions are then read from the database).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "communities.cache.DegradingRedisCache"
    _redis_timeout = env.float("REDIS_CACHE_TIMEOUT", default=0.5)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _redis_timeout, "socket_timeout": _redis_timeout}
    )
# Sessions are read from that cache and written through to the database (cached_db) when every app process
# shares it: a query less on every page. A per-process cache would keep a logged-out or ended session alive
# in the other processes, so without a shared one they stay in the database only.
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES
    else "django.contrib.sessions.backends.cached_db"
)

# --- Language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files: everything is served by the project, nothing from a CDN ---------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files that must not be served as static or media: the council's progress photos. Outside the web root; only a
# view that checks who may see them reads them (docs/COUNCIL.md).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "communities.static_storage.StaticFilesStorage"
        )
    },
}

# Widgets render through TEMPLATES, so templates/django/forms/ overrides a widget's template in one place (the empty
# choice of every select reads "Please choose…" instead of "---------").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ---------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="noreply@localhost")

# --- Celery --------------------------------------------------------------------------------------
# No broker configured: run tasks in-process and let their errors surface (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection around every task unless told to reuse it:
# a threefold cost measured on this kind of machine.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Redis hands a task it has not seen acknowledged to another worker after the visibility timeout. Tasks are
# acknowledged late (when done), so it must exceed the longest a task can be held: one waiting in the prefetch
# behind a running task (at most CELERY_TASK_TIME_LIMIT, the longest limit of any task), then running itself, plus the
# longest retry countdown (600 s): 70 minutes. Lower, a slow task runs twice at once; higher, a task held by a worker
# that was killed waits longer to be delivered again (the outbox and the stuck-run check cover the meantime).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT + 600}
# Schedules live in the database (django-celery-beat), so staff can see and change them in the admin. The entries
# are the jobs the apps registered with a schedule (communities.platform.jobs), written there when beat starts.
CELERY_BEAT_SCHEDULER = "communities.platform.beat:RegisteredJobsScheduler"

# --- Personal data -----------------------------------------------------------------------------
# ID card numbers are stored encrypted (Fernet) with a keyed hash (HMAC-SHA256) for uniqueness and
# exact-match search. The development keys below are public: production refuses to start without
# its own keys.
_DEV_ID_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZC11c2U="
_DEV_ID_HASH_KEY = "development-hash-key-not-for-production"
ID_NUMBER_ENCRYPTION_KEYS = env.list("ID_NUMBER_ENCRYPTION_KEYS", default=[])
ID_NUMBER_HASH_KEY = env.str("ID_NUMBER_HASH_KEY", default="")
if not ID_NUMBER_ENCRYPTION_KEYS or not ID_NUMBER_HASH_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ID_NUMBER_ENCRYPTION_KEYS and ID_NUMBER_HASH_KEY must be set in production "
            "(DJANGO_DEBUG=false): ID card numbers would otherwise be encrypted with a public development key."
        )
    ID_NUMBER_ENCRYPTION_KEYS = ID_NUMBER_ENCRYPTION_KEYS or [_DEV_ID_ENCRYPTION_KEY]
    ID_NUMBER_HASH_KEY = ID_NUMBER_HASH_KEY or _DEV_ID_HASH_KEY
# The algorithms (registration.id_crypto): ID_NUMBER_CIPHER "fernet" (AES with HMAC-SHA256) or "sm4" (SM4-CBC with
# HMAC-SM3, the national algorithms a 商用密码 review expects), with ID_NUMBER_SM4_KEYS (32 hex digits each, the first
# encrypts); ID_NUMBER_HASH_ALGORITHM "hmac-sha256" or "hmac-sm3". Changing either: `manage.py reencrypt_id_numbers`.
ID_NUMBER_CIPHER = env.str("ID_NUMBER_CIPHER", default="fernet")
ID_NUMBER_HASH_ALGORITHM = env.str("ID_NUMBER_HASH_ALGORITHM", default="hmac-sha256")
_DEV_ID_SM4_KEY = "646576656c6f706d656e742d736d342d"  # "development-sm4-": public, development only
ID_NUMBER_SM4_KEYS = env.list("ID_NUMBER_SM4_KEYS", default=[])
if ID_NUMBER_CIPHER == "sm4" and not ID_NUMBER_SM4_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("ID_NUMBER_CIPHER is sm4: set ID_NUMBER_SM4_KEYS (32 hexadecimal digits each).")
    ID_NUMBER_SM4_KEYS = [_DEV_ID_SM4_KEY]
USING_DEVELOPMENT_ID_KEYS = ID_NUMBER_ENCRYPTION_KEYS == [_DEV_ID_ENCRYPTION_KEY] or ID_NUMBER_SM4_KEYS == [
    _DEV_ID_SM4_KEY
]

# --- Audit trail (communities.audit) ---------------------------------------------------------------
# Days the audit events are kept; the daily purge deletes older ones. At least 180 (GB/T 22239-2019: six months):
# the purge refuses a smaller value, and on PostgreSQL a trigger refuses to delete a younger row anyway.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
# Retention (registration.retention, daily): roster entries nobody registered under are deleted this many days after
# they were added; a withdrawn member's remaining messages this many days after the withdrawal.
ROSTER_RETENTION_DAYS = env.int("ROSTER_RETENTION_DAYS", default=3 * 365)
WITHDRAWN_RETENTION_DAYS = env.int("WITHDRAWN_RETENTION_DAYS", default=30)

# --- Security (on by default whenever DEBUG is off) -----------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Only behind a TLS-terminating proxy that sets this header; otherwise a client could forge it.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), enforced in every environment, runserver included, so a violation
# shows in the browser console while the page is written rather than in production. Only the project's own
# static files run or style a page: no inline <script>, style="..." or on*= handler (tests/test_csp.py scans
# the templates), no eval (htmx's allowEval is off, see templates/base.html). Django's debug pages (404/500
# with DEBUG on) are left without the header by django-csp itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the small SVG icons Bootstrap's CSS embeds (select arrow, check mark, menu toggler);
        # the QR codes are inline <svg> markup and need nothing here.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Errors of the web app and the workers go to Sentry (or a compatible service) when SENTRY_DSN is set; off by default.
# Without personal data (communities.health.init_error_tracking).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")

# Logs (communities.log_format): one JSON object a line for a central collector (DJANGO_LOG_FORMAT=json, the default
# with DEBUG off) or plain text; mobile and ID card numbers masked in every message. A 500 emails the security
# administrators (communities.alerts), as do lockouts and full or bulk exports.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
LOG_SERVICE_NAME = env.str("LOG_SERVICE_NAME", default="party")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "communities.log_format.PersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "communities.log_format.ServiceJsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["personal_data"],
        },
        "security_alert": {"()": "communities.log_format.ServerErrorAlertHandler"},
    },
    "loggers": {"django.request": {"handlers": ["security_alert"], "level": "ERROR", "propagate": True}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
# Security alerts (communities.alerts): besides the security administrators' own addresses, these; a bulk export is one
# of at least ALERT_BULK_EXPORT_ROWS rows; at most one email per kind of event per ALERT_THROTTLE_SECONDS.
SECURITY_ALERT_EMAILS = env.list("SECURITY_ALERT_EMAILS", default=[])
ALERT_BULK_EXPORT_ROWS = env.int("ALERT_BULK_EXPORT_ROWS", default=1000)
ALERT_THROTTLE_SECONDS = env.int("ALERT_THROTTLE_SECONDS", default=300)
# A full export needs a second person's approval (registration.export_approvals); the approval lets the requester
# download the file for EXPORT_APPROVAL_HOURS after the decision, at most EXPORT_APPROVAL_DOWNLOADS times.
EXPORT_APPROVAL_HOURS = env.int("EXPORT_APPROVAL_HOURS", default=24)
EXPORT_APPROVAL_DOWNLOADS = env.int("EXPORT_APPROVAL_DOWNLOADS", default=3)

# --- Points, stars and the time bank (services.points) -------------------------------------------
# A verified service record earns POINTS_PER_HOUR for each hour plus a bonus for its outcome
# (services.points.OUTCOME_BONUS, keyed by the outcome categories).
SERVICE_POINTS_PER_HOUR = env.float("SERVICE_POINTS_PER_HOUR", default=1.0)
# Yearly points needed for 1, 2, 3, 4 and 5 stars.
SERVICE_STAR_THRESHOLDS = env.list("SERVICE_STAR_THRESHOLDS", cast=int, default=[1, 20, 40, 80, 120])

# --- Registration ---------------------------------------------------------------------------------
# Stored with each member's consent; bump it whenever templates/registration/privacy_notice.html changes.
PRIVACY_NOTICE_VERSION = "2026-01"

# --- Reporting rates ------------------------------------------------------------------------------
# Party organisations whose reporting rate is below this percentage may not be rated advanced this year.
REPORTING_RATE_THRESHOLD = env.float("REPORTING_RATE_THRESHOLD", default=90.0)

# --- Notifications and reminders (communities.notifications, the apps' tasks) --------------------------
# The SMS gateway: a class with send(phone, template, params) (communities.sms). The embedded default prints each
# message, codes included, on the console (so `make run` works offline); production without a gateway logs them
# without their values. The gateways: communities.sms_gateways.AliyunSmsBackend and .TencentSmsBackend, configured by
# the SMS_* variables below.
SMS_BACKEND = env.str(
    "SMS_BACKEND", default="communities.sms.ConsoleSmsBackend" if DEBUG else "communities.sms.LogSmsBackend"
)
# The gateways' account (communities/sms_gateways.py says what each takes): the key pair, the approved signature, the
# approved template of each message kind ("phone_code=SMS_1234,default=SMS_5678"), Tencent's SDK app id and region,
# another endpoint (a proxy; the tests' local fake), and how long to wait for an answer.
SMS_ACCESS_KEY_ID = env.str("SMS_ACCESS_KEY_ID", default="")
SMS_ACCESS_KEY_SECRET = env.str("SMS_ACCESS_KEY_SECRET", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
SMS_TEMPLATES = env.dict("SMS_TEMPLATES", default={})
SMS_SDK_APP_ID = env.str("SMS_SDK_APP_ID", default="")
SMS_REGION = env.str("SMS_REGION", default="ap-guangzhou")
SMS_ENDPOINT = env.str("SMS_ENDPOINT", default="")
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=5.0)
# The outbox (communities.notifications.outbox_requeue, every 5 minutes): email and SMS still pending this many
# minutes after they were stored or last taken in hand are queued again (their task was lost); after
# NOTIFICATION_GIVE_UP_HOURS they are recorded as failed.
NOTIFICATION_OUTBOX_AFTER_MINUTES = env.int("NOTIFICATION_OUTBOX_AFTER_MINUTES", default=10)
NOTIFICATION_GIVE_UP_HOURS = env.int("NOTIFICATION_GIVE_UP_HOURS", default=48)
# A watched run (communities.platform.watch: the assessment job) without progress for this many minutes is queued
# again and reported to the system administrators (inbox and email). Above the longest chunk's time limit (11 min).
WATCHED_RUN_STUCK_MINUTES = env.int("WATCHED_RUN_STUCK_MINUTES", default=30)
# Days after a roster entry was added before its person, not yet registered, is reminded by SMS.
REMINDER_UNREGISTERED_AFTER_DAYS = env.int("REMINDER_UNREGISTERED_AFTER_DAYS", default=14)
# Days a report may wait for confirmation before the community's staff get a digest.
REMINDER_PENDING_REPORT_DAYS = env.int("REMINDER_PENDING_REPORT_DAYS", default=3)
# Days after a need's end before a claim with no service record reminds its member.
REMINDER_CLAIM_NO_RECORD_DAYS = env.int("REMINDER_CLAIM_NO_RECORD_DAYS", default=3)
# Days before a published need's start when its free places are reported to the staff.
REMINDER_UNCLAIMED_NEED_DAYS = env.int("REMINDER_UNCLAIMED_NEED_DAYS", default=2)
# Share of an activity a member must be present for (check-in to check-out) before its hours are credited.
ACTIVITY_MIN_PRESENCE = env.str("ACTIVITY_MIN_PRESENCE", default="0.6")
# The yearly minimum of verified service hours, and how many days before the year's end the shortfall
# reminder goes out.
SERVICE_MINIMUM_YEARLY_HOURS = env.float("SERVICE_MINIMUM_YEARLY_HOURS", default=12.0)
REMINDER_SHORTFALL_DAYS_LEFT = env.int("REMINDER_SHORTFALL_DAYS_LEFT", default=30)

# Uploaded spreadsheets (communities.uploads, issue 19 finding 3): an .xlsx file is refused before parsing when its
# parts unpack to more than this (all parts / the shared strings), or a file has more data rows than the import takes.
UPLOAD_MAX_UNPACKED_MB = env.int("UPLOAD_MAX_UNPACKED_MB", default=120)
UPLOAD_MAX_SHARED_STRINGS_MB = env.int("UPLOAD_MAX_SHARED_STRINGS_MB", default=30)
ROSTER_MAX_ROWS = env.int("ROSTER_MAX_ROWS", default=100_000)
# A roster file at least this large is imported in the background with a progress page (registration.roster_jobs);
# the job and its file are kept in the cache this long.
ROSTER_BACKGROUND_MIN_BYTES = env.int("ROSTER_BACKGROUND_MIN_BYTES", default=200_000)
ROSTER_JOB_SECONDS = env.int("ROSTER_JOB_SECONDS", default=6 * 60 * 60)
# Minutes during which the staff member who confirmed a report may undo the confirmation.
REPORT_CONFIRM_UNDO_MINUTES = env.int("REPORT_CONFIRM_UNDO_MINUTES", default=5)

# --- Annual assessment (services.assessment) ------------------------------------------------------
# The proposed grade is the first of these a member's figures for the year reach (verified service
# records served in the year; claims made in the year):
#   excellent (优秀): at least ASSESSMENT_EXCELLENT_MIN_HOURS verified hours and ASSESSMENT_EXCELLENT_MIN_POINTS
#     points, with at most ASSESSMENT_EXCELLENT_MAX_ABANDONED abandoned claims;
#   qualified (合格): at least SERVICE_MINIMUM_YEARLY_HOURS verified hours (the setting above);
#   basically qualified (基本合格): at least ASSESSMENT_BASIC_MIN_RECORDS verified service record(s);
#   unqualified (不合格): otherwise.
ASSESSMENT_EXCELLENT_MIN_HOURS = env.float("ASSESSMENT_EXCELLENT_MIN_HOURS", default=24.0)
ASSESSMENT_EXCELLENT_MIN_POINTS = env.float("ASSESSMENT_EXCELLENT_MIN_POINTS", default=40.0)
ASSESSMENT_EXCELLENT_MAX_ABANDONED = env.int("ASSESSMENT_EXCELLENT_MAX_ABANDONED", default=0)
ASSESSMENT_BASIC_MIN_RECORDS = env.int("ASSESSMENT_BASIC_MIN_RECORDS", default=1)
# Members per chunk of the assessment job (a primary-key range): one task and one transaction each.
# 10,000 keeps a chunk at a few seconds and its worker at a few tens of MB.
ASSESSMENT_CHUNK_SIZE = env.int("ASSESSMENT_CHUNK_SIZE", default=10000)
