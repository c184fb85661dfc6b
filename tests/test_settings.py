"""Start-up reads its settings from the environment and refuses bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_networks

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with only these settings variables."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "DJANGO_",
                "DATABASE_URL",
                "AGREEMENT_",
                "ALIBABA_",
                "CHATAPP_",
                "SANDBOX_",
                "SIGN_IN_",
                "GUNICORN_",
            )
        )
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(**env) -> subprocess.CompletedProcess:
    return run_python(
        "import portal.settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.AGREEMENT_MAX_BYTES, "
        "s.DATABASES['default']['ENGINE'])",
        **env,
    )


def test_commands_that_serve_nothing_run_without_configuration():
    # What `make lint` runs: debug mode off, nothing else set, no warning.
    result = run_python(
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--fail-level', 'WARNING'])"
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_flags_the_development_key():
    result = run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy'])"
    )

    assert "security.W009" in result.stderr


def test_the_defaults_run_on_a_laptop():
    result = load_settings(DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True ['localhost', '127.0.0.1'] 2097152")
    assert "sqlite3" in result.stdout


def test_settings_come_from_the_environment():
    result = load_settings(
        DJANGO_SECRET_KEY="a-real-secret",
        DJANGO_ALLOWED_HOSTS="portal.example, admin.example",
        AGREEMENT_MAX_BYTES="5000000",
        DATABASE_URL="postgres://user@db.example:5432/portal",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1)[1].strip() == (
        "['portal.example', 'admin.example'] 5000000 django.db.backends.postgresql"
    )


def test_a_malformed_number_names_the_variable():
    result = load_settings(DJANGO_DEBUG="1", AGREEMENT_MAX_BYTES="2MB")

    assert result.returncode != 0
    assert "AGREEMENT_MAX_BYTES must be a whole number, not '2MB'" in result.stderr


@pytest.mark.parametrize(
    "raw,expected", [("1", True), ("yes", True), ("off", False), ("0", False)]
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)

    assert env_bool("SOME_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_env_int_enforces_its_minimum(monkeypatch):
    monkeypatch.setenv("SOME_LIMIT", "0")

    with pytest.raises(ImproperlyConfigured, match="SOME_LIMIT must be at least 1"):
        env_int("SOME_LIMIT", 5, minimum=1)


def test_env_networks_reads_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("SOME_PROXIES", "10.0.0.0/8, 192.0.2.7,::1")

    assert [str(network) for network in env_networks("SOME_PROXIES")] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "::1/128",
    ]


def test_env_list_ignores_blanks(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", " a.example, ,b.example ")

    assert env_list("SOME_HOSTS") == ["a.example", "b.example"]


def chatapp_settings(**env) -> subprocess.CompletedProcess:
    return run_python(
        "import portal.settings as s; print(s.CHATAPP_SANDBOX, s.CHATAPP_ENDPOINT, "
        "s.ALIBABA_CLOUD_ACCESS_KEY_ID, s.CHATAPP_RATE_LIMIT)",
        **env,
    )


def test_without_a_key_pair_the_portal_uses_the_sandbox():
    result = chatapp_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "http://127.0.0.1:8001",
        "LTAI5tSandboxDemoKeyId",
        "5",
    ]


def test_with_a_key_pair_the_portal_uses_alibaba_cloud():
    result = chatapp_settings(
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAI5tRealKey",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="real-secret",
        CHATAPP_RATE_LIMIT="3",
    )

    assert result.stdout.split() == [
        "False",
        "https://cams.ap-southeast-1.aliyuncs.com",
        "LTAI5tRealKey",
        "3",
    ]


@pytest.mark.parametrize(
    "given,missing",
    [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ],
)
def test_half_a_key_pair_is_refused_naming_the_other_half(given, missing):
    result = chatapp_settings(**{given: "something"})

    assert result.returncode != 0
    assert f"{missing} must be set too" in result.stderr


def test_a_malformed_timeout_names_the_variable():
    result = chatapp_settings(CHATAPP_READ_TIMEOUT="ten")

    assert result.returncode != 0
    assert "CHATAPP_READ_TIMEOUT must be a number, not 'ten'" in result.stderr


def test_a_timeout_of_zero_is_refused():
    result = chatapp_settings(CHATAPP_CONNECT_TIMEOUT="0")

    assert "CHATAPP_CONNECT_TIMEOUT must be more than 0" in result.stderr


def test_a_sandbox_asked_for_beside_a_key_pair_is_refused():
    result = chatapp_settings(
        CHATAPP_SANDBOX="1",
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAI5tRealKey",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="real-secret",
    )

    assert result.returncode != 0
    assert "CHATAPP_SANDBOX=1 asks for the local sandbox" in result.stderr


def security_settings(**env) -> list[str]:
    result = run_python(
        "import portal.settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None) is not None)",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_debug_mode_keeps_plain_http_for_a_laptop():
    redirect, hsts, _, _, session_secure, csrf_secure, proxy = security_settings(
        DJANGO_DEBUG="1"
    )

    assert [redirect, hsts, session_secure, csrf_secure, proxy] == [
        "False",
        "0",
        "False",
        "False",
        "False",
    ]


def test_with_debug_off_the_portal_insists_on_https():
    assert security_settings() == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "False",
    ]


def test_a_proxy_that_terminates_tls_is_trusted_only_when_asked():
    settings = security_settings(
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="no",
        DJANGO_SECURE_HSTS_PRELOAD="no",
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
    )

    assert settings == ["False", "3600", "False", "False", "True", "True", "True"]


def test_a_malformed_security_setting_names_the_variable():
    result = load_settings(DJANGO_SECURE_HSTS_SECONDS="a year")

    assert result.returncode != 0
    assert "DJANGO_SECURE_HSTS_SECONDS must be a whole number" in result.stderr


def test_trusted_origins_come_from_the_environment():
    result = run_python(
        "import portal.settings as s; print(s.CSRF_TRUSTED_ORIGINS)",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://terms.isv.example, https://isv.example",
    )

    assert (
        result.stdout.strip() == "['https://terms.isv.example', 'https://isv.example']"
    )


def test_an_origin_without_its_scheme_names_the_variable():
    result = load_settings(DJANGO_CSRF_TRUSTED_ORIGINS="terms.isv.example")

    assert result.returncode != 0
    assert (
        "DJANGO_CSRF_TRUSTED_ORIGINS must list origins with their scheme"
        in result.stderr
    )
    assert "'terms.isv.example'" in result.stderr


def test_sign_in_throttling_comes_from_the_environment():
    result = run_python(
        "import portal.settings as s; print(s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds(), s.TRUSTED_PROXY_COUNT)",
        SIGN_IN_FAILURE_LIMIT="3",
        SIGN_IN_LOCKOUT_MINUTES="60",
        DJANGO_TRUSTED_PROXY_COUNT="2",
    )

    assert result.stdout.split() == ["3", "3600.0", "2"]


def test_sign_in_throttling_defaults_to_five_failures_and_fifteen_minutes():
    result = run_python(
        "import portal.settings as s; print(s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds(), s.TRUSTED_PROXY_COUNT)"
    )

    assert result.stdout.split() == ["5", "900.0", "0"]


@pytest.mark.parametrize(
    "variable,value,message",
    [
        ("SIGN_IN_FAILURE_LIMIT", "0", "SIGN_IN_FAILURE_LIMIT must be at least 1"),
        ("SIGN_IN_LOCKOUT_MINUTES", "soon", "SIGN_IN_LOCKOUT_MINUTES must be a whole"),
        ("DJANGO_TRUSTED_PROXY_COUNT", "-1", "DJANGO_TRUSTED_PROXY_COUNT must be at"),
        ("DJANGO_TRUSTED_PROXIES", "10.0.0.0/8,lb", "DJANGO_TRUSTED_PROXIES must list"),
        (
            "SIGN_IN_ADDRESS_FAILURE_LIMIT",
            "2",
            "SIGN_IN_ADDRESS_FAILURE_LIMIT must be at least 5",
        ),
    ],
)
def test_a_malformed_throttling_setting_names_the_variable(variable, value, message):
    result = load_settings(**{variable: value})

    assert result.returncode != 0
    assert message in result.stderr
