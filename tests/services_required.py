"""Skip a test that needs an outside service, except where the run says services are required (CI)."""

import os

import pytest


def require_or_skip(reason: str, *, in_ci: bool = False):
    """Fail when REQUIRE_SERVICES is set (or, with in_ci, under CI); skip otherwise."""
    if os.environ.get("REQUIRE_SERVICES") or (in_ci and os.environ.get("CI")):
        pytest.fail(f"required here but unavailable: {reason}")
    pytest.skip(reason)
