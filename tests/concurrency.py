"""Running test code in threads, each with its own database connection (PostgreSQL race tests)."""

import threading

from django.db import connection


def run_in_threads(*targets):
    """Run each target in its own thread and wait for all; re-raise the first error a thread met."""
    errors = []

    def wrapped(target):
        try:
            target()
        except Exception as error:  # noqa: BLE001  (collected and raised below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
