# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""do_api stands on python-digitalocean through its public hooks only, and library calls get the client's retries."""

from __future__ import annotations

import pathlib
import re

import digitalocean
import pytest
from digitalocean.baseapi import BaseAPI, DataReadError, NotFoundError, TokenError

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import DOAPIError, DOClient, DOManager

PLUGINS = pathlib.Path(__file__).resolve().parents[3] / "plugins"
# A name-mangled attribute of another class, e.g. self._BaseAPI__perform_request (the library's private request path).
MANGLED = re.compile(r"\b_[A-Z][A-Za-z0-9]*__[A-Za-z]")


@pytest.fixture
def client(do_emulator):
    return DOClient(do_emulator.token, do_emulator.url, timeout=10, backoff_base=0.01)


def test_no_file_under_plugins_uses_a_name_mangled_private_attribute():
    assert MANGLED.search("response = self._BaseAPI__perform_request(path, method, params)")
    offenders = ["%s:%d" % (path.relative_to(PLUGINS.parent), number)
                 for path in sorted(p for p in PLUGINS.rglob("*") if p.is_file())
                 for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                 if MANGLED.search(line) or "_BaseAPI__" in line]
    assert offenders == []


def test_the_manager_is_the_library_s_and_overrides_only_its_public_hooks():
    assert issubclass(DOManager, digitalocean.Manager)
    overridden = {name for name in vars(DOManager)
                  if hasattr(digitalocean.Manager, name) and not (name.startswith("__") and name.endswith("__"))}
    assert overridden == {"get_data", "get_timeout"}
    assert all(hasattr(BaseAPI, name) and not name.startswith("_") for name in overridden)


def test_a_library_manager_call_gets_the_client_s_retries(do_emulator, client):
    client.request("POST", "domains", {"name": "example.org"})
    stock = digitalocean.Manager(token=do_emulator.token, end_point=do_emulator.url)
    do_emulator.faults.configure(retry_after=0)
    do_emulator.faults.next(1, "429")
    with pytest.raises(DataReadError):              # the library alone gives up on a 429
        stock.get_all_domains()
    do_emulator.faults.next(1, "429")
    before = len(do_emulator.request_log)
    domains = client.manager.get_all_domains()
    assert [(type(d), d.name) for d in domains] == [(digitalocean.Domain, "example.org")]
    assert [r["status"] for r in do_emulator.request_log[before:]] == [429, 200]
    assert client.retries == 1


def test_get_data_keeps_the_library_s_contract(do_emulator, client):
    for name in ("a.example", "b.example", "c.example"):
        assert client.manager.get_data("domains", "POST", {"name": name})["domain"]["name"] == name
    before = len(do_emulator.request_log)
    merged = client.manager.get_data("domains", params={"per_page": 1})      # pages merged, as the library does
    assert [d["name"] for d in merged["domains"]] == ["a.example", "b.example", "c.example"]
    one = client.manager.get_data("domains", params={"per_page": 1, "page": 2})  # a page asked for: that page only
    assert [d["name"] for d in one["domains"]] == ["b.example"]
    assert len(do_emulator.request_log) - before == 4
    assert client.manager.get_data("domains/c.example", "DELETE") is True
    assert client.manager.ratelimit_limit is not None


def test_errors_are_the_library_s_exception_types_with_status_and_headers(do_emulator, client):
    with pytest.raises(NotFoundError) as missing:
        client.manager.get_data("domains/nowhere.example")
    assert isinstance(missing.value, DOAPIError) and missing.value.status == 404
    assert missing.value.error_id == "not_found"
    with pytest.raises(TokenError) as rejected:
        DOClient("ptd-wrong-token", do_emulator.url, timeout=10).get("account")
    assert rejected.value.status == 401 and "token" in str(rejected.value)
    do_emulator.faults.configure(retry_after=7)
    do_emulator.faults.next(1, "429")
    with pytest.raises(DataReadError) as limited:
        DOClient(do_emulator.token, do_emulator.url, timeout=10, max_attempts=1).get("account")
    assert limited.value.status == 429 and limited.value.headers.get("retry-after") == "7"


def test_the_request_uses_the_library_s_public_state(do_emulator, client):
    manager = client.manager
    assert manager.token == do_emulator.token and manager.end_point == client.api_url
    assert manager.get_timeout() == 10.0
    assert "python-digitalocean/%s" % digitalocean.__version__ in manager.user_agent
