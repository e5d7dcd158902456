# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After every bad-input run of server_setup: the host is exactly as prepare.yml recorded it."""

import os

SNAPSHOT = "/root/server_setup_bad_input.before"
SNAPSHOT_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "snapshot.sh")


def test_host_state_is_unchanged(host):
    with open(SNAPSHOT_SCRIPT, encoding="utf-8") as script:
        now = host.run("bash -euo pipefail -c " + _quote(script.read()))
    assert now.rc == 0, now.stderr
    assert now.stdout == host.file(SNAPSHOT).content_string


def test_no_admin_user_was_created(host):
    assert not host.user("deploy").exists


def test_sshd_still_has_its_stock_settings(host):
    effective = host.check_output("/usr/sbin/sshd -T")
    assert "permitrootlogin without-password" in effective.splitlines()
    assert not host.file("/etc/ssh/sshd_config.d/00-server-setup.conf").exists


def test_no_firewall_or_fail2ban_was_installed(host):
    assert not host.package("ufw").is_installed
    assert not host.package("fail2ban").is_installed


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"
