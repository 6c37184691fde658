"""An optional address allow-list for the admin site (issue 19, finding 10: MLPS 2.0 access control of the management
interface). ADMIN_ALLOWED_NETWORKS lists the networks (CIDR, e.g. 10.0.0.0/8, or single addresses) the admin answers;
empty (the default), it answers every address, as before. Any other address gets a 404, as if there were no admin
(nothing to probe), before the login page or any admin view runs; the client's address is the audit trail's
(communities.audit.client_ip, which honours DJANGO_TRUSTED_PROXY_COUNT). The refusal is logged, without the path's
query string."""

import ipaddress
import logging
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.urls import reverse

from .audit import client_ip

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def parse_networks(values: tuple) -> tuple:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"ADMIN_ALLOWED_NETWORKS: {value!r} is not an address or network.") from None
    return tuple(networks)


def address_allowed(address: str | None, networks) -> bool:
    if not networks:
        return True
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks if network.version == ip.version)


class AdminAllowListMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        parse_networks(tuple(settings.ADMIN_ALLOWED_NETWORKS))  # a wrong value refuses to start

    @property
    def networks(self) -> tuple:
        return parse_networks(tuple(settings.ADMIN_ALLOWED_NETWORKS))  # parsed once per value

    @cached_property
    def admin_prefix(self) -> str:
        return reverse("admin:index")

    def __call__(self, request):
        if self.networks and request.path_info.startswith(self.admin_prefix):
            address = client_ip(request)
            if not address_allowed(address, self.networks):
                logger.warning("admin refused to an address outside ADMIN_ALLOWED_NETWORKS: %s", address)
                raise Http404
        return self.get_response(request)
