# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: site.yml from a DigitalOcean token (the emulator) to a live HTTPS PyTrackDat site generated from a
design CSV by PyTrackDat's own generator; updates of that site (the same design regenerated, a changed design
refused, then carried over with the opt-in); destroy; then the existing-server path with a bundle zip.

The tests run in file order and share one droplet; each later test needs the earlier ones to have passed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import ssl
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from playwright.sync_api import sync_playwright

from tests.e2e import drift, harness, web
from tests.e2e.server_state import SERVER_STATE
from tests.e2e.browser import launch as browser_launch, save_and_wait

DOMAIN = harness.DOMAIN
STATE = {}
GENERATE_TASK = harness.GENERATE_TASK
RECREATE_ALL = "Run docker compose up, recreating every container (new code, images on the server)"
# What the browser enters: one row in each table of the design (the sample points at the site).
SITE_ROW = {"site_name": "Browser-Creek", "latitude": "45.4215296"}
SAMPLE_ROW = {"date": "2026-06-15", "sex": "F", "site": "Browser-Creek"}
# PyTrackDat names each design table's model PyTrackDat<Table>: admin URLs /core/pytrackdat<table>/.
TABLES = ["pytrackdatsample", "pytrackdatsite"]
SCREENSHOT = harness.REPO / "docs" / "screenshot.png"


def _require(step):
    if step not in STATE:
        pytest.fail(f"needs the earlier step '{step}' to have passed")
    return STATE[step]


def _fail_run(run, what):
    pytest.fail(f"{what} failed (rc={run.rc}); log: {run.log_path}\n{run.tail()}")


