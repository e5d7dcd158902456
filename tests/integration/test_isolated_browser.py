# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end-to-end browser keeps loading pages while interfaces come and go on the machine (tests/e2e/isolated_browser.py).

CI's stop 31 failed on ``Page.goto: net::ERR_NETWORK_CHANGED``: Chromium drops every connection still in its TLS
handshake when an interface appears, and Molecule's containers add interfaces all through ``make test``. Here a
server that takes a moment over each handshake is loaded while veth pairs are added and removed. Chromium started
as before fails (the control: it shows that the churn reaches a browser), the isolated one loads every page.
"""
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from playwright import sync_api

from tests.e2e import isolated_browser

LAUNCHER = isolated_browser.__file__
CHROMIUM = "/usr/bin/chromium"
NAME = "slow.example.test"
BODY = b"<html><body>handshake done</body></html>"
HANDSHAKE_DELAY = 1.5
# One worker runs both: the second counts the launcher processes left on the machine.
pytestmark = pytest.mark.xdist_group("isolated_browser")


@pytest.fixture
def slow_tls_server(tmp_path):
    """An HTTPS server on loopback that waits HANDSHAKE_DELAY seconds before each TLS handshake."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={NAME}",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn):
        with conn:
            time.sleep(HANDSHAKE_DELAY)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                                b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            except OSError:
                pass  # the browser gave up on this connection

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


@pytest.fixture
def interface_churn():
    """Add and remove an interface with an address every 0.2 s, as Docker does for its networks and containers (bounded: at most 5 minutes)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.fail("this test adds network interfaces: run it as root with iproute2 installed (make test does, via .ci/run)")
    name = f"ptdchurn{os.getpid() % 10000}"
    stop = threading.Event()

    def churn():
        deadline = time.monotonic() + 300
        while not stop.is_set() and time.monotonic() < deadline:
            subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", f"{name}p"], check=True)
            subprocess.run(["ip", "link", "set", name, "up"], check=True)
            # An address of its own, as a Docker network's bridge has (192.0.2.0/24 is kept for documentation).
            subprocess.run(["ip", "addr", "add", "192.0.2.1/32", "dev", name], check=True)
            stop.wait(0.2)
            subprocess.run(["ip", "link", "del", name], check=True)
            stop.wait(0.2)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)
    subprocess.run(["ip", "link", "del", name], check=False, capture_output=True)


def _load(pw, port, isolated, loads):
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors"]
    if isolated:
        browser = isolated_browser.launch(pw, CHROMIUM, "127.0.0.1", [port],
                                          [*args, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])
    else:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*args, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])
    results = []
    try:
        page = browser.new_page()
        for _load_number in range(loads):
            try:
                page.goto(f"https://{NAME}:{port}/", timeout=20000)
                results.append(page.content())
            except Exception as exc:  # playwright's Error
                results.append(str(exc).splitlines()[0])
    finally:
        browser.close()
    return results


def test_the_isolated_browser_loads_every_page_while_interfaces_change(slow_tls_server, interface_churn):
    with sync_api.sync_playwright() as pw:
        plain = _load(pw, slow_tls_server, isolated=False, loads=2)
        isolated = _load(pw, slow_tls_server, isolated=True, loads=3)
    assert any("ERR_NETWORK_CHANGED" in result for result in plain), (
        f"the control did not fail, so this churn does not reach a browser and the test proves nothing: {plain}")
    assert all("handshake done" in result for result in isolated), isolated


def test_the_forwarder_goes_with_the_browser(slow_tls_server):
    """Nothing of the launcher outlives the browser Playwright closed."""
    with sync_api.sync_playwright() as pw:
        assert "handshake done" in _load(pw, slow_tls_server, isolated=True, loads=1)[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = subprocess.run(["pgrep", "-f", LAUNCHER], capture_output=True, text=True, check=False).stdout.split()
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"launcher processes still running after the browser closed: {left}"
