"""Running test code in threads, each with its own database connection (PostgreSQL race tests)."""

import threading

from django.db import connection


def race(*targets):
    """Run each target in its own thread, all released at the same instant, and wait for all. Returns what the
    targets returned and what they raised, each in the order they finished."""
    start = threading.Barrier(len(targets), timeout=30)
    results, errors = [], []

    def wrapped(target):
        try:
            start.wait()
            results.append(target())
        except Exception as error:  # noqa: BLE001  (collected and returned)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def run_in_threads(*targets):
    """race(), for targets that must all succeed: re-raises the first error a thread met; returns the results."""
    results, errors = race(*targets)
    if errors:
        raise errors[0]
    return results
