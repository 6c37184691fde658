"""Settings come from the environment: the embedded default, the production switch and its refusals."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'propagates': s.CELERY_TASK_EAGER_PROPAGATES, 'broker': s.CELERY_BROKER_URL, 'email': s.EMAIL_BACKEND, "
    "'debug': s.DEBUG, 'language': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'dev_keys': s.USING_DEVELOPMENT_ID_KEYS, "
    "'cache': s.CACHES['default']['BACKEND'], 'sessions': s.SESSION_ENGINE}))"
)
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-enough-for-the-deploy-check-0123456789",
    "DJANGO_ALLOWED_HOSTS": "party.example.org",
    "ID_NUMBER_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktZm9yLXRoZS10ZXN0cy1vbmx5",
    "ID_NUMBER_HASH_KEY": "production-hash-key",
}


def run_settings(**variables):
    # Only PATH survives: the probe sees exactly the variables a test names.
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.base", **variables}
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_with_nothing_set_the_app_runs_embedded():
    result = run_settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "propagates": True,
        "broker": "memory://",
        "email": "django.core.mail.backends.console.EmailBackend",
        "debug": True,
        "language": "zh-hans",
        "tz": "Asia/Shanghai",
        "dev_keys": True,
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "django.contrib.sessions.backends.db",
    }


def test_database_and_broker_urls_select_postgresql_and_redis():
    result = run_settings(DATABASE_URL="postgres://u:p@127.0.0.1:5432/db", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/0"


def test_a_shared_cache_also_holds_the_sessions_and_a_per_process_one_does_not():
    # A per-process cache would keep a logged-out session alive in the other gunicorn workers.
    shared = json.loads(run_settings(CACHE_URL="redis://127.0.0.1:6379/2").stdout)
    assert shared["cache"] == "communities.cache.DegradingRedisCache"  # a Redis outage is a miss, not a 500
    assert shared["sessions"] == "django.contrib.sessions.backends.cached_db"
    per_process = json.loads(run_settings(CACHE_URL="locmemcache://").stdout)
    assert per_process["sessions"] == "django.contrib.sessions.backends.db"


def test_production_without_a_secret_key_refuses_to_start():
    result = run_settings(**{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_without_id_number_keys_refuses_to_start():
    result = run_settings(**{**PRODUCTION, "ID_NUMBER_HASH_KEY": ""})
    assert result.returncode != 0
    assert "ID_NUMBER_ENCRYPTION_KEYS and ID_NUMBER_HASH_KEY must be set" in result.stderr


def test_production_with_its_variables_starts_without_development_keys():
    result = run_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["dev_keys"] is False


def test_passwords_are_hashed_with_argon2id_and_older_hashes_are_upgraded_at_login(db):
    """The production hasher list (test settings use MD5 for speed): Argon2id at OWASP's minimum parameters first,
    and a PBKDF2 hash of an existing account verifies and is replaced by an Argon2id one when it is checked."""
    from argon2 import extract_parameters
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from config.settings import base
    from tests import factories

    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("Long2026enough")
        assert encoded.startswith("argon2$argon2id$")
        parameters = extract_parameters("$" + encoded.split("$", 1)[1])
        assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19 * 1024, 2, 1)

        user = factories.UserFactory(password="!")
        user.password = make_password("Long2026enough", hasher="pbkdf2_sha256")
        user.save()
        assert user.check_password("Long2026enough")
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")
