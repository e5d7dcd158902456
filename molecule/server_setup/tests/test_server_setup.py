# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Effective state of a host after the server_setup role: real SSH logins over 127.0.0.1, sshd -T, ufw, fail2ban."""

import re
import subprocess
import time

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
    ("port", "22"),
    # dev-sec's ssh-baseline, where it matters for a single-purpose server:
    ("maxauthtries", "2"),
    ("loglevel", "VERBOSE"),
    ("allowtcpforwarding", "no"),
    ("allowagentforwarding", "no"),
    ("allowstreamlocalforwarding", "no"),
    ("x11forwarding", "no"),
    ("permittunnel", "no"),
    ("clientaliveinterval", "300"),
    ("clientalivecountmax", "2"),
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


def test_debian_gets_the_named_packages_and_none_of_apts_recommended_extras(host):
    # fail2ban recommends whois, python3-pyinotify and python3-setuptools besides its ban action's nftables, which
    # Debian's default ban action runs and the role names (test_fail2ban_bans_key_guessing_against_the_admin_user).
    named = ["fail2ban", "python3-systemd", "nftables", "ufw", "unattended-upgrades"]
    assert [name for name in named if not host.package(name).is_installed] == []
    assert [name for name in ["whois", "python3-pyinotify", "python3-setuptools"] if host.package(name).is_installed] == []


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


def test_admin_with_several_keys_in_the_agent_logs_in_when_naming_its_key(host):
    """MaxAuthTries 2 counts every key the client offers; ssh offers the key named with -i first, even when the
    agent holds other keys (added before it). Without -i the agent's first two (wrong) keys use up the tries."""
    result = host.run(f"""bash -c '
        set -e
        d=$(mktemp -d)
        eval "$(ssh-agent -s)" > /dev/null
        trap "ssh-agent -k > /dev/null; rm -rf $d" EXIT
        for i in 1 2 3; do ssh-keygen -q -t ed25519 -N "" -C other$i -f $d/other$i; done
        ssh-add -q $d/other1 $d/other2 $d/other3 {KEYS}/droplet_key
        test "$(ssh-add -l | wc -l)" = 4
        opts="-F none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
        ssh $opts -i {KEYS}/droplet_key deploy@127.0.0.1 "id -un"
        if ssh $opts deploy@127.0.0.1 true 2> $d/err; then echo UNNAMED-KEY-LOGGED-IN; fi
        cat $d/err
    '""")
    assert result.rc == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "deploy"
    assert "UNNAMED-KEY-LOGGED-IN" not in result.stdout
    assert "Too many authentication failures" in result.stdout


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


def test_a_failed_probe_took_its_throwaway_key_back_and_kept_the_users_own(host):
    # side_effect.yml: the role stopped at the lockout guard for 'lockedout' (no usable shell) after the probe had
    # authorized its throwaway key in that user's authorized_keys.
    keys = host.file("/home/lockedout/.ssh/authorized_keys")
    assert keys.user == "lockedout" and keys.mode == 0o600
    assert "server_setup-probe" not in keys.content_string
    assert "droplet_key" in keys.content_string
    assert host.run("ls -d /tmp/server_setup_probe.*").rc != 0, "the probe left its work folder"


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
    # OpenSSH 9.8+ (Debian 13) logs from sshd-session; Debian's defaults-debian.conf watches _COMM=sshd only.
    matches = host.check_output("fail2ban-client get sshd journalmatch")
    assert "_COMM=sshd-session" in matches and "_COMM=sshd" in matches.replace("_COMM=sshd-session", "")


def _docker(*args, stdin=None, check=True):
    """Runs the docker CLI on the machine that runs Molecule (only against this scenario's own containers)."""
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=120, check=check)


def _total_failed(host):
    return int(re.search(r"Total failed:\s*(\d+)", host.check_output("fail2ban-client status sshd")).group(1))


def _banned(host, ip):
    return ip in host.check_output("fail2ban-client get sshd banip").split()


def _wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


