"""Celery tasks of the services app (autodiscovered as `services.tasks`): reminders."""

from .reminders import *  # noqa: F403