def _never_printed(run, password):
    """The admin password appears in no playbook output (it goes to the generator and the server over stdin).
    Checked without assert, whose report would show the strings compared."""
    if str(password) in run.output:
        pytest.fail(f"the admin password appears in {run.log_path}", pytrace=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _generated(droplet_site):
    return sorted((droplet_site["build"] / "generated").glob(f"{harness.SITE_NAME}-*.zip"))


def _server(droplet_site, address=None):
    """SERVER_STATE as the deploy user, over the tests' shared SSH connection (see harness.ssh_shared)."""
    address = address or _require("address")
    backups = f"/var/backups/pytrackdat/{harness.SITE_NAME}"
    command = "sudo -n python3 -c {} {} {}".format(shlex.quote(SERVER_STATE), harness.SITE_DIR, backups)
    result = harness.ssh_shared(address, "deploy", droplet_site["key"], command, droplet_site["state"])
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _droplet_container():
    """The demo droplet's container (the emulator names it ptd-droplet-<id>-<name>)."""
    names = _docker_out("ps", "-q", "--filter", f"name=-{harness.DROPLET_NAME}$").split()
    assert len(names) == 1, names
    return names[0]


def _docker_out(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def _records(server):
    return {"sites": server["sites"], "samples": server["samples"]}


# --------------------------------------------------------------------------------------------- DigitalOcean path
def test_first_run_provisions_sets_up_and_deploys(droplet_site, artifacts, measurements):
    # The site's runtime image is built by this run (from Docker's build cache when an earlier run left it), so the
    # first run goes the way a new control node goes: the image builds while the server is set up.
    for image in _docker_out("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", f"pytrackdat-runtime/{harness.SITE_NAME}").split():
        _docker_out("image", "rm", image)
    run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "site-first-run.log")
    _never_printed(run, droplet_site["password"])
    if run.rc:
        _fail_run(run, "the first site.yml run")
    address = harness.droplet_address(droplet_site["emulator"])
    assert address and address.startswith("127.0.0."), address
    assert f"https://{DOMAIN}/" in run.output, "the run must end by telling the user the site's address"
    measurements["first_run_seconds"] = round(run.seconds, 1)
    measurements["first_run_phases"] = run.phases()
    generate = run.task_seconds(GENERATE_TASK)
    assert generate, f"the run must generate the site from the design CSV; log: {run.log_path}"
    measurements["generate_first_seconds"] = generate[0]
    measurements["first_run_unavoidable"] = run.unavoidable()
    # Control build mode, zstd here and Docker 23+ there: the runtime image travels compressed, and loads on the server
    # in the background while Caddy is installed; the containers start once it is loaded.
    load = run.output.index("TASK [pytrackdat.deploy.pytrackdat_app : Load the images on the server in the background (zstd)]")
    assert load < run.output.index("TASK [pytrackdat.deploy.pytrackdat_app : Install Caddy and curl from the distribution]") \
        < run.output.index("TASK [pytrackdat.deploy.pytrackdat_app : Wait until the images are loaded on the server]") \
        < run.output.index(f"TASK [pytrackdat.deploy.pytrackdat_app : {RECREATE_ALL}]"), run.log_path
    measurements["background_load_seconds"] = run.background_load_seconds()
    assert measurements["background_load_seconds"] > 0, run.log_path
    # site.yml, control build mode: a play before the setup checks the bundle and starts the image build in the
    # background (prebuild.yml); the deploy play waits for that build and never builds a second time.
    background = "TASK [pytrackdat.deploy.pytrackdat_app : Build each image (in the background, while the server is set up)]"
    setup_play = run.output.index("PLAY [Set up the server (admin user, SSH, firewall, updates)]")
    deploy_play = run.output.index("PLAY [Deploy the PyTrackDat site and its backups]")
    assert run.output.index(background) < setup_play < run.output.index("TASK [pytrackdat.deploy.server_setup :") < deploy_play
    assert "TASK [pytrackdat.deploy.pytrackdat_app : Build each image]" not in run.output, run.log_path
    assert deploy_play < run.output.index("TASK [pytrackdat.deploy.pytrackdat_app : Wait for the image build that started"), run.log_path
    assert run.output.count("TASK [pytrackdat.deploy.pytrackdat_app : Check the bundle on the control node and pack") == 1
    # ... which also wrote the compressed archive the server needs; the deploy play shipped that one.
    assert re.search(r"\sbuilt\s+in\s+[0-9:.]+\s+and\s+saved\s+for\s+the\s+server\s", run.output), run.log_path
    measurements["background_build_seconds"] = run.background_build_seconds()
    measurements["background_overlapped_seconds"] = run.overlapped_seconds()
    assert measurements["background_build_seconds"] > 0, run.log_path
    STATE["address"] = address


def test_the_site_runs_what_pytrackdat_generated_from_the_design(droplet_site, state_dir, measurements):
    _require("address")
    generated = _generated(droplet_site)
    assert len(generated) == 1, generated
    release = harness.pack_release(generated[0], state_dir / "release-check")
    server = _server(droplet_site)
    state = server["state"]
    # The server runs the bundle PyTrackDat generated from design.csv, received as the release the role packed.
    assert state["bundle_sha256"] == _sha256(generated[0])
    assert state["release_sha256"] == release["sha256"]
    assert state["site"] == harness.SITE_NAME and state["runtime"] == "debian"
    assert server["counts"] == {"core_pytrackdatsite": 0, "core_pytrackdatsample": 0}
    assert "notes" not in server["site_columns"]
    with zipfile.ZipFile(generated[0]) as archive:
        measurements["bundle_entries"] = len(archive.infolist())
    measurements["bundle_bytes"] = generated[0].stat().st_size
    measurements["release_bytes"] = release["bytes"]
    measurements["release_entries"] = release["entries"]
    measurements["release_dropped_entries"] = release["dropped"]
    # Control build mode: the server runs the runtime image this node built (the same id); the image archive
    # (about 0.5 GB, less than half of it with zstd, which both ends have here) went compressed and was removed from
    # both ends once loaded.
    container = _droplet_container()
    running = _docker_out("exec", container, "docker", "ps", "--format", "{{.Image}}").split()
    runtime = sorted({image for image in running if image.startswith("pytrackdat-runtime/")})
    assert len(runtime) == 1, running
    assert _docker_out("exec", container, "docker", "image", "inspect", "-f", "{{.Id}}", runtime[0]) == \
        _docker_out("image", "inspect", "-f", "{{.Id}}", runtime[0])
    assert not sorted(droplet_site["build"].glob("*/images*.tar*")), "an image archive was left on the control node"
    for left in (f"{harness.SITE_DIR}/images.tar", f"{harness.SITE_DIR}/images.tar.zst"):
        assert subprocess.run(["docker", "exec", container, "test", "-e", left],
                              check=False).returncode == 1, "the image archive was left on the server: " + left
    measurements["runtime_image_shipped_bytes"] = int(_docker_out("image", "inspect", "-f", "{{.Size}}", runtime[0]))
    STATE["generated"] = generated[0]
    STATE["server"] = server


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
    assert [r["data"] for r in records if r["type"] == "CNAME" and r["name"] == "www.ptd-demo"] == [DOMAIN + "."]


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
    # pytrackdat_app_www_redirect: www.<domain> has its own certificate and redirects, path kept, to the domain
    www = harness.verified_certificate(address, cafile, domain="www." + DOMAIN)
    assert [value for kind, value in www["subjectAltName"] if kind == "DNS"] == ["www." + DOMAIN]
    assert web.get(address, "/login/?next=/", cafile, host="www." + DOMAIN, with_location=True) == (
        301, f"https://{DOMAIN}/login/?next=/")  # Caddy's redir ... permanent


def test_browser_logs_in_adds_a_record_to_each_table_and_takes_a_snapshot(droplet_site, artifacts):
    address = _require("address")
    _require("cafile")  # the served chain was verified against Pebble's root above
    _require("server")
    site = f"https://{DOMAIN}"
    shot = artifacts / "site-admin.png"
    with sync_playwright() as pw:
        browser = browser_launch(pw, address)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"{site}/", timeout=30000)
            assert page.url.startswith(f"{site}/login/"), page.url
            page.fill("input[name=username]", harness.ADMIN_USER)
            try:
                page.fill("input[name=password]", str(droplet_site["password"]))
            except Exception:  # playwright's errors may quote what was typed: never the password
                raise AssertionError("could not type the admin password into the login form") from None
            page.click("input[type=submit]")
            page.wait_for_url(f"{site}/", timeout=30000)
            home = page.content()
            assert f"PyTrackDat: {harness.SITE_NAME}" in home, home[:2000]
            # The admin lists every table of the design.
            assert sorted(set(re.findall(r'href="/core/(pytrackdat[a-z_]+)/"', home))) == TABLES, home[:3000]
            # A site, then a sample pointing at it: writes through the site prove the database is writable by the app
            # (the classic "attempt to write a readonly database") and the foreign key works.
            page.goto(f"{site}/core/pytrackdatsite/add/", timeout=30000)
            page.fill("[name=site_name]", SITE_ROW["site_name"])
            page.fill("[name=latitude]", SITE_ROW["latitude"])
            save_and_wait(page, "/core/pytrackdatsite/")
            assert SITE_ROW["site_name"] in page.locator("#result_list").inner_text()
            page.goto(f"{site}/core/pytrackdatsample/add/", timeout=30000)
            page.fill("[name=date]", SAMPLE_ROW["date"])
            page.select_option("select[name=sex]", SAMPLE_ROW["sex"])
            page.select_option("select[name=site]", SAMPLE_ROW["site"])
            save_and_wait(page, "/core/pytrackdatsample/")
            assert SAMPLE_ROW["site"] in page.locator("#result_list").inner_text()
            # A PyTrackDat snapshot (its own copy of the database, listed in the admin).
            page.goto(f"{site}/snapshot_manager/snapshot/add/", timeout=30000)
            save_and_wait(page, "/snapshot_manager/snapshot/")
            assert re.search(r"snapshot-[0-9_.:-]+\.sqlite3", page.locator("#result_list").inner_text())
            # The logged-in admin home: the design's tables and what was just done (docs/screenshot.png).
            page.goto(f"{site}/", timeout=30000)
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert shot.stat().st_size > 20000
    shutil.copyfile(shot, SCREENSHOT)
    server = _server(droplet_site)
    assert server["sites"] == [[SITE_ROW["site_name"], SITE_ROW["latitude"]]], server["sites"]
    assert [row[1:] for row in server["samples"]] == [[SAMPLE_ROW["date"], SAMPLE_ROW["sex"], SAMPLE_ROW["site"]]]
    assert server["snapshot_rows"] == 1 and len(server["snapshots"]) == 1, server["snapshots"]
    STATE["records"] = _records(server)
    STATE["snapshots"] = server["snapshots"]


