import os
import subprocess
import sys

from config.embedded import BASE_DIR

PRODUCTION = {
    "SECRET_KEY": "a-production-secret-key-that-is-long-enough-and-random-1234567890-abcdef",
    "ALLOWED_HOSTS": "retriever.example.org",
    "DATABASE_URL": "postgresql://retriever@db.example.org/retriever",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True
    )


def test_deploy_checks_pass_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", env={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
