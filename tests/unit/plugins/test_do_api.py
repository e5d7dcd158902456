# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared client: retries, backoff bounds, pagination, error messages - over HTTP against the emulator."""

from __future__ import annotations

import math
import time

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import (
    AmbiguousWriteError, DOAPIError, DOClient, normalize_api_url,
)

DROPLET = {"region": "fra1", "size": "s-1vcpu-512mb-10gb", "image": "ubuntu-24-04-x64"}


@pytest.fixture
def client(do_emulator):
    return DOClient(do_emulator.token, do_emulator.url, timeout=10, backoff_base=0.05)


@pytest.mark.parametrize("given, expected", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v2/"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v2/"),
    ("http://127.0.0.1:8080/v2", "http://127.0.0.1:8080/v2/"),
    ("http://127.0.0.1:8080/v2/", "http://127.0.0.1:8080/v2/"),
    (None, "https://api.digitalocean.com/v2/"),
])
def test_api_url_always_ends_in_v2_slash(given, expected):
    assert normalize_api_url(given) == expected


def test_api_url_must_be_http():
    with pytest.raises(ValueError, match="not an http"):
        normalize_api_url("ftp://example.org")


def test_retries_after_429_honouring_retry_after(do_emulator, client):
    do_emulator.faults.configure(retry_after=1)
    do_emulator.faults.next(1, "429")
    started = time.time()
    assert client.get("account")["account"]
    assert time.time() - started >= 1.0          # the server asked for one second
    assert [r["status"] for r in do_emulator.request_log] == [429, 200]


@pytest.mark.parametrize("kind", ["500", "503", "reset"])
def test_retries_reads_after_server_errors_and_resets(do_emulator, client, kind):
    do_emulator.faults.next(2, kind)
    assert client.get("account")["account"]
    assert len(do_emulator.request_log) == 3
    assert client.retries == 2


def test_gives_up_after_a_bounded_number_of_attempts(do_emulator, client):
    do_emulator.faults.next(50, "503")
    started = time.time()
    with pytest.raises(DOAPIError) as error:
        client.get("account")
    assert len(do_emulator.request_log) == client.max_attempts == 8
    assert "gave up after 8 attempts" in str(error.value) and "503" in str(error.value)
    assert time.time() - started < 10


def test_a_create_is_not_retried_blindly_after_a_server_error(do_emulator, client):
    do_emulator.faults.next(1, "500")
    with pytest.raises(AmbiguousWriteError):
        client.request("POST", "droplets", dict(DROPLET, name="x"))
    assert len(do_emulator.request_log) == 1


def test_create_looks_the_resource_up_before_posting_again(do_emulator, client):
    do_emulator.faults.next(1, "503")
    lookups = []

    def find():
        lookups.append(1)
        return None

    answer, fresh = client.create("droplets", dict(DROPLET, name="x"), find, "droplet")
    assert fresh and answer["droplet"]["name"] == "x"
    assert lookups == [1]
    assert len(do_emulator.state.droplets) == 1


def test_429_on_a_create_is_retried_because_nothing_was_done(do_emulator, client):
    do_emulator.faults.configure(retry_after=0)
    do_emulator.faults.next(1, "429")
    answer = client.request("POST", "droplets", dict(DROPLET, name="x"), retry_ambiguous=False)
    assert answer["droplet"]["name"] == "x"
    assert len(do_emulator.state.droplets) == 1


def test_a_404_on_delete_counts_as_done(do_emulator, client):
    assert client.delete("droplets/123456") is False


@pytest.mark.parametrize("count", [0, 1, 200, 201, 450])
def test_lists_n_items_in_exactly_ceil_n_over_200_requests(do_emulator, client, count):
    for index in range(count):
        do_emulator.state.ssh_keys[index + 1] = {"id": index + 1, "name": "k%d" % index,
                                                 "fingerprint": "fp%d" % index, "public_key": "ssh-ed25519 x"}
    keys = client.list_all("account/keys", "ssh_keys")
    assert len(keys) == count
    assert len({k["id"] for k in keys}) == count
    assert len(do_emulator.request_log) == max(1, math.ceil(count / 200))
    assert all(r["query"].get("per_page") == "200" for r in do_emulator.request_log)


def test_error_messages_say_what_to_fix(do_emulator):
    bad = DOClient("wrong-token", do_emulator.url, backoff_base=0.01)
    with pytest.raises(DOAPIError) as error:
        bad.get("account")
    assert error.value.status == 401
    assert "DIGITALOCEAN_ACCESS_TOKEN" in str(error.value)
    with pytest.raises(DOAPIError, match="No DigitalOcean API token"):
        DOClient("", do_emulator.url)


def test_unreachable_end_point_is_retried_then_reported(client):
    dead = DOClient("t", "http://127.0.0.1:9/v2/", timeout=1, max_attempts=3, backoff_base=0.01)
    with pytest.raises(DOAPIError, match="Could not reach DigitalOcean"):
        dead.get("account")
    assert dead.requests_made == 3


def test_429_without_retry_after_waits_for_ratelimit_reset():
    """A 429 that carries only ratelimit-reset (epoch seconds) is retried once that time has come."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            pass

        def do_GET(self):  # pylint: disable=invalid-name
            seen.append(time.time())
            if len(seen) == 1:
                status, body = 429, {"id": "too_many_requests", "message": "API rate limit exceeded."}
                headers = {"ratelimit-reset": str(int(time.time()) + 2)}
            else:
                status, body, headers = 200, {"account": {"status": "active"}}, {}
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in dict(headers, **{"Content-Type": "application/json"}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = DOClient("t", "http://127.0.0.1:%d" % server.server_address[1], timeout=5)
        assert client.get("account") == {"account": {"status": "active"}}
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 1.0      # waited for the reset, not the 0.1-0.2 s backoff