def test_second_run_changes_nothing(droplet_site, artifacts, measurements):
    _require("address")
    run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "site-second-run.log")
    _never_printed(run, droplet_site["password"])
    if run.rc:
        _fail_run(run, "the second site.yml run")
    recap = run.recap
    assert recap, run.tail()
    measurements["rerun_seconds"] = round(run.seconds, 1)
    measurements["rerun_recap"] = recap
    changed = {host: counts.get("changed") for host, counts in recap.items() if counts.get("changed")}
    assert not changed, f"changed on the second run: {changed}; log: {run.log_path}"
    generate = run.task_seconds(GENERATE_TASK)
    assert generate, run.log_path
    measurements["generate_cached_seconds"] = generate[0]
    assert len(_generated(droplet_site)) == 1, "an unchanged design must not be generated again"


def test_reruns_back_to_back_keep_one_ssh_connection_and_never_trip_the_ufw_limit(droplet_site, artifacts, measurements):
    """A user who checks a run with another run, and another: ufw refuses a 6th new SSH connection within 30 s. Each
    rerun reuses the connection the one before left (OpenSSH's ControlPersist) instead of reconnecting, and opens no
    other connection to SSH (provision.yml waits for SSH only on a droplet it created)."""
    _require("address")
    # read in the droplet's container: a read over SSH would be a connection of its own
    container = _droplet_container()
    since, connections = int(time.time()), harness.ufw_ssh_connections(container)
    for number in (3, 4, 5):
        run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"],
                                   artifacts / f"site-rerun-{number}.log", echo=False)
        if run.rc:
            _fail_run(run, f"no-change site.yml run number {number}, started right after the one before")
        assert not any(counts.get("changed") for counts in run.recap.values()), run.log_path
    connections = harness.ufw_ssh_connections(container) - connections
    logins = len(harness.ssh_logins(container, since)[0])
    measurements["back_to_back_rerun_logins"] = logins
    measurements["back_to_back_rerun_ssh_connections"] = connections
    assert logins <= 1, f"{logins} new SSH logins in three back-to-back reruns (journal since {since})"
    # the first rerun may open one (the last run's connection closes 60 s after its last use); none after it
    assert connections <= 1, f"{connections} new connections to SSH (ufw's count) in three back-to-back reruns"


