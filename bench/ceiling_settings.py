"""Settings of the trivial view that measures this machine's ceiling: the project's own settings (so the
same middleware, templates engine and production switches run), with a one-view urlconf and no database.

The dummy database backend raises on any query, so "no database access" holds by construction: a page
that touched the database would fail, and the load generator would count the errors.
"""

from config.settings.base import *  # noqa: F403 - the project's settings, then two changes

ROOT_URLCONF = "bench.ceiling_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
