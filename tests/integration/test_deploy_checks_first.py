# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/deploy.yml checks every input of every role it runs before the first change on the server: a wrong
variable of pytrackdat_app or pytrackdat_backup stops it with the variable named, and the server is as before
(nothing copied, no backup, no site folder)."""

import json
import os
import subprocess
import sys

import pytest

from .systemd_host import PROJECT, boot, docker, run_playbook

pytestmark = pytest.mark.docker
HOST = "ptdhost"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    proc = subprocess.run([sys.executable, PROJECT + "/tests/fixtures/pytrackdat/make_real_bundles.py", "--out", str(out),
                           "--variants", "v1"], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])["v1"]


@pytest.fixture(scope="module")
def server():
    name = boot("ptd-unit-deploy-", HOST)
    try:
        yield name
    finally:
        docker("rm", "-f", "-v", name)


def server_state(server):
    """Everything a deploy would change first: its folders, the backup tool, packages."""
    listing = docker("exec", server, "sh", "-c", "ls -a /opt /var/backups /var/lib /etc /usr/local/sbin; "
                     "find /var/lib/pytrackdat-backup 2>/dev/null; dpkg -l | wc -l")
    return listing.stdout


@pytest.mark.parametrize("bad, named", [
    ("pytrackdat_backup_keep_daily=many", "pytrackdat_backup_keep_daily"),
    # the backup role's own check (a fail task whose message is templated only when a check is false)
    ("pytrackdat_backup_keep_daily=0 pytrackdat_backup_keep_weekly=0", "the retention must keep at least one archive"),
    # the timer's schedule: only systemd-analyze on the server can judge it (read-only)
    ("pytrackdat_backup_on_calendar=3am", "pytrackdat_backup_on_calendar '3am' is not a systemd OnCalendar expression"),
    ("pytrackdat_app_runtime=alpine", "pytrackdat_app_runtime"),
    ("pytrackdat_app_proxy_port=web", "pytrackdat_app_proxy_port"),
    # www.: the redirect needs a name without it; a www. name the bundle was not generated for says what to set
    ("pytrackdat_app_domain=www.ptd.example.test pytrackdat_app_www_redirect=true", "pytrackdat_app_www_redirect: false"),
    ("pytrackdat_app_domain=www.ptd.example.test",
     "set pytrackdat_app_domain: ptd.example.test and pytrackdat_app_www_redirect: true"),
    # digits and dots that are no IPv4 address, a colon that is no IPv6 address: neither a host name nor an address
    # (before the ip_address test, the first passed as an IP address and the site was served over plain HTTP)
    ("pytrackdat_app_domain=999.1.1.1", "a bare host name or IP, no scheme, port or path"),
    ("pytrackdat_app_domain=fe80::zz", "a bare host name or IP, no scheme, port or path"),
    # a good bundle without the named service: the same stop task as a refused bundle, with its own message
    ("pytrackdat_app_web_service=nosuch", "has no service 'nosuch' (services: "),
])
def test_a_wrong_variable_stops_deploy_before_anything_on_the_server_changes(server, bundle, tmp_path, bad, named):
    before = server_state(server)
    rc, out = run_playbook(server, HOST, tmp_path, "deploy.yml", "pytrackdat_app_bundle=" + bundle,
                           "pytrackdat_app_domain=ptd.example.test", "pytrackdat_app_admin_password=Unit-admin-pw-42", bad)
    assert rc != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert "Traceback" not in out
    assert server_state(server) == before
    assert docker("exec", server, "test", "-e", "/opt/pytrackdat").returncode != 0, "the deploy wrote /opt/pytrackdat"


def test_a_design_pytrackdat_refuses_stops_site_yml_before_the_server_changes(server, tmp_path):
    """An existing server (no DigitalOcean) and a careless first run: a design CSV PyTrackDat refuses. setup.yml
    generates the site on this computer before its first change, so the server is left as it was."""
    before = server_state(server)
    rc, out = run_playbook(server, HOST, tmp_path, "site.yml",
                           "pytrackdat_app_design=" + PROJECT + "/tests/fixtures/pytrackdat/bad-design.csv",
                           "pytrackdat_app_domain=ptd.example.test", "pytrackdat_app_admin_password=Unit-admin-pw-42",
                           "pytrackdat_app_control_workdir=" + os.path.expanduser("~/.cache/pytrackdat-deploy-tests"))
    assert rc != 0, out[-3000:]
    assert "Unknown data type specified for field 'site_name': 'wobbly'" in out, out[-3000:]
    # It stopped in setup.yml's play, on the generator's answer, before any task of server_setup.
    setup_play = out[out.index("PLAY [Set up the server"):]
    assert "TASK [pytrackdat.deploy.pytrackdat_app : Stop when PyTrackDat could not generate the site" in setup_play
    assert "pytrackdat.deploy.server_setup : " not in setup_play.split("Stop when PyTrackDat could not generate")[0]
    assert "Traceback" not in out and "Unit-admin-pw-42" not in out
    assert server_state(server) == before
