"""Test settings: the base settings with a fast password hasher and eager tasks.

DATABASE_URL still selects PostgreSQL, so the same suite runs on SQLite and on PostgreSQL.
"""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run tasks in-process; the real-worker tests start a worker on the broker themselves.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# SMS go to communities.sms.LocmemSmsBackend.outbox (the gateway's boundary), not the console.
SMS_BACKEND = "communities.sms.LocmemSmsBackend"
