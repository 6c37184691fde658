"""Instructions a page costs, counted by valgrind: app CPU that does not move with the machine's load.

`make bench` measures CPU per request under load, as a multiple of the same run's trivial view; on this shared 2-core
machine one run differs from the next by up to a fifth, more than most changes a developer wants to judge. This tool
counts the instructions one request executes (callgrind, in-process through Django's test client, production
settings, after a warm-up), for a page and for the trivial view, so that two versions of a page can be compared
exactly (a second count of the same code agrees to 0.1%). It counts the process's own instructions: the kernel's
share (the socket I/O of a query or a cache read) is not in it. It is a developer's tool, not the target: the targets
stay `make bench`'s.

    source .ci/services.sh   # DATABASE_URL of a database holding a city (the benchmark's), Redis
    .venv/bin/python -m bench.instructions 13800138000 /registration/me/ [--requests 30]

Needs valgrind (Debian package `valgrind`). A request runs about 50 times slower under it.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20


def _child(username: str, path: str, requests: int) -> None:
    """Inside valgrind: warm up, then count `requests` requests only (callgrind_control switches counting)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if username != "-":
        from communities import second_factor

        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        device = second_factor.confirmed_device(user)
        if device:
            session = client.session
            second_factor.session_verify(session, device)
            session.save()
    for _ in range(WARM_UP):
        status = client.get(path).status_code
    if status != 200:
        raise SystemExit(f"{path} answered {status} to {username}")
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)  # noqa: S603,S607
    for _ in range(requests):
        client.get(path)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)  # noqa: S603,S607


def count(env: dict, username: str, path: str, requests: int) -> float:
    """Instructions per request (millions)."""
    command = [  # noqa: S607 - valgrind from the system's path, as make bench finds wrk
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "bench.instructions", "--child", username, path, "--requests", str(requests),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    collected = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode or not collected:
        raise SystemExit(f"bench.instructions: {path} could not be counted:\n{done.stderr[-2000:]}")
    return int(collected.group(1)) / requests / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("username", help="a login of the city ('-' for an anonymous visitor)")
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.username, args.path, args.requests)

    from bench.run import production_env

    env = production_env(argparse.Namespace(redis_db=5))
    page = count(env, args.username, args.path, args.requests)
    trivial = count({**env, "DJANGO_SETTINGS_MODULE": "bench.ceiling_settings"}, "-", "/", max(args.requests, 100))
    print(f"{args.path} as {args.username}: {page:.2f} M instructions a request; trivial view {trivial:.2f} M; "
          f"{page / trivial:.1f}×")


if __name__ == "__main__":
    main()
