# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""provision.yml and destroy.yml as users run them, against the emulator.

- The names come from one place (playbooks/vars/names.yml): destroy.yml deletes exactly what provision.yml made
  for the same settings, and nothing else.
- The Cloud Firewall follows the variables ufw gets: admin SSH networks, the SSH port(s), extra ports.
- The SSH port is followed by wait_for and by the inventory's ansible_port.
- The token reaches every module once (module_defaults on the action group) from the variable or any of the
  three environment names, and is never printed.

The emulator's droplets get 127.0.0.1 as their public address, where a stand-in answers with an SSH banner on
the ports under test, so wait_for really waits on a port (loopback only).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.do_emulator import Emulator
from tests.do_emulator.machines import MachineBackend
from tests.do_emulator.pytest_plugin import assert_loopback
from tests.do_emulator.validation import spec_missing_reason
from tests.unit.plugins.conftest import ROOT, ansible_env, writes

TOKEN = "ptd-playbook-secret-4711"
TOKEN_ENV = ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN")
ANYWHERE = ["0.0.0.0/0", "::/0"]
# Where the generator is installed once for the tests (tests/fixtures/pytrackdat/make_real_bundles.py)
GENERATOR_WORKDIR = Path.home() / ".cache" / "pytrackdat-deploy-tests"


class LoopbackMachines(MachineBackend):
    """Droplets whose public address is 127.0.0.1 (where the SSH stand-ins listen)."""

    def provision(self, droplet_id, name, image_slug, ssh_public_keys, user_data):
        return dict(super().provision(droplet_id, name, image_slug, ssh_public_keys, user_data), public_ipv4="127.0.0.1")


