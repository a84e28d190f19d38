"""Settings, read from the environment, with embedded defaults for development and tests.

Production sets SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL, ALLOWED_HOSTS and the EMAIL_* variables;
without SECRET_KEY the app runs in development mode on the embedded PostgreSQL and Redis.
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from config import embedded


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = embedded.var_dir()

DEBUG = env_bool("DJANGO_DEBUG", default="SECRET_KEY" not in os.environ)
# Development: a random key per install, kept under var/. A key written in the code would let anyone
# sign what we sign (a reader's private feed link) on every development install.
SECRET_KEY = os.environ.get("SECRET_KEY") or (embedded.development_secret_key() if DEBUG else None)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DJANGO_DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "apps.papers",
    "apps.accounts",
    "apps.embeddings",
    "apps.search",
    "apps.recommendations",
    "apps.digests",
    "apps.curation",
    "apps.newsletters",
    "apps.seminars",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.common.middleware.RefuseUnroutablePathMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.accounts.middleware.ReaderTimeZoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or embedded.postgres_url(), conn_max_age=60, conn_health_checks=True
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: SMTP when EMAIL_HOST is set; without it every email is kept as a file under var/mail/ (the
# curation pages list and show them), so a new install sees its newsletters without a mail server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "apps.newsletters.outbox.OutboxBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Retriever <retriever@localhost>")
# The site's address as readers reach it: links in emails are absolute (`make run` sets it from PORT).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Weekly newsletters. The rate limit is emails per second per worker process (0: as fast as SMTP takes them).
NEWSLETTER_TOP_N = int(os.environ.get("NEWSLETTER_TOP_N", "10"))
NEWSLETTER_BATCH_SIZE = int(os.environ.get("NEWSLETTER_BATCH_SIZE", "100"))
NEWSLETTER_RATE_LIMIT = float(os.environ.get("NEWSLETTER_RATE_LIMIT", "20"))
NEWSLETTER_MAX_RETRIES = int(os.environ.get("NEWSLETTER_MAX_RETRIES", "6"))
NEWSLETTER_RETRY_BACKOFF_SECONDS = float(os.environ.get("NEWSLETTER_RETRY_BACKOFF_SECONDS", "60"))
NEWSLETTER_STALLED_AFTER = dt.timedelta(hours=2)  # past the longest retry backoff (1 h)
# Past a week's end by this much with nobody having published it, the beat sends it anyway (no picks).
NEWSLETTER_SEND_UNPUBLISHED_AFTER = dt.timedelta(
    days=int(os.environ.get("NEWSLETTER_SEND_UNPUBLISHED_AFTER_DAYS", "2"))
)
NEWSLETTER_UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=int(os.environ.get("NEWSLETTER_UNSUBSCRIBE_MAX_AGE_DAYS", "90")))
NEWSLETTER_LIST_DOMAIN = urlsplit(SITE_URL).hostname or "localhost"

# Celery: the embedded Redis unless CELERY_BROKER_URL names another.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or embedded.redis_url()
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_IMPORTS = [
    "tasks.ingest",
    "tasks.embed",
    "tasks.recommendations",
    "tasks.newsletters",
    "tasks.seminars",
    "tasks.digests",
]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True


def cache_redis_url(broker_url: str) -> str | None:
    """The broker's Redis, one database up: cache.clear() flushes its whole database, never the queues."""
    if broker_url.startswith("redis+socket://"):
        return f"unix://{broker_url.removeprefix('redis+socket://')}?db=1"
    if broker_url.startswith(("redis://", "rediss://")):
        parts = urlsplit(broker_url)
        broker_db = int(parts.path.strip("/") or 0)
        return parts._replace(path=f"/{broker_db + 1}").geturl()
    return None


