# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`--check` of provision.yml and site.yml on an account with no droplet yet: the run says what it would create and
ends with rc 0, sending DigitalOcean no request that could change anything (it used to fail at the DNS task, which
had no address to point at)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.do_emulator.pytest_plugin import assert_loopback

from tests.unit.plugins.conftest import ROOT, ansible_env, writes


# Where the generator is installed once for the tests (tests/fixtures/pytrackdat/make_real_bundles.py)
GENERATOR_WORKDIR = os.path.join(os.path.expanduser("~"), ".cache", "pytrackdat-deploy-tests")


@pytest.fixture
def public_key(tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return str(key) + ".pub"


@pytest.mark.parametrize("book", ["provision.yml", "site.yml"])
def test_check_mode_on_an_account_without_the_droplet_plans_and_changes_nothing(do_emulator, public_key, book):
    do_emulator.state.create_domain({"name": "example.test"})
    env = ansible_env({"DIGITALOCEAN_ACCESS_TOKEN": do_emulator.token, "DIGITALOCEAN_END_POINT": assert_loopback(do_emulator.url),
                       "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "10"})
    before = len(do_emulator.request_log)
    proc = subprocess.run(["ansible-playbook", "--check", "-i", os.path.join("inventory", "droplets.yml"),
                           os.path.join("playbooks", book), "-e", "pytrackdat_ssh_public_key_file=" + public_key,
                           "-e", "pytrackdat_dns_zone=example.test", "-e", "pytrackdat_app_domain=ptd.example.test",
                           # provision.yml generates the site from the design first (on this computer, check mode too)
                           "-e", "pytrackdat_app_design=" + os.path.join(ROOT, "tests", "fixtures", "pytrackdat", "design.csv"),
                           "-e", "pytrackdat_app_admin_password=Unit-admin-pw-4711",
                           "-e", "pytrackdat_app_control_workdir=" + GENERATOR_WORKDIR],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "would be created" in output and "ptd.example.test" in output, output[-4000:]
    assert "Generate the site from the design CSV before anything is created" in output
    assert "Unit-admin-pw-4711" not in output
    assert writes(do_emulator.request_log, before) == []
    assert do_emulator.state.droplets == {}
