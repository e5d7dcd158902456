"""End to end: site.yml from a DigitalOcean token (the emulator) to a live HTTPS site, then the existing-server path.

The tests run in file order and share one droplet; each later test needs the earlier ones to have passed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from tests.e2e import harness

DOMAIN = harness.DOMAIN
STATE = {}


def _require(step):
    if step not in STATE:
        pytest.fail(f"needs the earlier step '{step}' to have passed")
    return STATE[step]


def _fail_run(run, what):
    pytest.fail(f"{what} failed (rc={run.rc}); log: {run.log_path}\n{run.tail()}")


# --------------------------------------------------------------------------------------------- DigitalOcean path
def test_first_run_provisions_sets_up_and_deploys(droplet_site, artifacts, measurements):
    run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "site-first-run.log")
    if run.rc:
        _fail_run(run, "the first site.yml run")
    address = harness.droplet_address(droplet_site["emulator"])
    assert address and address.startswith("127.0.0."), address
    assert f"https://{DOMAIN}/" in run.output, "the run must end by telling the user the site's address"
    measurements["first_run_seconds"] = round(run.seconds, 1)
    measurements["first_run_phases"] = run.phases()
    STATE["address"] = address


def test_droplet_has_tags_firewall_and_dns_record(droplet_site):
    emu = droplet_site["emulator"]
    address = _require("address")
    droplet = [d for d in emu.api("GET", "droplets?per_page=200")["droplets"] if d["name"] == harness.DROPLET_NAME][0]
    assert {"pytrackdat", f"pytrackdat-{harness.SITE}"} <= set(droplet["tags"])
    assert "backups" in droplet["features"] and "monitoring" in droplet["features"]
    firewalls = [f for f in emu.api("GET", "firewalls?per_page=200")["firewalls"] if f["name"] == harness.DROPLET_NAME]
    assert len(firewalls) == 1
    inbound = sorted((r["protocol"], r["ports"]) for r in firewalls[0]["inbound_rules"])
    assert inbound == [("tcp", "22"), ("tcp", "443"), ("tcp", "80")]
    assert droplet["id"] in firewalls[0]["droplet_ids"] or f"pytrackdat-{harness.SITE}" in firewalls[0]["tags"]
    records = emu.api("GET", f"domains/{harness.DNS_ZONE}/records?per_page=200")["domain_records"]
    assert [r["data"] for r in records if r["type"] == "A" and r["name"] == "ptd-demo"] == [address]


def test_root_login_is_refused_and_the_deploy_user_has_sudo(droplet_site):
    address = _require("address")
    root = harness.ssh(address, "root", droplet_site["key"], "true", droplet_site["state"])
    assert root.returncode == 255 and "Permission denied" in root.stderr, root.stderr
    # One login for every check, so the test stays far below ufw's SSH rate limit and fail2ban's threshold.
    deploy = harness.ssh(address, "deploy", droplet_site["key"], "sudo -n id -u && sudo -n sshd -T", droplet_site["state"])
    assert deploy.returncode == 0 and deploy.stdout.splitlines()[0] == "0", deploy.stderr
    effective = dict(line.split(" ", 1) for line in deploy.stdout.splitlines() if " " in line)
    assert effective.get("permitrootlogin") == "no" and effective.get("passwordauthentication") == "no"


def test_site_serves_a_certificate_from_the_acme_server(droplet_site, artifacts):
    address = _require("address")
    root_pem = harness.fetch_pebble_root(address, droplet_site["key"], droplet_site["state"])
    cafile = artifacts / "pebble-root.pem"
    cafile.write_text(root_pem)
    cert = harness.verified_certificate(address, cafile)  # raises ssl.SSLCertVerificationError otherwise
    names = [value for kind, value in cert["subjectAltName"] if kind == "DNS"]
    assert names == [DOMAIN]
    issuer = dict(item[0] for item in cert["issuer"])
    assert "Pebble" in issuer.get("commonName", ""), issuer
    with pytest.raises(ssl.SSLCertVerificationError):
        harness.verified_certificate(address, Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"))
    STATE["cafile"] = cafile


def _served_spki_hash(address):
    """base64(sha256(SubjectPublicKeyInfo)) of the certificate the site serves, for Chromium's pin list."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only reads the certificate; the chain was verified in the test before
    with socket.create_connection((address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            der = tls.getpeercert(binary_form=True)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def test_browser_logs_in_as_admin_and_opens_a_table(droplet_site, artifacts):
    address = _require("address")
    _require("cafile")  # the served chain was verified against Pebble's root above
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (requirements-dev.txt)")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--host-resolver-rules=MAP {DOMAIN} {address}",
            # Chromium does not know Pebble's per-run root; trust exactly the certificate verified in the test above.
            f"--ignore-certificate-errors-spki-list={_served_spki_hash(address)}"]
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"https://{DOMAIN}/", timeout=30000)
            assert page.url.startswith(f"https://{DOMAIN}/login/"), page.url
            page.fill("input[name=username]", harness.ADMIN_USER)
            page.fill("input[name=password]", harness.ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"https://{DOMAIN}/", timeout=30000)
            assert "PyTrackDat fixture" in page.content()
            # A write through the site proves the database is writable by the app (the classic "readonly database").
            page.goto(f"https://{DOMAIN}/admin/core/site/add/", timeout=30000)
            page.fill("input[name=site_name]", "Browser-Creek")
            page.fill("input[name=latitude]", "45.4215296")
            page.click("input[name=_save]")
            page.wait_for_url(f"https://{DOMAIN}/admin/core/site/", timeout=30000)
            table = page.locator("#result_list")
            assert table.count() == 1 and "Browser-Creek" in table.inner_text(), page.content()[:2000]
            shot = artifacts / "site-table.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 5000


