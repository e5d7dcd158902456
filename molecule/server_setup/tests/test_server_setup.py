"""Effective state of a host after the server_setup role: real SSH logins over 127.0.0.1, sshd -T, ufw, fail2ban."""

import re

import pytest

KEYS = "/root/server_setup_test"
SSH = ("ssh -F none -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
       "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10")
FORWARDING_SYSCTL = re.compile(r"\s*net/ipv[46]/(ip_forward|conf/[a-z]+/forwarding)\s*=")
WEAK_ALGORITHMS = ("cbc", "hmac-sha1", "hmac-md5", "umac-64", "diffie-hellman-group1-", "diffie-hellman-group14-sha1",
                   "diffie-hellman-group-exchange-sha1", "3des", "arcfour")


@pytest.fixture(scope="module")
def sshd_effective(host):
    """sshd -T as a dict (the last value of repeated keys)."""
    out = host.check_output("/usr/sbin/sshd -T")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


@pytest.mark.parametrize("key,value", [
    ("permitrootlogin", "no"),
    ("passwordauthentication", "no"),
    ("kbdinteractiveauthentication", "no"),
    ("pubkeyauthentication", "yes"),
    ("maxauthtries", "3"),
    ("port", "22"),
])
def test_effective_sshd_setting(sshd_effective, key, value):
    assert sshd_effective[key] == value


@pytest.mark.parametrize("key", ["ciphers", "kexalgorithms", "macs"])
def test_effective_sshd_algorithms_are_modern(sshd_effective, key):
    algorithms = sshd_effective[key].split(",")
    assert algorithms
    assert not [a for a in algorithms if any(weak in a for weak in WEAK_ALGORITHMS)]


def test_cloud_init_drop_in_is_still_there_and_loses(host, sshd_effective):
    assert host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf").contains("PasswordAuthentication yes")
    assert sshd_effective["passwordauthentication"] == "no"


def test_sshd_is_running(host):
    assert host.service("ssh").is_running


def test_root_cannot_log_in_over_ssh(host):
    # prepare.yml proved this key let root in before the role ran.
    result = host.run(f"{SSH} -i {KEYS}/droplet_key root@127.0.0.1 true")
    assert result.rc != 0
    assert "Permission denied" in result.stderr


@pytest.mark.parametrize("key", ["droplet_key", "variable_key"])
def test_admin_user_logs_in_with_its_key_and_can_sudo(host, key):
    result = host.run(f"{SSH} -i {KEYS}/{key} deploy@127.0.0.1 'id -un; sudo -n id -u'")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["deploy", "0"]


def test_password_login_is_refused_by_the_server(host):
    # pwtest's password is right (prepare.yml logged in with it): only the server's refusal can stop it.
    result = host.run(
        "sshpass -p 'correct horse' ssh -F none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive "
        "pwtest@127.0.0.1 true")
    assert result.rc != 0
    assert "Permission denied (publickey)" in result.stderr


def test_lockout_probe_left_no_throwaway_key(host):
    keys = host.file("/home/deploy/.ssh/authorized_keys").content_string
    assert "server_setup-probe" not in keys
    assert "droplet_key" in keys and "variable_key" in keys


def test_admin_user_account_and_permissions(host):
    user = host.user("deploy")
    assert user.shell == "/bin/bash"
    assert "sudo" in user.groups
    home = host.file("/home/deploy")
    assert home.user == "deploy" and home.mode == 0o750
    ssh_dir = host.file("/home/deploy/.ssh")
    assert ssh_dir.user == "deploy" and ssh_dir.mode == 0o700
    keys = host.file("/home/deploy/.ssh/authorized_keys")
    assert keys.user == "deploy" and keys.mode == 0o600
    sudoers = host.file("/etc/sudoers.d/90-server-setup-deploy")
    assert sudoers.user == "root" and sudoers.mode == 0o440


def test_ufw_denies_incoming_and_allows_only_the_listed_ports(host):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "Default: deny (incoming), allow (outgoing)" in status
    lines = status.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("--")) + 1:]
    rules = {" ".join(line.split()[:3 if "(v6)" in line else 2]) for line in table if line.strip()}
    assert rules == {"22/tcp LIMIT", "80/tcp ALLOW", "443/tcp ALLOW", "22/tcp (v6) LIMIT", "80/tcp (v6) ALLOW", "443/tcp (v6) ALLOW"}


def test_ufw_leaves_ip_forwarding_alone(host):
    # ufw applies IPT_SYSCTL on every start; an ip_forward line there would override Docker's value.
    sysctl_conf = host.file("/etc/ufw/sysctl.conf").content_string
    assert not [line for line in sysctl_conf.splitlines() if FORWARDING_SYSCTL.match(line)]
    assert host.file("/proc/sys/net/ipv4/ip_forward").content_string.strip() == "1"


def test_unattended_upgrades_enabled(host):
    assert host.package("unattended-upgrades").is_installed
    config = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert 'APT::Periodic::Update-Package-Lists "1";' in config
    assert host.service("apt-daily-upgrade.timer").is_enabled


def test_fail2ban_sshd_jail_active(host):
    status = host.run("fail2ban-client status sshd")
    assert status.rc == 0, status.stderr
    assert "Journal matches" in status.stdout  # the systemd backend, not a log file


def test_timezone(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Europe/Berlin"


def test_no_swap_file_in_a_container(host):
    assert not host.file("/swapfile").exists
