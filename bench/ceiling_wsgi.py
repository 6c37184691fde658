"""WSGI entry of the ceiling server: gunicorn bench.ceiling_wsgi (run by bench/run.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ceiling_settings"

application = get_wsgi_application()
