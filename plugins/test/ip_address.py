# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ip_address: whether a site's address is an IP address. Such a site gets no certificate and is served over plain
HTTP: the app role's checks, Caddyfile and health check, and the summary play's URL, all ask this one test."""

from __future__ import annotations

import ipaddress


def ip_address(value):
    """True for an IPv4 or IPv6 address as written in the inventory (no brackets, no port)."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


class TestModule:
    """The collection's Jinja tests."""

    def tests(self):
        return {"ip_address": ip_address}
