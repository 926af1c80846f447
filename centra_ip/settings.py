"""Settings for centra-ip, read once from the environment (12-factor).

Every variable has a working default so ``make run`` needs nothing: SQLite in ``data/``,
the ORM task broker, and the sandbox twins of Centra and Inventory Planner. Production
sets DEBUG=false, a real SECRET_KEY, DATABASE_URL (PostgreSQL), REDIS_URL and the API
credentials; see README.md for the full table.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from centra_ip.env import env_bool, env_float, env_int, env_list, env_str, env_url
from centra_ip.local_urls import LocalUrls

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("CENTRA_IP_DATA_DIR", str(BASE_DIR / "data")))

DEBUG = env_bool("DEBUG", False)

# A placeholder key is only acceptable while DEBUG is on; it is public, in this file.
_DEV_SECRET_KEY = "django-insecure-centra-ip-development-only-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off. Refusing to start: set SECRET_KEY to a "
            "long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG=false: use at least 50 random characters "
        "that do not start with 'django-insecure'."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "centra_ip",
    "syncs",
    "exceptions",
    "returns",
    "reconciliation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "centra_ip.middleware.ContentSecurityPolicyMiddleware",
    "centra_ip.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "centra_ip.middleware.PrivateNoStoreMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "centra_ip.urls"
WSGI_APPLICATION = "centra_ip.wsgi.application"

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
                "centra_ip.context_processors.layout",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'centra-ip.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", _DEFAULT_DATABASE_URL), conn_max_age=60, conn_health_checks=True
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot create the folder of its file; the default lives in a fresh clone's data/.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server and the task cluster share the file: WAL lets readers go on while a
    # worker writes, IMMEDIATE transactions avoid "database is locked" on upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work (django-q2) ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must be a redis:// or rediss:// URL, got {REDIS_URL!r}")
Q_CLUSTER = {
    "name": "centra_ip",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    # A task that runs longer than `timeout` is killed; one not acknowledged within `retry`
    # is delivered again, so `retry` must exceed `timeout` or long syncs run twice at once.
    "timeout": env_int("Q_TIMEOUT", 900, minimum=10),
    "retry": env_int("Q_RETRY", 1200, minimum=20),
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured("Q_RETRY must be larger than Q_TIMEOUT.")
# A stream run holds a lease this long, renewed by a heartbeat every third of it; a run whose
# worker died (SIGKILL, OOM) is taken over once its lease expires (docs/reliability.md).
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 30, minimum=3)
# Seconds a call to Centra or IP may take before it times out; 0: each client's own default
# (Centra 30 s, IP 60 s). The soak lowers it so that an injected timeout costs seconds.
API_TIMEOUT_SECONDS = env_float("API_TIMEOUT_SECONDS", 0.0, minimum=0.0)

# --- External systems -----------------------------------------------------------------------
# With no credentials a system is served by its sandbox twin (see docs/sandbox.md). Where
# `make run` serves the app and the twins comes from PORT and SANDBOX_PORT alone.
LOCAL_URLS = LocalUrls(
    port=env_int("PORT", 8000, minimum=1), sandbox_port=env_int("SANDBOX_PORT", 8001, minimum=1)
)
SANDBOX_URL = env_url("SANDBOX_URL", LOCAL_URLS.sandbox)
CENTRA_API_URL = env_url("CENTRA_API_URL")
CENTRA_API_TOKEN = env_str("CENTRA_API_TOKEN")
INVENTORY_PLANNER_API_URL = env_url(
    "INVENTORY_PLANNER_API_URL", "https://app.inventory-planner.com/api/v1"
)
INVENTORY_PLANNER_API_KEY = env_str("INVENTORY_PLANNER_API_KEY")
INVENTORY_PLANNER_ACCOUNT = env_str("INVENTORY_PLANNER_ACCOUNT")
IP_FEED_USERNAME = env_str("IP_FEED_USERNAME", "inventory-planner")
IP_FEED_PASSWORD = env_str("IP_FEED_PASSWORD")

if CENTRA_API_TOKEN and not CENTRA_API_URL:
    raise ImproperlyConfigured("CENTRA_API_TOKEN is set but CENTRA_API_URL is not.")
if bool(INVENTORY_PLANNER_API_KEY) != bool(INVENTORY_PLANNER_ACCOUNT):
    raise ImproperlyConfigured(
        "Set both INVENTORY_PLANNER_API_KEY and INVENTORY_PLANNER_ACCOUNT, or neither."
    )
CENTRA_USES_SANDBOX = not CENTRA_API_TOKEN
INVENTORY_PLANNER_USES_SANDBOX = not INVENTORY_PLANNER_API_KEY

# Team webhooks must resolve to public addresses; true allows loopback, link-local and
# private ones (a chat server inside the network). See exceptions/webhook_guard.py.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)

# --- Freshness and monitoring ----------------------------------------------------------------
# A stream is amber once its last success is older than AMBER x its "late after" time and
# red past RED x (see syncs/streams.py). The watchdog raises "stream late" at amber.
FRESHNESS_AMBER_FACTOR = env_float("FRESHNESS_AMBER_FACTOR", 1.0, minimum=0.1)
FRESHNESS_RED_FACTOR = env_float("FRESHNESS_RED_FACTOR", 3.0, minimum=0.1)
# A stream whose last N runs all failed is late, however recent its last success.
WATCHDOG_FAILED_RUNS = env_int("WATCHDOG_FAILED_RUNS", 3, minimum=1)
# Persistent throttling: this many 429 answers to one stream's calls within the window
# (retried or not) raise an "API throttling persists" ticket at the watchdog's check.
THROTTLE_TICKET_ANSWERS = env_int("THROTTLE_TICKET_ANSWERS", 10, minimum=1)
THROTTLE_WINDOW_MINUTES = env_int("THROTTLE_WINDOW_MINUTES", 15, minimum=1)
# /metrics (Prometheus text format) answers only with "Authorization: Bearer <token>";
# unset, the endpoint does not exist.
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Auth -----------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The demo logins' passwords are public: with DEBUG off they are refused (centra_ip/demo.py).
AUTHENTICATION_BACKENDS = ["centra_ip.demo.NoDemoLoginsBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Rate limits (centra_ip/ratelimit.py) ----------------------------------------------------
# Failed sign-ins and feed logins are counted in the cache: Redis when REDIS_URL is set
# (shared by every web process and machine), else files in the data folder (shared by the
# processes of one machine). TRUSTED_PROXIES = how many reverse proxies in front of the app
# append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)

# --- Request and upload size caps ------------------------------------------------------------
# Each uploaded file (config JSON, status and mapping CSVs) is at most UPLOAD_MAX_BYTES; a
# request body past REQUEST_BODY_MAX_BYTES is refused (413) before anything reads it, so an
# anonymous multipart POST cannot fill the disk. Keep the proxy's limit at or above it.
# centra_ip/middleware.py RequestLimitsMiddleware.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 5_000_000, minimum=1)
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 6_000_000, minimum=1)
QUERY_VALUE_MAX_CHARS = 1_000  # one URL parameter (a search, a filter)

# --- I18n and static files ------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DOCS_DIR = BASE_DIR / "docs"

# Where people reach the app (https://hub.example.com): makes links in e-mails absolute.
SITE_URL = env_url("SITE_URL")

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "centra-ip@localhost")

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# htmx sends the token from the page (hx-headers on <body>), so scripts need not read it.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline scripts or styles anywhere (centra_ip/middleware.py, docs/operations.md).
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # /healthz is probed over plain HTTP by load balancers inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # httpx logs full request URLs at INFO; ours record calls themselves, without secrets.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
