import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()

# Refuse to serve with ID-number keys that cannot read the stored numbers: every number would show blank.
from communities.health import init_error_tracking  # noqa: E402
from registration.identity import verify_id_number_keys  # noqa: E402

verify_id_number_keys()
init_error_tracking()
