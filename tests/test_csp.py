"""The Content-Security-Policy: every page carries it, and no template writes code or styles the policy refuses."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from registration.models import Report
from services.models import ServiceRecord
from tests import factories
from tests.conftest import make_staff
from tests.inline_markup import find_inline_markup

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def directives(header: str) -> dict[str, set[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: set(sources) for name, *sources in parts}


def assert_policy_and_clean_page(response):
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response
    found = find_inline_markup(response.content.decode())
    assert not found, "\n".join(f"{response.request['PATH_INFO']}:{line}: {what}: {text}" for line, what, text in found)


# --- 1. The header, on representative pages of every audience -------------------------------------------------


@pytest.fixture
def places(db):
    community = factories.CommunityFactory()
    report = factories.ReportFactory(community=community, status=Report.Status.CONFIRMED)
    need = factories.ServiceNeedFactory(community=community)
    factories.ServiceRecordFactory(member=report.member, community=community, status=ServiceRecord.Status.SUBMITTED)
    return {"community": community, "report": report, "need": need}


@pytest.mark.django_db
def test_pages_for_anyone_carry_the_policy(client, places):
    code = places["community"].code
    for url in (
        reverse("login"),
        reverse("registration:register"),
        reverse("services:public-board", args=[code]),
        reverse("services:public-board-print", args=[code]),
        "/no-such-page/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_policy_and_clean_page(response)


@pytest.mark.django_db
def test_member_pages_carry_the_policy(client, places):
    report = places["report"]
    client.force_login(report.member.user)
    for url in (
        reverse("registration:member-home"),
        reverse("registration:letter", args=[report.pk]),
        reverse("services:need-board"),
        reverse("services:my-service"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy_and_clean_page(response)


@pytest.mark.django_db
def test_staff_pages_and_htmx_answers_carry_the_policy(client, places):
    client.force_login(make_staff("community", community=places["community"]))
    for url in (reverse("registration:report-queue"), reverse("services:staff-record-queue")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy_and_clean_page(response)
    record = ServiceRecord.objects.get()
    swap = client.post(reverse("services:staff-record-verify", args=[record.pk]), HTTP_HX_REQUEST="true")
    assert swap.status_code == 200
    assert 'class="card mb-2 record-row"' in swap.content.decode()  # the row htmx swaps in, not a whole page
    assert_policy_and_clean_page(swap)


@pytest.mark.django_db
def test_admin_pages_we_add_carry_the_policy(client, places):
    factories.RosterEntryFactory(community=places["community"])
    client.force_login(make_staff("org", is_staff=True))
    for url in (
        reverse("admin:index"),
        reverse("rates:places"),
        reverse("rates:units"),
        reverse("rates:community", args=[places["community"].pk]),
        reverse("assessment:admin"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy_and_clean_page(response)
    assert b"<svg" in client.get(reverse("rates:places")).content  # the chart is drawn, with no style attribute


def test_the_policy_is_enforced_in_development_too():
    """With no variable set (DEBUG on, runserver), a page is served under the same enforced policy."""
    probe = (
        "import json, django; django.setup(); from django.test import Client; r = Client().get('/login/'); "
        "print(json.dumps({'debug': django.conf.settings.DEBUG, 'csp': r.get('Content-Security-Policy'), "
        "'report_only': r.get('Content-Security-Policy-Report-Only')}))"
    )
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is True
    assert directives(values["csp"]) == POLICY
    assert values["report_only"] is None


# --- 2. No template writes inline code or styles ---------------------------------------------------------------

# Templates that may keep a finding, as {"path relative to the project": {"what", ...}}, each with the reason
# the policy still holds. Empty: nothing needs it.
ALLOWED: dict[str, set[str]] = {}

_COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)


def project_templates() -> list[Path]:
    """templates/ and the templates of the project's own apps (not those of installed packages)."""
    root = Path(settings.BASE_DIR)
    folders = [root / "templates"]
    own_apps = [
        Path(config.path)
        for config in apps.get_app_configs()
        if root in Path(config.path).parents and "site-packages" not in Path(config.path).parts  # a venv inside
    ]
    folders += [path / "templates" for path in own_apps]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def without_comments(text: str) -> str:
    """Template comments never reach the browser; they are blanked, keeping the line numbers."""
    return _COMMENT.sub(lambda match: "\n" * match.group().count("\n"), text)


def test_the_scan_finds_every_kind_of_inline_code_and_style():
    page = (
        "<script>alert(1)</script>\n<script src='/static/a.js'></script>\n"
        '<script id="d" type="application/json">{}</script>\n'
        '<p style="color:red">\n<button type="button"\n  onclick="go()">\n<style>p{}</style>\n'
        '<a href="javascript:go()">\n<form hx-on:submit="go()">\n<div hx-vals=\'js:{a: 1}\'>\n'
        '<p class="x">on the list = 3, style of work</p>\n'
    )
    found = [(line, what) for line, what, _ in find_inline_markup(page)]
    assert found == [
        (1, "inline <script>"),
        (4, "style attribute"),
        (6, "event handler attribute"),
        (7, "<style> element"),
        (8, "javascript: URL"),
        (9, "htmx code attribute"),
        (10, "htmx code attribute"),
    ]
    assert without_comments("{# <style> #}\n{% comment %}\nonclick=\n{% endcomment %}x") == "\n\n\nx"


def test_no_template_holds_inline_scripts_handlers_or_styles():
    root = Path(settings.BASE_DIR)
    templates = project_templates()
    assert root / "templates" / "registration" / "letter.html" in templates
    problems = []
    for path in templates:
        name = str(path.relative_to(root))
        for line, what, text in find_inline_markup(without_comments(path.read_text(encoding="utf-8"))):
            if what not in ALLOWED.get(name, set()):
                problems.append(f"{name}:{line}: {what}: {text}")
    assert not problems, "inline code or style the Content-Security-Policy refuses:\n" + "\n".join(problems)