class SSHBanner:
    """A loopback port that greets like sshd (what wait_for's search_regex looks for), then hangs up."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 stand-in\r\n")

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def emulator():
    emu = Emulator(machine_backend=LoopbackMachines(), token=TOKEN, validate=spec_missing_reason() is None,
                   action_delay=0.2).start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator
    assert not emulator.response_violations() and not emulator.request_violations(), emulator.violations


@pytest.fixture
def banners():
    made = [SSHBanner(), SSHBanner()]
    yield made
    for banner in made:
        banner.close()


@pytest.fixture
def settings(tmp_path):
    """A settings file like inventory/group_vars/all.yml, with its own SSH key pair."""
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)

    def write(**values):
        # no design CSV (inventory/group_vars/all.yml names one): these runs are about DigitalOcean, and provision.yml
        # generates the site from a design first
        data = {"pytrackdat_site": "lab2", "pytrackdat_app_domain": "ptd.example.test", "pytrackdat_app_design": "",
                "pytrackdat_ssh_public_key_file": str(key) + ".pub", "pytrackdat_ssh_wait_timeout": 20}
        data.update(values)
        path = tmp_path / "settings.yml"
        path.write_text(yaml.safe_dump(data))
        return str(path)
    return write


def run_playbooks(emu, books, *args, token_env="DIGITALOCEAN_ACCESS_TOKEN", inventory=None):
    env = ansible_env({"DIGITALOCEAN_END_POINT": assert_loopback(emu.url), "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "10"})
    for name in TOKEN_ENV:
        env.pop(name, None)
    if token_env:
        env[token_env] = emu.token
    command = ["ansible-playbook", "-v", "-i", inventory or os.path.join("inventory", "droplets.yml")]
    command += [book if os.path.isabs(book) else os.path.join("playbooks", book) for book in books] + list(args)
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc, proc.stdout + proc.stderr


def api(emu, path):
    request = urllib.request.Request(assert_loopback(emu.url) + path, headers={"Authorization": "Bearer " + emu.token})
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec - loopback emulator only
        return json.load(response)


def recap_changed(output, host="localhost"):
    return int(re.search(r"^%s\s*:.*changed=(\d+)" % host, output, re.M).group(1))


def inbound(firewall):
    return sorted((r["protocol"], r["ports"], tuple(sorted(r["sources"]["addresses"]))) for r in firewall["inbound_rules"])


@pytest.fixture
def show_hosts(tmp_path):
    """A last playbook in the same run that prints how the next plays would reach the droplet."""
    path = tmp_path / "show_hosts.yml"
    path.write_text("- hosts: pytrackdat\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug:\n"
                    "        msg: \"REACH {{ ansible_host }}:{{ ansible_port }}\"\n")
    return str(path)


def test_cloud_firewall_ssh_port_and_destroy_follow_the_same_settings(emu, banners, settings, show_hosts):
    ssh, first = banners           # sshd's port after setup, and the port of a new droplet's sshd
    emu.state.create_droplets({"name": "someone-elses", "region": "nyc3", "size": "s-1vcpu-1gb",
                               "image": "debian-13-x64", "tags": ["web"]})
    values = settings(pytrackdat_droplet_name="lab2-box", pytrackdat_ssh_key_name="lab2-key",
                      server_setup_ssh_port=ssh.port, pytrackdat_initial_ssh_port=first.port,
                      pytrackdat_ssh_allowed_cidrs=["192.0.2.0/24", "2001:db8::/48"],
                      pytrackdat_extra_allowed_ports=[{"port": 8443, "proto": "tcp", "comment": "API"},
                                                      {"port": 5353, "proto": "any"}])
    proc, output = run_playbooks(emu, ["provision.yml", show_hosts], "-e", "@" + values)
    assert proc.returncode == 0, output[-4000:]
    assert first.connections >= 1 and ssh.connections == 0      # a new droplet: waited on the image's port
    assert "REACH 127.0.0.1:%d" % ssh.port in output, output[-3000:]

    [firewall] = api(emu, "firewalls")["firewalls"]
    admin = ("192.0.2.0/24", "2001:db8::/48")
    assert firewall["name"] == "lab2-box" and "pytrackdat-lab2" in firewall["tags"]
    assert inbound(firewall) == sorted([
        ("tcp", str(ssh.port), admin), ("tcp", str(first.port), admin),
        ("tcp", "80", tuple(ANYWHERE)), ("tcp", "443", tuple(ANYWHERE)), ("tcp", "8443", tuple(ANYWHERE)),
        ("tcp", "5353", tuple(ANYWHERE)), ("udp", "5353", tuple(ANYWHERE))])
    assert [k["name"] for k in api(emu, "account/keys")["ssh_keys"]] == ["lab2-key"]

    probes = first.connections
    proc, output = run_playbooks(emu, ["provision.yml"], "-e", "@" + values)   # the droplet exists now
    assert proc.returncode == 0 and recap_changed(output) == 0, output[-4000:]
    # ... so no probe at all: each is a new connection that ufw's LIMIT counts (a 6th in 30 s is refused), and a
    # rerun's login reuses the connection the run before left
    assert (ssh.connections, first.connections) == (0, probes), output[-3000:]

    proc, output = run_playbooks(emu, ["destroy.yml"], "-e", "@" + values, "-e", "confirm_destroy=lab2-box")
    assert proc.returncode == 0, output[-4000:]
    assert [d["name"] for d in api(emu, "droplets")["droplets"]] == ["someone-elses"]
    assert api(emu, "firewalls")["firewalls"] == [] and api(emu, "account/keys")["ssh_keys"] == []


def test_default_firewall_lets_ssh_http_and_https_in_from_anywhere(emu, banners, settings):
    values = settings(pytrackdat_initial_ssh_port=banners[0].port, server_setup_ssh_port=banners[0].port)
    proc, output = run_playbooks(emu, ["provision.yml"], "-e", "@" + values)
    assert proc.returncode == 0, output[-4000:]
    [firewall] = api(emu, "firewalls")["firewalls"]
    assert firewall["name"] == "pytrackdat-lab2"
    assert inbound(firewall) == sorted([("tcp", str(banners[0].port), tuple(ANYWHERE)), ("tcp", "80", tuple(ANYWHERE)),
                                        ("tcp", "443", tuple(ANYWHERE))])


@pytest.fixture
def vaulted_token(tmp_path):
    """The token only in ansible-vault: a variable file for the playbooks, and the inventory's own api_token."""
    password = tmp_path / "vault-pass"
    password.write_text("correct horse battery staple\n")
    vault = ["--vault-password-file", str(password)]
    secret = tmp_path / "secret.yml"
    secret.write_text("pytrackdat_api_token: %s\n" % TOKEN)
    subprocess.run(["ansible-vault", "encrypt"] + vault + [str(secret)], env=ansible_env(), check=True, capture_output=True)
    api_token = subprocess.run(["ansible-vault", "encrypt_string"] + vault + ["--name", "api_token", TOKEN], env=ansible_env(),
                               check=True, capture_output=True, text=True).stdout
    inventory = tmp_path / "droplets.yml"
    inventory.write_text("plugin: pytrackdat.deploy.droplets\ntags: [pytrackdat]\n" + api_token)
    assert TOKEN not in secret.read_text() + inventory.read_text()
    return ["-e", "@" + str(secret)] + vault, str(inventory)


@pytest.fixture
def no_hosts(tmp_path):
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  hosts: {}\n")
    return str(path)