@pytest.fixture()
def neighbour(host):
    """A throwaway container on the test host's Docker network (another machine on the droplet's network).

    Yields (run, neighbour_ip, host_ip); run(script) runs a shell script in it. The neighbour is removed and
    unbanned afterwards, so later tests and runs are not affected.
    """
    name = host.backend.host  # Molecule's docker driver names the container after the inventory host
    info = _docker("inspect", "-f", "{{.Config.Image}} {{range $n, $c := .NetworkSettings.Networks}}{{$n}} {{$c.IPAddress}}{{end}}",
                   name).stdout.split()
    image, network, host_ip = info[0], info[1], info[2]
    neighbour_name = f"{name}-neighbour"
    _docker("rm", "-f", neighbour_name, check=False)
    # Bounded life even if this test process dies: the container exits after 10 minutes.
    _docker("run", "-d", "--rm", "--name", neighbour_name, "--network", network, "--entrypoint", "sleep", image, "600")
    neighbour_ip = _docker("inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}",
                           neighbour_name).stdout.strip()

    def run(script, stdin=None):
        return _docker("exec", "-i", neighbour_name, "bash", "-c", script, stdin=stdin, check=False)

    # Docker may hand out an address an earlier (failed) run left banned.
    host.run(f"fail2ban-client set sshd unbanip {neighbour_ip}")
    assert not _banned(host, neighbour_ip)
    try:
        yield run, neighbour_ip, host_ip
    finally:
        _docker("rm", "-f", neighbour_name, check=False)
        host.run(f"fail2ban-client set sshd unbanip {neighbour_ip}")


def test_fail2ban_bans_key_guessing_against_the_admin_user(host, neighbour):
    """Wrong keys for the real admin user from another machine, one per connection (key rotation: fail2ban's
    normal mode counted 0 of them): banned and refused; after unbanip the admin logs in from there again.
    A login that succeeds after a wrong key (an agent with several keys) does not count."""
    run, neighbour_ip, host_ip = neighbour
    maxretry = int(host.check_output("fail2ban-client get sshd maxretry"))
    # Stay below ufw's SSH limit (6 new connections in 30 s per source: maxretry tries + two logins) and
    # below Debian 13 OpenSSH's own PerSourcePenalties (authfail 5 s each, enforced from 15 s), so that any
    # refusal below is fail2ban's.
    assert maxretry <= 2, "converge.yml sets maxretry 2 so that the test stays below ufw's and sshd's limits"
    ssh = ("ssh -F none -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
           "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5")
    admin_key = host.file(f"{KEYS}/droplet_key").content_string
    failed_before = _total_failed(host)

    # The admin's client offers a wrong key first, then the right one (MaxAuthTries 2 allows that): logged in,
    # and not counted as a failure.
    mixed = run(f"""install -m 600 /dev/stdin /tmp/admin_key; ssh-keygen -q -t ed25519 -N '' -f /tmp/other
        timeout 20 {ssh} -i /tmp/other -i /tmp/admin_key deploy@{host_ip} 'id -un'""", stdin=admin_key)
    assert mixed.returncode == 0 and mixed.stdout.strip() == "deploy", mixed.stderr

    guess = run(f"""
        for i in $(seq 1 {maxretry}); do
            ssh-keygen -q -t ed25519 -N '' -f /tmp/wrong$i
            timeout 20 {ssh} -i /tmp/wrong$i deploy@{host_ip} true
            echo "rc=$?"
        done""")
    assert guess.stdout.split() == ["rc=255"] * maxretry, guess.stdout + guess.stderr
    assert guess.stderr.count("Permission denied (publickey)") == maxretry, guess.stderr

    assert _wait_for(lambda: _banned(host, neighbour_ip)), (
        f"{neighbour_ip} not banned after {maxretry} wrong keys for deploy:\n"
        + host.check_output("fail2ban-client status sshd") + "\n"
        + host.check_output(f"journalctl -u ssh --since -5min --no-pager | grep -F '{neighbour_ip} ' || true"))

    # Exactly the wrong-key connections counted (the ban came at the last one, not before it).
    assert _total_failed(host) - failed_before == maxretry

    login = f"install -m 600 /dev/stdin /tmp/admin_key; timeout 20 {ssh} -i /tmp/admin_key deploy@{host_ip} 'id -un'"
    refused = run(login, stdin=admin_key)
    assert refused.returncode == 255, refused.stdout
    assert "Connection refused" in refused.stderr, refused.stderr

    host.check_output(f"fail2ban-client set sshd unbanip {neighbour_ip}")
    assert not _banned(host, neighbour_ip)
    again = run(login, stdin=admin_key)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "deploy"


def test_timezone(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Europe/Berlin"


def test_no_swap_file_in_a_container(host):
    assert not host.file("/swapfile").exists
