"""The benchmark's Markdown (bench/run.py `render`): CPU per request and what one PostgreSQL could carry."""

from bench.run import render


def wrk_run(rps, *, cpu_app, cpu_db):
    return {
        "rps": rps,
        "p50_ms": 10.0,
        "p99_ms": 20.0,
        "errors": 0,
        "cpu_app": cpu_app,
        "cpu_db": cpu_db,
        "cpu_wrk": 0.02,
        "cpu_machine": cpu_app + cpu_db + 0.03,
        "pytest_processes": 0,
        "load_before": 1.0,
        "load_after": 1.2,
    }


def results(page_runs):
    return {
        "started": "2026-11-22 06:00",
        "args": {"rounds": 3, "duration": 10},
        "uptime_start": "up",
        "uptime_end": "up",
        "settings": "test",
        "city": {"action": "reused"},
        "machine": dict.fromkeys(
            ["cpu", "ram_gb", "postgres", "redis", "python", "django", "gunicorn", "wrk", "commit", "database_size"],
            "x",
        )
        | {"nproc": 2},
        "targets": {"trivial": "Trivial view", "member-home": "Member home"},
        "web": {
            "trivial": {"4": [wrk_run(4000, cpu_app=1.8, cpu_db=0.0)] * 3},
            "member-home": {"4": page_runs},
        },
    }


def cores_row(markdown: str, label: str) -> list[str]:
    table = markdown[markdown.index("| page | app | db |") :]
    line = next(line for line in table.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_cpu_per_request_is_cores_busy_over_requests_per_second_median_over_rounds():
    runs = [
        wrk_run(250, cpu_app=1.5, cpu_db=0.25),  # 6.0 ms app, 1.0 ms db
        wrk_run(200, cpu_app=1.6, cpu_db=0.40),  # 8.0 ms app, 2.0 ms db
        wrk_run(300, cpu_app=1.5, cpu_db=0.24),  # 5.0 ms app, 0.8 ms db
    ]
    row = cores_row(render(results(runs)), "Member home")
    assert row[-3:] == ["6.00", "1.00", "2,000"]  # 2 cores × 1,000 ms / 1.00 ms of PostgreSQL per request


def test_a_page_without_database_time_has_no_database_ceiling():
    row = cores_row(render(results([wrk_run(300, cpu_app=1.5, cpu_db=0.0)] * 3)), "Trivial view")
    assert row[-2:] == ["0.00", "— (no database)"]
