# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""summary.yml's last words: the site's address as the user must type it. A site on a host name is HTTPS; one on an IP
address gets no certificate, so the app role serves it over plain HTTP, and the summary must say http:// (and why)."""

from __future__ import annotations

import subprocess

import pytest

from tests.unit.plugins.conftest import ROOT, ansible_env


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    path.write_text("pytrackdat:\n  hosts:\n    lab-server: {ansible_host: 127.0.0.1, ansible_connection: local}\n")
    return str(path)


def summary(inventory, domain):
    proc = subprocess.run(["ansible-playbook", "-i", inventory, "playbooks/summary.yml", "-e",
                           "pytrackdat_app_domain=%s" % domain], cwd=ROOT, env=ansible_env(), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("domain, url", [("lab.example.org", "https://lab.example.org/"),
                                         ("192.0.2.10", "http://192.0.2.10/"),
                                         ("2001:db8::10", "http://[2001:db8::10]/")])
def test_summary_gives_the_address_the_site_answers_on(inventory, domain, url):
    out = summary(inventory, domain)
    assert "Your PyTrackDat site is live: %s" % url in out, out
    assert ("Log in at %slogin/" % url) in out, out
    if url.startswith("http://"):
        assert "https://" + domain not in out and "plain HTTP" in out, out
    else:
        assert "plain HTTP" not in out, out
