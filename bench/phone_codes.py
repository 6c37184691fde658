"""SMS codes for the phones a load run will POST with, made before the run by communities.phone_codes itself:
the forms that need one (the residents' public request page, the registration form) check them as they check any
person's. Shared by bench/resident_requests.py and bench/run.py."""

from collections.abc import Callable


def make_codes(*, count: int, first: int, purpose: str, phone: Callable[[int], str]) -> list[tuple[str, str]]:
    """(phone, code) for the `count` fresh phones phone(first) … phone(first + count - 1), each code made by
    communities.phone_codes for `purpose` and read where the gateway receives it (the locmem backend; its task
    run in this process)."""
    import logging

    from django.conf import settings

    from communities.phone_codes.codes import code_send
    from communities.sms import LocmemSmsBackend
    from config.celery import app

    backend, eager = settings.SMS_BACKEND, app.conf.task_always_eager
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    settings.SMS_BACKEND = "communities.sms.LocmemSmsBackend"
    app.conf.task_always_eager = True  # the SMS task runs here, after code_send's commit
    trace.setLevel(logging.WARNING)  # one line per task otherwise
    LocmemSmsBackend.outbox = []
    pairs = []
    try:
        for n in range(first, first + count):
            number = phone(n)
            code_send(phone=number, purpose=purpose)
            message = LocmemSmsBackend.outbox.pop()
            if message["phone"] != number:
                raise RuntimeError(f"bench.phone_codes: the code for {number} did not arrive")
            pairs.append((number, message["params"]["code"]))
    finally:
        settings.SMS_BACKEND, app.conf.task_always_eager = backend, eager
        trace.setLevel(level)
    return pairs
