"""Celery tasks of the services app (autodiscovered as `services.tasks`): reminders and the assessment."""

from .assessment import *  # noqa: F403
from .reminders import *  # noqa: F403
