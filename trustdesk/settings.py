"""Django settings, read from the environment.

Every variable is documented in README.md; a bad value stops start-up with a
message naming the variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from trustdesk.lib.env import (
    env_bool,
    env_channels,
    env_file,
    env_int,
    env_json_object,
    env_list,
    env_origin,
    env_path,
    env_str,
    env_url_prefix,
    secret_key,
    secret_key_fallbacks,
)

django_stubs_ext.monkeypatch()  # generic classes such as ModelAdmin[Model] at run time

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = env_path("TRUSTDESK_DATA_DIR", "./trustdesk-data")
DEBUG = env_bool("TRUSTDESK_DEBUG", False)
SECRET_KEY, SECRET_KEY_SOURCE = secret_key(DATA_DIR)
SECRET_KEY_FALLBACKS = secret_key_fallbacks()

#: The provider's policy file; `trustdesk policy publish` reads it when no FILE is given,
#: and a system check compares it with the published version in effect.
TRUSTDESK_POLICY = env_file("TRUSTDESK_POLICY")

#: Web access logs (docs/weblogs.md): the Parquet store (a directory, a file:// URL or any fsspec
#: URL such as s3://bucket/prefix), the options of its fsspec file system (JSON, no secrets: the
#: credentials come from the file system's own sources), and the directory of month keys, which
#: must lie outside the store and its backups.
WEBLOGS_URL = env_str("TRUSTDESK_WEBLOGS_URL") or str(DATA_DIR / "weblogs")
WEBLOGS_OPTIONS = env_json_object("TRUSTDESK_WEBLOGS_OPTIONS")
#: A store at an fsspec URL has its writer lock and staging files here, one directory per URL.
WEBLOGS_WORK_DIR = env_path("TRUSTDESK_WEBLOGS_WORK_DIR", str(DATA_DIR / "weblogs-work"))
WEBLOGS_KEY_DIR = env_path("TRUSTDESK_WEBLOGS_KEY_DIR", str(DATA_DIR / "weblog-keys"))

ALLOWED_HOSTS = env_list("TRUSTDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("TRUSTDESK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "trustdesk.web",
    "simple_history",
    "trustdesk.policy",
    "trustdesk.journal",
    "trustdesk.registry",
    "trustdesk.consent",
    "ninja",
    "trustdesk.api",
    "trustdesk.rights",
    "trustdesk.console",
    "trustdesk.portal",
    "trustdesk.accounts",  # before allauth: its templates override allauth's
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    "trustdesk.weblogs",
    "trustdesk.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # One answer per request to "which policy version is in effect" (README: policy publish).
    "trustdesk.policy.middleware.PolicyVersionMiddleware",
    # Outermost after security: it sees every cookie the others set, and drops optional ones without consent.
    "trustdesk.consent.middleware.CookieConsentMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything stores the browser's name (sessions, the journal): no NUL character in it.
    "trustdesk.web.middleware.UserAgentMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A signed-in session ends eight hours after its log-in, whatever its activity (docs/accounts.md).
    "trustdesk.accounts.middleware.SessionLimitMiddleware",
    # allauth's session tracking, written every few minutes instead of on every request (docs/accounts.md).
    "trustdesk.accounts.middleware.SessionActivityMiddleware",
    "trustdesk.accounts.middleware.TwoFactorMiddleware",
    # An address of the admin with a NUL character: refused before the admin sends it to the database.
    "trustdesk.web.middleware.AdminAddressMiddleware",
    # An e-mail that could not be sent once its action was stored: a page that says so (503).
    "trustdesk.web.middleware.MailNotSentMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "trustdesk.urls"
WSGI_APPLICATION = "trustdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trustdesk.web.context_processors.site",
                "trustdesk.consent.context_processors.cookie_banner",
            ],
        },
    },
]


#: SQLite, the embedded database: write transactions take the write lock when they begin (no
#: deadlock between two that read first), a writer waits up to 20 s for another, and the journal is
#: written ahead (WAL: readers never wait for a writer, so two web workers and a periodic job share
#: the file). A worker keeps its connection for a minute instead of opening one per request.
#: Back up the file with SQLite's backup (``sqlite3 trustdesk.sqlite3 ".backup copy.sqlite3"``), not
#: by copying it: the latest transactions may still be in ``trustdesk.sqlite3-wal`` beside it.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
DATABASE_CONN_MAX_AGE = 60


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if not url:  # the path as it is: a URL would misread "#", "?" or "%" in it
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "trustdesk.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": DATABASE_CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            "DATABASE_URL must start with postgresql:// (production) or sqlite:// (embedded); "
            f"got a URL with the scheme {url.split(':', 1)[0]!r}."
        )
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=True))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        given = config.get("OPTIONS")
        config["OPTIONS"] = {**SQLITE_OPTIONS, **(given if isinstance(given, dict) else {})}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # reads hashes made before argon2, rehashed at log-in
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as Europe writes them: "7 December 2026, 16:53", not Django's American "Dec. 7, 2026, 4:53 p.m.".
FORMAT_MODULE_PATH = ["trustdesk.web.formats"]
TIME_ZONE = env_str("TRUSTDESK_TIME_ZONE", "Europe/Brussels") or "Europe/Brussels"
USE_I18N = True
USE_TZ = True

#: The path the site is served under when it is not the root of its host (``/privacy-desk``): every link,
#: redirect and static file carries it, in pages and e-mails alike (``trustdesk`` commands included). The
#: proxy in front passes requests on without it (nginx: ``location /privacy-desk/ { proxy_pass
#: http://127.0.0.1:8000/; }``), or gunicorn is started with ``SCRIPT_NAME=/privacy-desk``.
FORCE_SCRIPT_NAME = env_url_prefix("TRUSTDESK_URL_PREFIX") or None
# Absolute, with the prefix: Django would put the prefix before a relative one only where the thread's
# script prefix is set when the value is first read, which under a WSGI server is not the case.
STATIC_URL = f"{FORCE_SCRIPT_NAME or ''}/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it once collectstatic filled it
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    # Hashed, compressed names once `collectstatic` has written its manifest; plain names before
    # (a checkout, the tests), served by WhiteNoise from the apps' folders.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if (STATIC_ROOT / "staticfiles.json").exists()
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Cookies and transport. Behind TLS (TRUSTDESK_HTTPS=1) every cookie is Secure and HSTS is sent.
HTTPS = env_bool("TRUSTDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
# Cookies (P2.2, docs/cookies.md): the session cookie ends with the browser session (as allauth makes
# it at log-in, ACCOUNT_SESSION_REMEMBER below), the session itself on the server after eight hours at
# most, counted from the log-in (SessionLimitMiddleware; Django's own expiry counts from the session's
# last change and would move with every message); the CSRF cookie expires after eight hours. Trustdesk sets no language cookie (the language
# follows ?lang= and the browser's Accept-Language); messages are kept in the session, never in a
# cookie, because a message may name the visitor's e-mail address.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Django's database sessions, with the read of every request compiled once (trustdesk/accounts/sessions.py).
SESSION_ENGINE = "trustdesk.accounts.sessions"
CSRF_COOKIE_AGE = SESSION_COOKIE_AGE
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The preload token lets the host be submitted to the browsers' HSTS preload list (hstspreload.org).
SECURE_HSTS_PRELOAD = env_bool("TRUSTDESK_HSTS_PRELOAD", HTTPS)
BEHIND_PROXY = env_bool("TRUSTDESK_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # no script reads it: every form carries the token
SESSION_COOKIE_NAME = "__Host-session" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"

# A strict Content-Security-Policy: scripts, styles, images and fonts from this site only; no inline
# script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # data: for the two-factor QR code
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    },
}

# --- accounts: django-allauth (e-mail log-in, verified addresses, reset links, TOTP) ----------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
ACCOUNT_ADAPTER = "trustdesk.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "trustdesk.accounts.forms.LoginForm",
    "reset_password": "trustdesk.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "trustdesk.accounts.forms.ResetPasswordKeyForm",
    "change_password": "trustdesk.accounts.forms.ChangePasswordForm",
    "add_email": "trustdesk.accounts.forms.AddEmailForm",
    "reauthenticate": "trustdesk.accounts.forms.PasswordReauthenticateForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False  # a single-use link, never a password by e-mail
# Before a change to two-factor authentication allauth asks again for the password, or for a code of the
# authenticator app; not for a code sent by e-mail (its default): a mailbox is no second proof of who is at
# the keyboard, and that e-mail would be allauth's, in none of Trustdesk's words.
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]
# Adding, removing or choosing the main e-mail address asks for that too (once in five minutes): whoever
# holds a session left open must not add an address of their own and take the account over from it.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
#: A notice to the account's address of every change to its password, addresses and two-factor
#: authentication, in Trustdesk's words (``trustdesk.accounts.adapter.NOTICES``).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Trustdesk's own lock-out (the policy's attempts and duration) and throttling (trustdesk.accounts.throttle,
# stored in the database) replace allauth's cache-based limits for log-in and reset; allauth's other
# limits (two-factor codes, e-mail changes) stay.
ACCOUNT_RATE_LIMITS = {"login": False, "login_failed": False, "reset_password": False}
MFA_ADAPTER = "trustdesk.accounts.adapter.MFAAdapter"
MFA_FORMS = {
    "authenticate": "trustdesk.accounts.forms.AuthenticateForm",
    "reauthenticate": "trustdesk.accounts.forms.ReauthenticateForm",
    "activate_totp": "trustdesk.accounts.forms.ActivateTOTPForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# allauth refuses, by default, a new e-mail address to an account with two-factor authentication, for fear
# of someone who signs up with another's address and locks its owner out with their own authenticator.
# Here nobody signs up (the provider makes the accounts), a change of address asks for the password or a
# code first (above), and an address not yet confirmed gets nothing but its confirmation link: never a
# reset link (``accounts.forms.ResetPasswordForm``), never the account's notices. So customers and staff
# with two-factor authentication can change their address.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = "Trustdesk"
MFA_RECOVERY_CODE_COUNT = 10
USERSESSIONS_TRACK_ACTIVITY = True
#: Hours between staff asking to remove a customer's two-factor authentication (the customer lost their app
#: and recovery codes) and its removal: the owner is told at once and can keep it in the meantime, so that
#: a caller who only claims to be them does not get in unnoticed. 0 removes it at once; at most 30 days.
TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS = env_int(
    "TRUSTDESK_TWO_FACTOR_REMOVAL_WAIT_HOURS", 24, minimum=0, maximum=30 * 24
)
#: Whether a second member of staff (support, the privacy officer or an administrator, not the one who asked)
#: approves that removal before it is carried out: a caller who talks one member of staff round does not get
#: in by that alone. On by default; off for a desk of one.
TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL = env_bool("TRUSTDESK_TWO_FACTOR_REMOVAL_SECOND_APPROVAL", True)

#: Per-address throttles: scope -> (requests, within seconds); see trustdesk.accounts.throttle.
TRUSTDESK_THROTTLE = {
    "login": (env_int("TRUSTDESK_THROTTLE_LOGIN", 30, minimum=1), 15 * 60),
    "password_reset": (env_int("TRUSTDESK_THROTTLE_RESET", 5, minimum=1), 60 * 60),
    "public_form": (env_int("TRUSTDESK_THROTTLE_FORMS", 10, minimum=1), 60 * 60),
    # The cookie banner's choice: counted on its own, and higher, since a whole office behind one address
    # may choose on its first visits.
    "cookie_choice": (env_int("TRUSTDESK_THROTTLE_COOKIES", 60, minimum=1), 60 * 60),
    # Requests per API token a minute: a full sync of 10,000 records takes under ten minutes, and a token
    # that leaks cannot read a registry with guessable references in one go. 0 counts nothing.
    "api": (env_int("TRUSTDESK_THROTTLE_API", 1200, minimum=0), 60),
}

# --- e-mail -----------------------------------------------------------------------------------------
EMAIL_HOST = env_str("TRUSTDESK_EMAIL_HOST", "") or ""
EMAIL_PORT = env_int("TRUSTDESK_EMAIL_PORT", 587 if EMAIL_HOST else 25, minimum=1)
EMAIL_HOST_USER = env_str("TRUSTDESK_EMAIL_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("TRUSTDESK_EMAIL_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("TRUSTDESK_EMAIL_STARTTLS", bool(EMAIL_HOST) and EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("TRUSTDESK_EMAIL_TLS", bool(EMAIL_HOST) and EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "TRUSTDESK_EMAIL_STARTTLS and TRUSTDESK_EMAIL_TLS cannot both be on: pick one."
    )
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("TRUSTDESK_EMAIL_FROM", "") or "trustdesk@localhost"
#: With no TRUSTDESK_EMAIL_HOST, e-mail is printed on the console (the demo); in production set the host.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

#: The origin links in e-mails point to (https://privacy.example.com), with the URL prefix after it; the
#: request's host is not used for them.
SITE_URL = env_origin("TRUSTDESK_SITE_URL", "http://127.0.0.1:8000")

# Retention and customer exit (docs/retention.md).
#: Where each recipient of the policy is asked to delete data: "key=mailto:ADDRESS,key=https://URL".
RETENTION_ERASURE_CHANNELS = env_channels("TRUSTDESK_ERASURE_CHANNELS")
#: Days after a request (or its last reminder) before a recipient that has not confirmed is reminded.
RETENTION_ERASURE_REMINDER_DAYS = env_int("TRUSTDESK_ERASURE_REMINDER_DAYS", 14, minimum=1)
#: A key to sign webhook bodies with (HMAC-SHA-256 in X-Trustdesk-Signature); unsigned when unset.
RETENTION_WEBHOOK_SECRET = env_str("TRUSTDESK_WEBHOOK_SECRET") or ""
#: Minutes without a sign of life after which a periodic job's lock is taken over.
RETENTION_LOCK_STALE_MINUTES = env_int("TRUSTDESK_LOCK_STALE_MINUTES", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_faults": {"()": "trustdesk.lib.logfilters.ClientFaults"},
        "database_error_details": {"()": "trustdesk.lib.logfilters.DatabaseErrorDetails"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_faults", "database_error_details"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("TRUSTDESK_LOG_LEVEL", "INFO") or "INFO"},
}