@pytest.mark.parametrize("source", TOKEN_ENV + ("vault",))
def test_check_mode_takes_the_token_from_any_source_and_never_prints_it(emu, settings, source, request):
    args = ["--check", "-e", "@" + settings(pytrackdat_dns_zone="example.test")]
    token_env, inventory = source, None
    if source == "vault":
        vault_args, inventory = request.getfixturevalue("vaulted_token")
        args, token_env = args + vault_args, None
    emu.state.create_domain({"name": "example.test"})
    proc, output = run_playbooks(emu, ["provision.yml"], *args, token_env=token_env, inventory=inventory)
    assert proc.returncode == 0, output[-4000:]
    assert "would be created" in output, output[-4000:]
    assert any(r["path"].endswith("/account/keys") and r["status"] == 200 for r in emu.request_log)
    assert not any(r["status"] == 401 for r in emu.request_log)
    assert writes(emu.request_log) == []
    assert TOKEN not in output


def test_without_any_token_provision_names_every_source(emu, settings, no_hosts):
    proc, output = run_playbooks(emu, ["provision.yml"], "-e", "@" + settings(), token_env=None, inventory=no_hosts)
    assert proc.returncode != 0
    for name in ("pytrackdat_api_token",) + TOKEN_ENV:
        assert name in output, output[-3000:]
    assert emu.request_log == []


def seed_site_droplet(emu, ipv6):
    """The site's droplet as DigitalOcean makes it with ipv6: true (the emulator numbers IPv4 only)."""
    request = {"name": "pytrackdat-lab2", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-13-x64",
               "tags": ["pytrackdat", "pytrackdat-lab2"], "ipv6": True, "backups": True, "monitoring": True}
    [droplet], _action, _links = emu.state.create_droplets(request)
    emu.state.wait_idle(timeout=30)
    droplet["networks"]["v6"] = [{"ip_address": ipv6, "netmask": 64, "gateway": "2001:db8:0:1::1", "type": "public"}]


def records(emu):
    return sorted((r["type"], r["name"], r["data"], r.get("tag")) for r in api(emu, "domains/example.test/records")["domain_records"]
                  if r["type"] in ("A", "AAAA", "CNAME", "CAA"))


def test_dns_records_a_aaaa_www_and_caa_come_and_go_with_the_site(emu, banners, settings):
    emu.state.create_domain({"name": "example.test"})
    seed_site_droplet(emu, "2001:db8:0:1::10")
    values = settings(pytrackdat_dns_zone="example.test", pytrackdat_droplet_ipv6=True, pytrackdat_dns_www=True,
                      pytrackdat_dns_caa=True, server_setup_ssh_port=banners[0].port,
                      pytrackdat_initial_ssh_port=banners[0].port)
    proc, output = run_playbooks(emu, ["provision.yml"], "-e", "@" + values)
    assert proc.returncode == 0, output[-4000:]
    assert records(emu) == sorted([("A", "ptd", "127.0.0.1", None), ("AAAA", "ptd", "2001:db8:0:1::10", None),
                                   ("CNAME", "www.ptd", "ptd.example.test.", None),
                                   ("CAA", "ptd", "letsencrypt.org", "issue")]), records(emu)

    proc, output = run_playbooks(emu, ["provision.yml"], "-e", "@" + values)
    assert proc.returncode == 0 and recap_changed(output) == 0, output[-4000:]

    proc, output = run_playbooks(emu, ["destroy.yml"], "-e", "@" + values, "-e", "confirm_destroy=pytrackdat-lab2")
    assert proc.returncode == 0, output[-4000:]
    assert records(emu) == [] and api(emu, "droplets")["droplets"] == []


def test_a_design_pytrackdat_refuses_stops_site_yml_before_anything_is_created(emu, settings, no_hosts, tmp_path):
    """A careless first run: a design CSV with a field type PyTrackDat does not know. The generator runs on this
    computer first and refuses it, with its message; nothing is created at DigitalOcean."""
    proc, output = run_playbooks(emu, ["site.yml"], "-e", "@" + settings(
        pytrackdat_app_design=os.path.join(ROOT, "tests", "fixtures", "pytrackdat", "bad-design.csv"),
        pytrackdat_app_admin_password="Unit-admin-pw-4711", pytrackdat_app_control_workdir=str(GENERATOR_WORKDIR)),
        inventory=no_hosts)
    assert proc.returncode != 0
    assert "PyTrackDat says:" in output and "Unknown data type specified for field 'site_name': 'wobbly'" in output, \
        output[-3000:]
    assert "Generate the site from the design CSV before anything is created" in output
    assert writes(emu.request_log) == [], writes(emu.request_log)
    assert "Traceback" not in output and "Unit-admin-pw-4711" not in output