def test_second_run_changes_nothing(droplet_site, artifacts, measurements):
    _require("address")
    run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "site-second-run.log")
    if run.rc:
        _fail_run(run, "the second site.yml run")
    recap = run.recap
    assert recap, run.tail()
    measurements["rerun_seconds"] = round(run.seconds, 1)
    measurements["rerun_recap"] = recap
    changed = {host: counts.get("changed") for host, counts in recap.items() if counts.get("changed")}
    assert not changed, f"changed on the second run: {changed}; log: {run.log_path}"


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the droplet's address for the site's domain (SNI, Host, certificate check), without DNS."""

    def __init__(self, address, cafile, timeout):
        super().__init__(DOMAIN, 443, context=ssl.create_default_context(cafile=str(cafile)), timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # pylint: disable=no-member


def _get(address, path, cafile, timeout=10):
    """(status, body) of GET https://DOMAIN<path> at the droplet's address, the chain verified against cafile."""
    conn = _PinnedHTTPS(address, cafile, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def _poll(path, address, cafile, stop, results):
    """GET path at 10 Hz until stop is set; record (time, ok)."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok = _get(address, path, cafile, timeout=1)[0] in (200, 302)
        except (OSError, http.client.HTTPException):
            ok = False
        results.append((started, ok))
        stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))


def test_redeploy_of_a_new_version_keeps_the_site_up(droplet_site, artifacts, measurements, state_dir):
    address = _require("address")
    cafile = _require("cafile")
    new_bundle = harness.make_bundle(state_dir / "bundle-v2", code_change="version-2")
    stop, results = threading.Event(), []
    poller = threading.Thread(target=_poll, args=("/login/", address, cafile, stop, results), daemon=True)
    poller.start()
    try:
        run = harness.run_playbook("deploy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "redeploy.log",
                                   extra_args=["-e", f"pytrackdat_app_bundle={new_bundle}"])
    finally:
        stop.set()
        poller.join(5)
    if run.rc:
        _fail_run(run, "the redeploy (deploy.yml with a new bundle)")
    failed = sum(1 for result in results if not result[1])
    measurements["redeploy_seconds"] = round(run.seconds, 1)
    measurements["redeploy_requests"] = len(results)
    measurements["redeploy_failed_requests"] = failed
    measurements["redeploy_downtime_seconds"] = round(failed * 0.1, 1)
    assert len(results) > 50, "the poller must have run through the redeploy"
    assert "version-2" in _get(address, "/login/", cafile)[1], "the new version must be live after the redeploy"


def test_destroy_leaves_nothing_behind(droplet_site, artifacts):
    emu = droplet_site["emulator"]
    refused = harness.run_playbook("destroy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "destroy-refused.log",
                                   extra_args=["-e", "confirm_destroy=wrong-name"])
    assert refused.rc != 0 and harness.droplet_address(emu) is not None, "destroy must refuse a wrong confirmation"
    run = harness.run_playbook("destroy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "destroy.log",
                               extra_args=["-e", f"confirm_destroy={harness.DROPLET_NAME}"])
    if run.rc:
        _fail_run(run, "destroy.yml")
    assert emu.api("GET", "droplets?per_page=200")["droplets"] == []
    assert emu.api("GET", "firewalls?per_page=200")["firewalls"] == []
    records = emu.api("GET", f"domains/{harness.DNS_ZONE}/records?per_page=200")["domain_records"]
    assert [r for r in records if r["type"] == "A"] == []
    assert harness.wait_for(lambda: not harness.emulator_containers_of(emu), timeout=60), harness.emulator_containers_of(emu)


# --------------------------------------------------------------------------------------------- existing server
def test_existing_server_path_deploys_the_site(plain_host, state_dir, ssh_key, bundle, artifacts, measurements):
    address = plain_host["address"]
    settings = harness.site_vars(state_dir, bundle, ssh_key, with_droplet=False)
    inventory = harness.write_inventory(state_dir / "inventory-existing", settings,
                                        static_hosts={"existing-server": {"ansible_host": address}})
    env = harness.playbook_env(None, state_dir)
    run = harness.run_playbook("site.yml", inventory, env, artifacts / "existing-server.log")
    if run.rc:
        _fail_run(run, "site.yml on the existing server")
    assert "skipping provisioning" in " ".join(run.output.split()), "the run must say why it does not provision"
    measurements["existing_server_first_run_seconds"] = round(run.seconds, 1)
    root_pem = harness.fetch_pebble_root(address, ssh_key, state_dir)
    cafile = artifacts / "pebble-root-existing.pem"
    cafile.write_text(root_pem)
    status, body = _get(address, "/login/", cafile)
    assert status == 200 and "PyTrackDat" in body
    assert harness.ssh(address, "root", ssh_key, "true", state_dir).returncode == 255
