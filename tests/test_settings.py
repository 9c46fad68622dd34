"""Settings from the environment fail loudly and clearly on a bad value."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from trustdesk.lib import env

#: Settings read in this process or by the commands in subprocesses, with their own environment: no test database.
pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parent.parent


def test_it_reads_yes_and_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env.env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env.env_bool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert env.env_bool("X_FLAG", True) is True


def test_it_refuses_a_bad_yes_or_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTDESK_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"TRUSTDESK_DEBUG='maybe' is not a yes/no value"):
        env.env_bool("TRUSTDESK_DEBUG")


def test_it_refuses_a_bad_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match=r"X_COUNT='ten' is not a whole number"):
        env.env_int("X_COUNT", 1)
    monkeypatch.setenv("X_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="X_COUNT=-1 is below the minimum of 0"):
        env.env_int("X_COUNT", 1, minimum=0)
    monkeypatch.setenv("X_COUNT", "721")
    with pytest.raises(ImproperlyConfigured, match="X_COUNT=721 is above the maximum of 720"):
        env.env_int("X_COUNT", 1, minimum=0, maximum=720)
    monkeypatch.setenv("X_COUNT", "720")
    assert env.env_int("X_COUNT", 1, minimum=0, maximum=720) == 720


def test_it_reads_a_json_object_and_never_echoes_a_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_OPTIONS", raising=False)
    assert env.env_json_object("X_OPTIONS") == {}
    monkeypatch.setenv("X_OPTIONS", '{"endpoint_url": "http://127.0.0.1:9000"}')
    assert env.env_json_object("X_OPTIONS") == {"endpoint_url": "http://127.0.0.1:9000"}
    monkeypatch.setenv("X_OPTIONS", '{"secret": "s3cr3t",}')
    with pytest.raises(ImproperlyConfigured, match="X_OPTIONS is not valid JSON") as refused:
        env.env_json_object("X_OPTIONS")
    assert "s3cr3t" not in str(refused.value)
    monkeypatch.setenv("X_OPTIONS", '["s3cr3t"]')
    with pytest.raises(ImproperlyConfigured, match="X_OPTIONS must be a JSON object") as refused:
        env.env_json_object("X_OPTIONS")
    assert "s3cr3t" not in str(refused.value)


def test_it_refuses_a_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    monkeypatch.setenv("TRUSTDESK_DATA_DIR", str(afile))
    with pytest.raises(ImproperlyConfigured, match="exists but is not a directory"):
        env.env_path("TRUSTDESK_DATA_DIR", "./trustdesk-data")


def test_it_refuses_a_missing_policy_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTDESK_POLICY", str(tmp_path / "nope.yaml"))
    with pytest.raises(ImproperlyConfigured, match=r"TRUSTDESK_POLICY=.*nope\.yaml': no such file"):
        env.env_file("TRUSTDESK_POLICY")


def test_it_refuses_a_short_secret_key_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRUSTDESK_SECRET_KEY", "hunter2")
    with pytest.raises(ImproperlyConfigured) as refused:
        env.secret_key(tmp_path)
    assert "too short" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_it_reads_the_secret_key_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text("k" * 64 + "\n")
    monkeypatch.delenv("TRUSTDESK_SECRET_KEY", raising=False)
    monkeypatch.setenv("TRUSTDESK_SECRET_KEY_FILE", str(keyfile))
    assert env.secret_key(tmp_path / "data") == ("k" * 64, "file")


def test_it_generates_a_private_key_file_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRUSTDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRUSTDESK_SECRET_KEY_FILE", raising=False)
    data = tmp_path / "data"
    key, origin = env.secret_key(data)
    assert origin == "generated"
    assert len(key) >= env.MIN_SECRET_KEY_LENGTH
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    assert env.secret_key(data) == (key, "generated")


def _trustdesk(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    environment.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_it_stops_the_command_with_one_clear_line_on_a_bad_variable(tmp_path: Path) -> None:
    result = _trustdesk("check", TRUSTDESK_DATA_DIR=str(tmp_path), TRUSTDESK_DEBUG="perhaps")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "trustdesk: configuration error: TRUSTDESK_DEBUG='perhaps' is not a yes/no value: "
        "use one of 1, true, yes, on, 0, false, no, off."
    )


def test_it_refuses_a_database_url_of_another_kind(tmp_path: Path) -> None:
    result = _trustdesk("check", TRUSTDESK_DATA_DIR=str(tmp_path), DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode == 2
    assert "DATABASE_URL must start with postgresql://" in result.stderr
    assert "'mysql'" in result.stderr


def test_it_creates_the_data_dir_with_database_and_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = _trustdesk("migrate", "--no-input", TRUSTDESK_DATA_DIR=str(data))
    assert result.returncode == 0, result.stderr
    assert (data / "trustdesk.sqlite3").is_file()
    assert (data / "secret_key").is_file()


@pytest.mark.parametrize("by_url", [False, True], ids=["data-dir", "sqlite-url"])
def test_an_sqlite_database_is_written_ahead_and_kept_open_between_requests(
    tmp_path: Path, by_url: bool
) -> None:
    code = (
        "from django.conf import settings; from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "d = settings.DATABASES['default']; "
        "print(c.fetchone()[0], d['CONN_MAX_AGE'], d['OPTIONS']['transaction_mode'], d['OPTIONS']['timeout'])"
    )
    extra = {"DATABASE_URL": f"sqlite:///{tmp_path / 'by-url.sqlite3'}"} if by_url else {}
    data = tmp_path / "data #1 %20?"  # read as a path, never as a URL
    result = _trustdesk("shell", "--no-imports", "-c", code, TRUSTDESK_DATA_DIR=str(data), **extra)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "60", "IMMEDIATE", "20"]
    assert (tmp_path / "by-url.sqlite3" if by_url else data / "trustdesk.sqlite3").is_file()


def test_it_keeps_debug_off_unless_asked(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = _trustdesk("shell", "--verbosity", "0", "-c", code, TRUSTDESK_DATA_DIR=str(tmp_path))
    assert result.stdout.strip() == "False", result.stderr
    result = _trustdesk(
        "shell", "--verbosity", "0", "-c", code, TRUSTDESK_DATA_DIR=str(tmp_path), TRUSTDESK_DEBUG="1"
    )
    assert result.stdout.strip() == "True", result.stderr


def test_it_reads_the_api_limit_per_token_and_takes_0_for_none(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.TRUSTDESK_THROTTLE['api'])"
    for value, expected in (("", "(1200, 60)"), ("0", "(0, 60)"), ("300", "(300, 60)")):
        result = _trustdesk(
            "shell",
            "--verbosity",
            "0",
            "-c",
            code,
            TRUSTDESK_DATA_DIR=str(tmp_path),
            TRUSTDESK_THROTTLE_API=value,
        )
        assert result.stdout.strip() == expected, result.stderr
    result = _trustdesk("shell", "-c", code, TRUSTDESK_DATA_DIR=str(tmp_path), TRUSTDESK_THROTTLE_API="-1")
    assert result.returncode != 0 and "TRUSTDESK_THROTTLE_API=-1 is below the minimum of 0" in result.stderr


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)


def _production_env(tmp_path: Path) -> dict[str, str]:
    # Without the test run's own variables (the browser tests allow async-unsafe calls in this process).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRUSTDESK_", "DATABASE_URL")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        TRUSTDESK_DATA_DIR=str(tmp_path / "data"),
        TRUSTDESK_HTTPS="1",
        TRUSTDESK_BEHIND_PROXY="1",
        TRUSTDESK_ALLOWED_HOSTS="privacy.example.com",
        TRUSTDESK_CSRF_TRUSTED_ORIGINS="https://privacy.example.com",
        TRUSTDESK_SECRET_KEY="k" * 20 + "-production-key-of-sufficient-length-and-variety-0123456789",
        TRUSTDESK_EMAIL_HOST="smtp.example.com",
    )
    return env


def test_it_passes_the_deployment_checks_with_production_settings(tmp_path: Path) -> None:
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_secures_cookies_and_sends_hsts_behind_tls(tmp_path: Path) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_NAME, s.EMAIL_BACKEND.rsplit('.', 2)[1], s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    )
    env = {**_production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "trustdesk.settings"}
    result = _run([sys.executable, "-c", script], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "31536000",
        "__Host-session",
        "smtp",
        "587",
        "True",
    ]


def test_it_prints_e_mail_on_the_console_without_an_smtp_host(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env.update(TRUSTDESK_DATA_DIR=str(tmp_path / "data"), DJANGO_SETTINGS_MODULE="trustdesk.settings")
    script = "import django; django.setup(); from django.conf import settings as s; print(s.EMAIL_BACKEND)"
    result = _run([sys.executable, "-c", script], env)
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend", result.stderr


def test_it_refuses_starttls_and_tls_together(tmp_path: Path) -> None:
    env = {**_production_env(tmp_path), "TRUSTDESK_EMAIL_STARTTLS": "1", "TRUSTDESK_EMAIL_TLS": "1"}
    result = _run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "TRUSTDESK_EMAIL_STARTTLS and TRUSTDESK_EMAIL_TLS cannot both be on" in result.stderr


@pytest.mark.parametrize(
    "value", ["privacy-desk", "/privacy desk", "/a/../b", "/a//b", "https://x.example/a"]
)
def test_it_refuses_a_url_prefix_that_is_not_a_path(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("X_PREFIX", value)
    with pytest.raises(ImproperlyConfigured, match=r"X_PREFIX=.* is not a path such as /privacy-desk"):
        env.env_url_prefix("X_PREFIX")


def test_it_reads_a_url_prefix_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_PREFIX", " /privacy-desk/ ")
    assert env.env_url_prefix("X_PREFIX") == "/privacy-desk"
    monkeypatch.setenv("X_PREFIX", "/a/b_c.d~e")
    assert env.env_url_prefix("X_PREFIX") == "/a/b_c.d~e"
    monkeypatch.delenv("X_PREFIX")
    assert env.env_url_prefix("X_PREFIX") == ""


def test_it_takes_the_site_url_as_an_origin_and_refuses_a_path_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_SITE", "https://privacy.example.com:8443/")
    assert env.env_origin("X_SITE", "http://127.0.0.1:8000") == "https://privacy.example.com:8443"
    monkeypatch.delenv("X_SITE")
    assert env.env_origin("X_SITE", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    monkeypatch.setenv("X_SITE", "https://example.com/privacy-desk")
    with pytest.raises(
        ImproperlyConfigured, match=re.escape("give https://example.com alone, and a path the site is served")
    ):
        env.env_origin("X_SITE", "")
    for bad in ("privacy.example.com", "ftp://example.com", "https://"):
        monkeypatch.setenv("X_SITE", bad)
        with pytest.raises(
            ImproperlyConfigured, match=re.escape("is not an address such as https://privacy.example.com")
        ):
            env.env_origin("X_SITE", "")


def test_every_command_and_the_web_server_carry_the_url_prefix(tmp_path: Path) -> None:
    """``trustdesk`` commands (the periodic job's e-mails) write the same links as the pages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTDESK_", "DATABASE_URL"))}
    env.update(
        TRUSTDESK_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="trustdesk.settings",
        TRUSTDESK_URL_PREFIX="/privacy-desk/",
    )
    expected = ["/privacy-desk/account/", "/privacy-desk/static/web/trustdesk.css"]
    links = "from django.urls import reverse; from django.templatetags.static import static; "
    links += "print(reverse('accounts:home'), static('web/trustdesk.css'))"
    command = _run([sys.executable, "-c", "import django; django.setup(); " + links], env)
    assert command.stdout.split() == expected, command.stderr
    # A WSGI server's process sets Django up without a script prefix (the handler sets one at each request),
    # and WhiteNoise reads the static files' address before the first.
    server = _run([sys.executable, "-c", "from trustdesk.wsgi import application; " + links], env)
    assert server.stdout.split()[1:] == expected[1:], server.stderr
