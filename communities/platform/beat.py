"""The beat scheduler: django-celery-beat's database schedule (staff see and change it in the admin), with the
entries of every job the apps registered (communities.platform.jobs) written there when beat starts."""

from django_celery_beat.schedulers import DatabaseScheduler

from . import jobs


class RegisteredJobsScheduler(DatabaseScheduler):
    def setup_schedule(self):
        self.app.conf.beat_schedule = {**jobs.beat_schedule(), **(self.app.conf.beat_schedule or {})}
        super().setup_schedule()
