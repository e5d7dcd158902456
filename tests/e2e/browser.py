# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chromium for the e2e site: in a network namespace of its own, trusting exactly the certificate the site serves."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl

from tests.e2e import harness, isolated_browser

DOMAIN = harness.DOMAIN
CHROMIUM = "/usr/bin/chromium"


def served_spki_hash(address):
    """base64(sha256(SubjectPublicKeyInfo)) of the certificate the site serves, for Chromium's pin list."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only reads the certificate; the caller verified the chain before
    with socket.create_connection((address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            der = tls.getpeercert(binary_form=True)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def launch(pw, address):
    """Chromium (Playwright's `pw`) that reaches https://DOMAIN/ at the droplet's `address`.

    It runs in a network namespace of its own (isolated_browser.py), where 127.0.0.1:443 is the droplet's 443:
    Molecule's containers coming and going beside this lane cannot abort its pages (ERR_NETWORK_CHANGED)."""
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1",
            # Chromium does not know Pebble's per-run root; trust exactly the certificate the site serves.
            f"--ignore-certificate-errors-spki-list={served_spki_hash(address)}"]
    return isolated_browser.launch(pw, CHROMIUM, address, [443], args)


def save_and_wait(page, listing_path):
    """Click the admin form's Save and wait for the table's list; on a form error, fail with Django's message."""
    page.click("input[name=_save]")
    try:
        page.wait_for_url(f"https://{DOMAIN}{listing_path}", timeout=30000)
    except Exception as exc:  # playwright's TimeoutError
        errors = page.locator(".errornote, .errorlist").all_inner_texts()
        raise AssertionError(f"saving did not lead to {listing_path} (now {page.url}): {errors or exc}") from None