def test_drift_behind_the_collections_back_is_repaired_and_reported_changed(droplet_site, artifacts, measurements):
    """sshd, ufw, the compose override and the backup timer changed by hand: a rerun puts each right and says so."""
    address = _require("address")
    key, state = droplet_site["key"], droplet_site["state"]
    assert drift.break_server(address, key, state) == []
    run = harness.run_playbook("site.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "site-drift.log")
    _never_printed(run, droplet_site["password"])
    measurements["drift_repair_seconds"] = round(run.seconds, 1)
    assert drift.repaired(run, address, key, state) == [], run.log_path


def test_redeploy_of_the_same_design_regenerated_keeps_every_record_and_the_site_up(droplet_site, artifacts, measurements):
    address = _require("address")
    cafile = _require("cafile")
    records = _require("records")
    before = _server(droplet_site)
    assert _records(before) == records
    # Another admin e-mail is another generation of the same design: new bundle (SECRET_KEY, database, migration
    # stamp), same models. The live database must stay.
    stop, results = threading.Event(), []
    poller = threading.Thread(target=web.poll, args=("/login/", address, cafile, stop, results), daemon=True)
    poller.start()
    try:
        run = harness.run_playbook("deploy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "redeploy.log",
                                   extra_args=["-e", "pytrackdat_app_admin_email=field-lab@example.test"])
    finally:
        stop.set()
        poller.join(5)
    _never_printed(run, droplet_site["password"])
    if run.rc:
        _fail_run(run, "the redeploy (deploy.yml, the same design regenerated)")
    failed = sum(1 for result in results if not result[1])
    measurements["redeploy_seconds"] = round(run.seconds, 1)
    measurements["redeploy_requests"] = len(results)
    measurements["redeploy_failed_requests"] = failed
    measurements["redeploy_downtime_seconds"] = round(failed * 0.1, 1)
    generate = run.task_seconds(GENERATE_TASK)
    assert generate, run.log_path
    measurements["generate_again_seconds"] = generate[0]
    assert len(results) > 50, "the poller must have run through the redeploy"
    generated = [path for path in _generated(droplet_site) if path != STATE["generated"]]
    assert len(generated) == 1, "the new settings must have generated a second bundle"
    after = _server(droplet_site)
    assert after["state"]["bundle_sha256"] == _sha256(generated[0]) != before["state"]["bundle_sha256"], \
        "the regenerated bundle must be live"
    assert after["state"]["models_sha256"] == before["state"]["models_sha256"]
    assert _records(after) == records, "every record must survive a same-design redeploy"
    assert after["snapshots"] == STATE["snapshots"] and after["snapshot_rows"] == 1
    new_backups = sorted(set(after["backups"]) - set(before["backups"]))
    assert len(new_backups) == 1 and "pre-deploy" in new_backups[0], new_backups
    assert web.get(address, "/login/", cafile)[0] == 200
    # The backups were as their last full run left them: their schedule, already accepted, is not judged again.
    assert "Check the timer's schedule with systemd-analyze" not in run.output, run.log_path
    # The state read brought back the override (the same one, on a server as the last full run left it) and manage.py:
    # neither is written or looked for again.
    for task in ("Write the compose override", "Look for installed code"):
        assert re.search(rf"TASK \[pytrackdat\.deploy\.pytrackdat_app : {task}[^\n]*\n[^\n]*\nskipping: ", run.output), task
    # New code: every container was recreated by one docker compose command (no module's reads around it).
    assert re.search(rf"TASK \[pytrackdat\.deploy\.pytrackdat_app : {re.escape(RECREATE_ALL)}\] \*+\n[^\n]*\nchanged: ",
                     run.output), run.log_path


def test_a_new_bundle_with_a_bad_backup_schedule_is_refused_before_anything_changes(droplet_site, artifacts):
    """The redeploy above skipped systemd-analyze: the backups were as their last full run left them, with the same
    schedule. A changed schedule changes the backup role's key, so a careless one is still judged before the new
    bundle (another generation) is copied or any backup is taken."""
    before = _server(droplet_site)
    run = harness.run_playbook("deploy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "schedule-refused.log",
                               extra_args=["-e", "pytrackdat_app_admin_email=schedule-test@example.test",
                                           "-e", "pytrackdat_backup_on_calendar=3am"])
    _never_printed(run, droplet_site["password"])
    assert run.rc != 0, run.log_path
    assert "pytrackdat_backup_on_calendar '3am' is not a systemd OnCalendar expression" in run.output, run.tail(30)
    assert "Copy the new bundle to the server" not in run.output and "Traceback" not in run.output, run.log_path
    assert _server(droplet_site) == before, "a refused deploy must change nothing on the server"


def test_changed_design_without_the_opt_in_is_refused_and_nothing_changes(droplet_site, artifacts, measurements):
    address = _require("address")
    cafile = _require("cafile")
    records = _require("records")
    before = _server(droplet_site)
    run = harness.run_playbook("deploy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "design-refused.log",
                               extra_args=["-e", f"pytrackdat_app_design={harness.DESIGN_CHANGED}"])
    _never_printed(run, droplet_site["password"])
    assert run.rc != 0, f"a changed design must be refused without pytrackdat_app_allow_design_change; log: {run.log_path}"
    said = " ".join(run.output.split())
    assert "table core_pytrackdatsite: fields added notes" in said, \
        f"the refusal must name the changed table and field; log: {run.log_path}\n{run.tail(30)}"
    assert "pytrackdat_app_allow_design_change=true" in said and "Traceback" not in said
    measurements["design_refused_seconds"] = round(run.seconds, 1)
    after = _server(droplet_site)
    assert after == before, "a refused deploy must change nothing on the server"
    assert _records(after) == records and "notes" not in after["site_columns"]
    assert web.get(address, "/login/", cafile)[0] == 200


def test_changed_design_with_the_opt_in_carries_every_record_over(droplet_site, artifacts, measurements):
    address = _require("address")
    cafile = _require("cafile")
    records = _require("records")
    before = _server(droplet_site)
    run = harness.run_playbook("deploy.yml", droplet_site["inventory"], droplet_site["env"], artifacts / "design-change.log",
                               extra_args=["-e", f"pytrackdat_app_design={harness.DESIGN_CHANGED}",
                                           "-e", "pytrackdat_app_allow_design_change=true"])
    _never_printed(run, droplet_site["password"])
    if run.rc:
        _fail_run(run, "the deploy of the changed design with pytrackdat_app_allow_design_change=true")
    measurements["design_change_seconds"] = round(run.seconds, 1)
    said = " ".join(run.output.split())
    assert "Design change (table core_pytrackdatsite: fields added notes): rows carried over" in said, \
        f"the deploy must name the changed table and field; log: {run.log_path}"
    after = _server(droplet_site)
    assert "notes" in after["site_columns"], after["site_columns"]
    assert after["state"]["models_sha256"] != before["state"]["models_sha256"]
    assert after["counts"] == before["counts"], f"rows lost: {before['counts']} -> {after['counts']}"
    assert _records(after) == records
    measurements["design_change_rows"] = {"before": before["counts"], "after": after["counts"]}
    assert any("pre-update" in name for name in set(after["backups"]) - set(before["backups"])), after["backups"]
    # The carried-over site works for the lab: the admin logs in and sees the records in the new design.
    admin = web.Admin(address, cafile)
    assert admin.login(droplet_site["password"]), "the admin must still log in after the design change"
    status, _headers, listing = admin.request("GET", "/core/pytrackdatsite/")
    assert status == 200 and SITE_ROW["site_name"] in listing
    status, _headers, listing = admin.request("GET", "/core/pytrackdatsample/")
    assert status == 200 and "1 sample" in listing.lower(), listing[-3000:]


def test_the_deploy_user_has_sudo_root_login_is_refused_and_the_control_node_is_not_banned(droplet_site):
    # fail2ban's sshd jail (aggressive mode) counts a refused root login as several failures and each site.yml run's
    # banner probe as one; the address the playbooks run from is in the jail's ignoreip, so checking that root is
    # refused and then working on is never locked out. Few logins, to stay below ufw's SSH rate limit.
    address = _require("address")
    deploy = harness.ssh(address, "deploy", droplet_site["key"],
                         'sudo -n id -u && sudo -n sshd -T && echo "control ${SSH_CONNECTION%% *}" '
                         '&& echo "ignoreip $(sudo -n fail2ban-client get sshd ignoreip | tr -d "\\n|\\`-")"',
                         droplet_site["state"])
    assert deploy.returncode == 0 and deploy.stdout.splitlines()[0] == "0", deploy.stderr
    effective = dict(line.split(" ", 1) for line in deploy.stdout.splitlines() if " " in line)
    assert effective.get("permitrootlogin") == "no" and effective.get("passwordauthentication") == "no"
    assert effective["control"].strip() in effective["ignoreip"].split(), effective["ignoreip"]
    for _attempt in range(2):
        root = harness.ssh(address, "root", droplet_site["key"], "true", droplet_site["state"])
        assert root.returncode == 255 and "Permission denied" in root.stderr, root.stderr
    after = harness.ssh(address, "deploy", droplet_site["key"], "sudo -n fail2ban-client status sshd", droplet_site["state"])
    assert after.returncode == 0, "the control node was banned after refused root logins: " + after.stderr
    assert effective["control"].strip() not in after.stdout


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
def test_existing_server_path_deploys_a_generated_bundle(plain_host, state_dir, ssh_key, admin_password, real_bundles,
                                                         artifacts, measurements):
    address = plain_host["address"]
    # A <site>.zip that PyTrackDat 0.2.1 generated (pytrackdat_app_bundle), instead of a design CSV.
    settings = harness.site_vars(state_dir, ssh_key, admin_password, real_bundles["wheels"], bundle=real_bundles["v1"],
                                 with_droplet=False)
    inventory = harness.write_inventory(state_dir / "inventory-existing", settings,
                                        static_hosts={"existing-server": {"ansible_host": address}})
    env = harness.playbook_env(None, state_dir)
    run = harness.run_playbook("site.yml", inventory, env, artifacts / "existing-server.log")
    _never_printed(run, admin_password)
    if run.rc:
        _fail_run(run, "site.yml on the existing server")
    assert "skipping provisioning" in " ".join(run.output.split()), "the run must say why it does not provision"
    assert re.search(r"server_setup : Refresh apt's package lists and install again.*\n.*\nchanged: ", run.output), run.log_path
    measurements["existing_server_first_run_seconds"] = round(run.seconds, 1)
    root_pem = harness.fetch_pebble_root(address, ssh_key, state_dir)
    cafile = artifacts / "pebble-root-existing.pem"
    cafile.write_text(root_pem)
    status, body = web.get(address, "/login/", cafile)
    assert status == 200 and f"PyTrackDat: {harness.SITE_NAME}" in body
    # The generator's admin password was a one-time secret; the role set the one from the inventory.
    admin = web.Admin(address, cafile)
    assert admin.login(admin_password), "the admin must log in with pytrackdat_app_admin_password"
    status, _headers, home = admin.request("GET", "/")
    assert status == 200 and sorted(set(re.findall(r'href="/core/(pytrackdat[a-z_]+)/"', home))) == TABLES
    assert harness.ssh(address, "root", ssh_key, "true", state_dir).returncode == 255
