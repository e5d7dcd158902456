# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ip_address: the one rule that decides whether a site is served over plain HTTP (an IP address gets no certificate),
asked by the app role and the summary play."""

import pytest

from ansible_collections.pytrackdat.deploy.plugins.test.ip_address import TestModule, ip_address


@pytest.mark.parametrize("address", ["192.0.2.10", "127.0.0.1", "2001:db8::10", "::1", "fe80::1"])
def test_ip_addresses_are_ip_addresses(address):
    assert ip_address(address) is True


@pytest.mark.parametrize("address", [
    "lab.example.org", "www.lab.example.org", "localhost", "",
    # all digits and dots, but no address: the old rule (digits and dots) took these for IPv4 and served plain HTTP
    "999.1.1.1", "1.2.3", "192.0.2.10.",
    # a colon, but no address: the old rule (any colon) took these for IPv6
    "abc:", "fe80::zz", "[2001:db8::10]", "192.0.2.10:8080",
])
def test_anything_else_is_not(address):
    assert ip_address(address) is False


def test_the_collection_offers_it_as_a_jinja_test():
    assert TestModule().tests() == {"ip_address": ip_address}
