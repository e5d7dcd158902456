# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS to the e2e droplet without DNS or a browser: GET, an admin session with Django's CSRF token, a poller."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.parse

from tests.e2e import harness

DOMAIN = harness.DOMAIN


class PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the droplet's address for the site's domain (SNI, Host, certificate check), without DNS."""

    def __init__(self, address, cafile, timeout, host=DOMAIN):
        super().__init__(host, 443, context=ssl.create_default_context(cafile=str(cafile)), timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # pylint: disable=no-member


def get(address, path, cafile, timeout=10, host=DOMAIN, with_location=False):
    """(status, body) of GET https://<host><path> at the droplet's address, the chain verified against cafile;
    (status, Location header) with_location."""
    conn = PinnedHTTPS(address, cafile, timeout, host)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, (response.getheader("Location") or "") if with_location else body
    finally:
        conn.close()


class Admin:
    """A logged-in admin session over PinnedHTTPS (cookies and Django's CSRF token), without a browser."""

    def __init__(self, address, cafile):
        self.address, self.cafile, self.cookies = address, cafile, {}

    def request(self, method, path, fields=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(dict(fields, csrfmiddlewaretoken=self.cookies.get("csrftoken", "")))
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{DOMAIN}{path}"})
        conn = PinnedHTTPS(self.address, self.cafile, 30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _eq, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", text
        finally:
            conn.close()

    def login(self, password):
        self.request("GET", "/login/")
        status, location, _body = self.request("POST", "/login/", {"username": harness.ADMIN_USER, "password": password, "next": "/"})
        return status == 302 and "/login/" not in location


def poll(path, address, cafile, stop, results):
    """GET path at 10 Hz until stop is set; record (time, ok)."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok = get(address, path, cafile, timeout=1)[0] in (200, 302)
        except (OSError, http.client.HTTPException):
            ok = False
        results.append((started, ok))
        stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))
