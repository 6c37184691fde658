"""The rates pages' tab registry (communities.platform.navigation.add_rates_tab): a tab another app registers shows
in the organisation department's pages (admin) and the street staff's pages, with its own policy, and draws its
template with the context it computes for the user and the year."""

import pytest
import rules
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.urls import reverse

from communities.platform import navigation, policies

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe_tab(monkeypatch):
    monkeypatch.setattr(navigation, "_rates_tabs", dict(navigation._rates_tabs))
    # {% include %} takes a compiled template as well as a name: no template file for the probe.
    template = engines["django"].from_string('<p id="probe">{{ probe_year }} {{ probe_user }}</p>')
    policies.define("rates_probe.view_probe", policies.is_street_staff)
    navigation.add_rates_tab("probe", "探针", template=template, policy="rates_probe.view_probe", order=99,
                             context=lambda request, year: {"probe_year": year, "probe_user": request.user.username})
    yield
    rules.remove_rule("rates_probe.view_probe")


def test_a_registered_tab_shows_in_the_street_pages_to_whom_its_policy_allows(client, staff_users, probe_tab):
    client.force_login(staff_users["street"])
    places = client.get(reverse("street-rates:places"))
    assert reverse("street-rates:tab", args=["probe"]) in places.content.decode()
    response = client.get(reverse("street-rates:tab", args=["probe"]), {"year": 2025})
    assert response.status_code == 200
    assert f'<p id="probe">2025 {staff_users["street"].username}</p>' in response.content.decode()
    # The organisation department sees the rates pages, but this tab's policy is for street staff only.
    client.force_login(staff_users["org_city"])
    assert reverse("rates:tab", args=["probe"]) not in client.get(reverse("rates:places")).content.decode()
    assert client.get(reverse("rates:tab", args=["probe"])).status_code == 403


def test_the_registered_tabs_show_in_the_admin_rates_pages(client, staff_users):
    client.force_login(staff_users["org_city"])
    html = client.get(reverse("rates:units")).content.decode()
    for tab in navigation.rates_tabs_for(staff_users["org_city"]):
        assert reverse("rates:tab", args=[tab.key]) in html


def test_a_tab_name_is_registered_once(probe_tab):
    with pytest.raises(ImproperlyConfigured):
        navigation.add_rates_tab("probe", "x", template="x.html", context=lambda request, year: {})