# The cache holds the login rate-limit counters, so it must be shared by every web process.
_cache_url = os.environ.get("CACHE_URL") or cache_redis_url(CELERY_BROKER_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_url,
        "KEY_PREFIX": "retriever",
    }
    if _cache_url
    # A broker that is not Redis: a per-process cache, so the login limit is per process too.
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# arXiv ingestion. The API asks for at least 3 s between requests; a local replay may set 0.
ARXIV_API_URL = os.environ.get("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_DELAY_SECONDS = float(os.environ.get("ARXIV_DELAY_SECONDS", "3"))
ARXIV_PAGE_SIZE = int(os.environ.get("ARXIV_PAGE_SIZE", "200"))
ARXIV_NUM_RETRIES = int(os.environ.get("ARXIV_NUM_RETRIES", "3"))
ARXIV_FIRST_RUN_DAYS = int(os.environ.get("ARXIV_FIRST_RUN_DAYS", "7"))
ARXIV_RETRY_BACKOFF_SECONDS = float(os.environ.get("ARXIV_RETRY_BACKOFF_SECONDS", "60"))

# Embeddings and search. RETRIEVER_TEXT_MODEL (read by recsys.encoder) may name a local model directory.
RETRIEVER_EMBED_BATCH_SIZE = int(os.environ.get("RETRIEVER_EMBED_BATCH_SIZE", "32"))
RETRIEVER_EMBED_DEVICE = os.environ.get("RETRIEVER_EMBED_DEVICE", "auto")
# The text vectors' walk: on paper-like vectors at a million papers (halfvec, m=24, ef_construction=128),
# 80 recalled 0.968 of the exact top 20 at 116x the exact scan's speed, quiet; 100 recalled 0.973 at 90x.
# A walk asked for more than 80 papers reads as many as it is asked for (docs/benchmarks.md, ANN section).
RETRIEVER_HNSW_EF_SEARCH = int(os.environ.get("RETRIEVER_HNSW_EF_SEARCH", "80"))
# For you's walk over the item vectors reads at least this many: on vectors with lengths as a trained
# model's, 200 found 0.99 of the exact top 100 at 100,000 papers and 100 found 0.91 (docs/benchmarks.md).
RETRIEVER_FOR_YOU_EF_SEARCH = int(os.environ.get("RETRIEVER_FOR_YOU_EF_SEARCH", "200"))
# "For you" ranks a window of at most this many papers (the planner's estimate) exactly, not by HNSW:
# at 1,000,000 papers the walk found half the true top 100 of a 50,853-paper window (docs/benchmarks.md).
RETRIEVER_EXACT_WINDOW_ROWS = int(os.environ.get("RETRIEVER_EXACT_WINDOW_ROWS", "60000"))
# After an ingestion run that stored papers, queue their embedding (tests of ingestion alone may turn it off).
RETRIEVER_EMBED_AFTER_INGEST = env_bool("RETRIEVER_EMBED_AFTER_INGEST", True)

# The two-tower retriever: what it trains is recsys.app (shared with the evaluation harness's `app`
# method); these override TrainConfig/ModelConfig fields (recsys.train, recsys.model) for this deployment.
RETRIEVER_MODEL_DIR = VAR_DIR / "models"
RETRIEVER_TRAIN = {"device": os.environ.get("RETRIEVER_TRAIN_DEVICE", "auto")}
if "RETRIEVER_TRAIN_EPOCHS" in os.environ:
    RETRIEVER_TRAIN["epochs"] = int(os.environ["RETRIEVER_TRAIN_EPOCHS"])
RETRIEVER_MODEL = {}
RETRIEVER_MIN_INTERACTIONS = int(os.environ.get("RETRIEVER_MIN_INTERACTIONS", "50"))

# Word-cloud images, drawn by the worker and served by the site.
RETRIEVER_CLOUDS_DIR = VAR_DIR / "clouds"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
# Where a new reader lands after signing up (a URL or a URL name).
SIGNUP_REDIRECT_URL = "recommendations:onboarding"
# Reverse proxies in front of the app; the login rate limit then takes the client's address from
# X-Forwarded-For instead of counting every reader as the proxy.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"arxiv": {"level": "WARNING"}},
}
