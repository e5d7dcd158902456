# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the docker role on a real host: the deploy user runs containers and a Compose project without sudo."""

import base64
import json
import os
import shlex
import subprocess

import pytest

DEPLOY = "deploy"
PROJECT_DIR = "/home/deploy/ptd-docker-test"
BASE_IMAGE = "local/ptd-docker-test-base"
APP_IMAGE = "local/ptd-docker-test-app"

# Docker Hub is unreachable: the base image is a minimal Python runtime taken from the host itself
# (Debian's usrmerge: bin, lib, lib64, sbin are symlinks into usr).
BASE_IMAGE_PATHS = (
    "bin lib lib64 sbin usr/bin/sh usr/bin/dash usr/bin/python3 usr/bin/python3.[0-9]* "
    "usr/lib/python3.[0-9]* usr/lib/$(uname -m)-linux-gnu usr/lib64 etc/nsswitch.conf"
)

DOCKERFILE = """\
FROM local/ptd-docker-test-base
RUN ["python3", "-c", "import os; os.makedirs('/srv/www'); open('/srv/www/hello.txt', 'w').write('hello from web\\\\n')"]
CMD ["python3", "-c", "print('hello from a locally built image')"]
"""

# web serves HTTP on 127.0.0.1:18080 of the host; client reaches it by service name over the project network.
COMPOSE = """\
name: ptd-docker-test
services:
  web:
    image: local/ptd-docker-test-app
    command: ["python3", "-m", "http.server", "8000", "--directory", "/srv/www"]
    ports: ["127.0.0.1:18080:8000"]
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/')"]
      interval: 1s
      timeout: 5s
      retries: 30
  client:
    image: local/ptd-docker-test-app
    command: ["python3", "-c", "import urllib.request; print('client got:', urllib.request.urlopen('http://web:8000/hello.txt').read().decode().strip())"]
    depends_on:
      web:
        condition: service_healthy
"""


def as_deploy(host, command):
    """Run a command in a fresh login shell of the deploy user: no sudo, group membership from /etc/group."""
    return host.run("runuser -l %s -c %s" % (DEPLOY, shlex.quote(command)))


def check_as_deploy(host, command):
    result = as_deploy(host, command)
    assert result.rc == 0, "as %s: %s\nrc=%s\nstdout=%s\nstderr=%s" % (DEPLOY, command, result.rc, result.stdout, result.stderr)
    return result.stdout


def write_as_deploy(host, path, content):
    encoded = base64.b64encode(content.encode()).decode()
    check_as_deploy(host, "echo %s | base64 -d > %s" % (encoded, path))


@pytest.fixture(scope="module")
def app_image(host):
    """Import the base image and build the app image, both as the deploy user."""
    check_as_deploy(host, "mkdir -p %s" % PROJECT_DIR)
    check_as_deploy(host, "set -o pipefail; cd / && tar -c %s | docker import - %s" % (BASE_IMAGE_PATHS, BASE_IMAGE))
    write_as_deploy(host, PROJECT_DIR + "/Dockerfile", DOCKERFILE)
    write_as_deploy(host, PROJECT_DIR + "/compose.yaml", COMPOSE)
    check_as_deploy(host, "cd %s && docker build -q -t %s ." % (PROJECT_DIR, APP_IMAGE))
    return APP_IMAGE


def test_docker_service_is_enabled_and_running(host):
    docker = host.service("docker")
    assert docker.is_enabled
    assert docker.is_running


def test_debian_gets_the_named_packages_and_none_of_apts_recommended_extras(host):
    # docker.io recommends git, needrestart and criu (with perl, python3 and protobuf libraries), none of which the
    # engine needs; AppArmor's parser, which Debian's AppArmor kernel needs to load Docker's profile, is named.
    named = ["docker.io", "docker-cli", "docker-compose", "apparmor", "ca-certificates"]
    assert [name for name in named if not host.package(name).is_installed] == []
    assert [name for name in ["git", "needrestart", "criu", "perl"] if host.package(name).is_installed] == []


def test_compose_v2_plugin_is_installed(host):
    assert host.file("/usr/libexec/docker/cli-plugins/docker-compose").is_file
    version = host.check_output("docker compose version --short")
    # Compose v2 is the CLI plugin; its later releases are numbered 5.x.
    assert int(version.lstrip("v").split(".")[0]) >= 2, version


def test_deploy_user_is_in_docker_group_but_has_no_sudo(host):
    assert "docker" in host.user(DEPLOY).groups
    assert as_deploy(host, "sudo -n true").rc != 0


def test_deploy_user_runs_a_locally_built_image(host, app_image):
    output = check_as_deploy(host, "docker run --rm %s" % app_image)
    assert output.strip() == "hello from a locally built image"


def test_containers_get_the_log_rotation_from_daemon_json(host, app_image):
    name = "ptd-docker-test-logs"
    check_as_deploy(host, "docker create --name %s %s" % (name, app_image))
    try:
        log_config = json.loads(check_as_deploy(host, "docker inspect -f '{{json .HostConfig.LogConfig}}' %s" % name))
    finally:
        check_as_deploy(host, "docker rm -f %s" % name)
    assert log_config == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}


def test_daemon_runs_with_the_options_from_daemon_json(host):
    info = json.loads(check_as_deploy(host, "docker info --format '{{json .}}'"))
    assert info["LoggingDriver"] == "json-file"
    assert info["LiveRestoreEnabled"] is True
    assert info["Driver"] == "overlay2"


def test_deploy_user_runs_a_two_service_compose_project(host, app_image):
    compose = "cd %s && docker compose " % PROJECT_DIR
    try:
        check_as_deploy(host, compose + "up --detach --wait web")
        assert host.check_output("curl -fsS --max-time 5 http://127.0.0.1:18080/hello.txt") == "hello from web"
        output = check_as_deploy(host, compose + "run --rm client")
        assert "client got: hello from web" in output
    finally:
        check_as_deploy(host, compose + "down --remove-orphans --timeout 5")
    assert check_as_deploy(host, "docker ps --all --quiet --filter label=com.docker.compose.project=ptd-docker-test") == ""
    assert host.run("curl -fsS --max-time 5 http://127.0.0.1:18080/hello.txt").rc != 0


def test_ip_forwarding_is_on_and_stays_on_after_boot(host):
    assert host.file("/proc/sys/net/ipv4/ip_forward").content_string.strip() == "1"
    # prepare.yml added a "hardening" file that sets 0; systemd-sysctl applies the role's file after it.
    boot_config = host.check_output("/usr/lib/systemd/systemd-sysctl --cat-config")
    assignments = [line.split("=", 1)[1].strip() for line in boot_config.splitlines()
                   if line.replace(" ", "").startswith(("net.ipv4.ip_forward=", "net/ipv4/ip_forward="))]
    assert assignments == ["0", "1"]


# --- Docker's firewall bypass (security audit, item 3) ------------------------------------------------------------
# A neighbour on the test host's own network (a throwaway container next to it on this machine's Docker) routes the
# nested Docker's bridge subnet through the test host, as a machine on a campus LAN can. It must not reach the
# nested containers, although one publishes on 127.0.0.1 only; ssh on the host stays reachable; the containers still
# connect out. Traffic goes only to the test host and the project's own containers; every probe has a timeout.
FIREWALL = "/usr/local/sbin/ptd-docker-firewall"
FW_NETWORK = "ptd-fw-test"
FW_WEB = "ptd-fw-web"        # publishes 127.0.0.1:8081 only
FW_PUBLIC = "ptd-fw-public"  # publishes on all addresses: one port listed as exposed, one not
LOOPBACK_PORT = 8081    # published on 127.0.0.1 only, like the app's proxy
EXPOSED_PORT = 18443    # published on all addresses and listed in docker_container_firewall_exposed_ports
UNLISTED_PORT = 18082   # published on all addresses, not listed
NEIGHBOUR_PORT = 18090  # the neighbour's own HTTP server, for the containers' outbound check


def outer_docker(*args, check=True, timeout=120):
    """Run the docker CLI of this machine (the engine the Molecule test host runs on)."""
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, "docker %s: rc=%s\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def firewall_lab(host, app_image):
    """A nested container publishing 127.0.0.1:8081 (and two ports on all addresses), and a neighbour routing to it."""
    host.run("docker rm -f %s %s" % (FW_WEB, FW_PUBLIC))
    host.run("docker network rm %s" % FW_NETWORK)
    host.check_output("docker network create %s" % FW_NETWORK)
    serve = "%s python3 -m http.server 8000 --directory /srv/www" % app_image
    host.check_output("docker run -d --name %s --network %s -p 127.0.0.1:%d:8000 %s"
                      % (FW_WEB, FW_NETWORK, LOOPBACK_PORT, serve))
    host.check_output("docker run -d --name %s --network %s -p %d:8000 -p %d:8000 %s"
                      % (FW_PUBLIC, FW_NETWORK, EXPOSED_PORT, UNLISTED_PORT, serve))
    address = "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s"
    web_ip = host.check_output(address % FW_WEB)
    public_ip = host.check_output(address % FW_PUBLIC)
    subnet = host.check_output("docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' %s" % FW_NETWORK)
    host_ip = host.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]
    # Wait (bounded) until the server answers on the host's loopback port.
    host.check_output("curl -fsS --retry 20 --retry-connrefused --retry-delay 1 --max-time 30 -o /dev/null "
                      "http://127.0.0.1:%d/hello.txt" % LOOPBACK_PORT)

    neighbour = "ptd-docker-fw-neighbour-%d" % os.getpid()
    image = "local/debian-systemd:%s" % os.environ.get("MOLECULE_DISTRO", "13")
    outer_docker("run", "-d", "--rm", "--name", neighbour, "--cap-add", "NET_ADMIN", "--network", "bridge",
                 "--entrypoint", "/usr/bin/python3", image, "-m", "http.server", str(NEIGHBOUR_PORT), "--directory", "/etc")
    try:
        outer_docker("exec", neighbour, "ip", "route", "add", subnet, "via", host_ip)
        neighbour_ip = outer_docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", neighbour).stdout.strip()
        yield {"neighbour": neighbour, "neighbour_ip": neighbour_ip, "web_ip": web_ip, "public_ip": public_ip, "host_ip": host_ip,
               "subnet": subnet}
    finally:
        outer_docker("rm", "-f", neighbour, check=False)
        host.run("docker rm -f %s %s" % (FW_WEB, FW_PUBLIC))
        host.run("docker network rm %s" % FW_NETWORK)


def neighbour_http(lab, address, port):
    """Whether the neighbour gets the test page from address:port (one bounded attempt)."""
    proc = outer_docker("exec", lab["neighbour"], "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        "--connect-timeout", "3", "--max-time", "5", "http://%s:%d/hello.txt" % (address, port),
                        check=False, timeout=30)
    return proc.stdout.strip() == "200"


def neighbour_tcp(lab, address, port):
    proc = outer_docker("exec", lab["neighbour"], "timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/%s/%d" % (address, port),
                        check=False, timeout=30)
    return proc.returncode == 0


def assert_closed_from_outside(lab):
    assert not neighbour_http(lab, lab["web_ip"], 8000), (
        "the neighbour reached the container %s:8000 (published on 127.0.0.1 only) by routing %s through the host"
        % (lab["web_ip"], lab["subnet"]))
    assert not neighbour_http(lab, lab["host_ip"], UNLISTED_PORT), "a published port not listed as exposed is reachable"
    assert not neighbour_http(lab, lab["public_ip"], 8000), "the exposed container's own address is reachable"
    assert neighbour_http(lab, lab["host_ip"], EXPOSED_PORT), "the port listed in docker_container_firewall_exposed_ports is closed"
    assert neighbour_tcp(lab, lab["host_ip"], 22), "ssh on the host is no longer reachable"


def test_without_the_rules_a_neighbour_reaches_a_loopback_published_container(host, firewall_lab):
    """The bypass itself (today's state without the role's rules): proves the probes below can see an open port."""
    host.run("iptables -w 10 -D DOCKER-USER -j PTD-DOCKER-USER")
    try:
        assert neighbour_http(firewall_lab, firewall_lab["web_ip"], 8000)
        assert neighbour_http(firewall_lab, firewall_lab["host_ip"], UNLISTED_PORT)
    finally:
        if host.file(FIREWALL).exists:
            host.check_output("%s apply" % FIREWALL)


def test_a_neighbour_cannot_reach_containers_past_the_host(host, firewall_lab):
    assert_closed_from_outside(firewall_lab)
    # What the site's Caddy uses still works: the loopback-published port, from the host.
    assert host.check_output("curl -fsS --max-time 5 http://127.0.0.1:%d/hello.txt" % LOOPBACK_PORT) == "hello from web"


def test_containers_still_connect_out_and_to_each_other(host, firewall_lab, app_image):
    fetch = "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).status)"
    out = host.check_output("docker run --rm --network %s %s python3 -c %s http://%s:%d/hostname" % (
        FW_NETWORK, app_image, shlex.quote(fetch), firewall_lab["neighbour_ip"], NEIGHBOUR_PORT))
    assert out.strip() == "200", "a container cannot connect out (to the neighbour): %s" % out
    out = host.check_output("docker run --rm --network %s %s python3 -c %s http://%s:8000/hello.txt" % (
        FW_NETWORK, app_image, shlex.quote(fetch), FW_WEB))
    assert out.strip() == "200", "a container cannot reach another one by name: %s" % out


def test_the_rules_are_idempotent_and_survive_a_docker_restart_and_a_reboot(host, firewall_lab):
    rules = host.check_output("iptables -w 10 -S PTD-DOCKER-USER")
    assert "-j DROP" in rules
    assert host.check_output("iptables -w 10 -S DOCKER-USER").splitlines()[1] == "-A DOCKER-USER -j PTD-DOCKER-USER"
    assert host.check_output("%s apply" % FIREWALL) == "unchanged"
    assert host.run("%s check" % FIREWALL).rc == 0
    # `show` (what the role's state stamp digests) prints the rules as they are: the jump from FORWARD, DOCKER-USER's
    # jump and the chain, and differs once the chain is flushed.
    shown = host.check_output("%s show" % FIREWALL)
    assert "-A FORWARD -j DOCKER-USER" in shown and "-A DOCKER-USER -j PTD-DOCKER-USER" in shown
    assert all(rule in shown for rule in rules.splitlines())
    host.check_output("iptables -w 10 -F PTD-DOCKER-USER")
    assert host.check_output("%s show" % FIREWALL) != shown
    assert host.check_output("%s apply" % FIREWALL) == "changed"
    assert host.check_output("%s show" % FIREWALL) == shown

    host.check_output("systemctl restart docker")
    assert host.check_output("iptables -w 10 -S PTD-DOCKER-USER") == rules
    assert host.check_output("iptables -w 10 -S DOCKER-USER").splitlines()[1] == "-A DOCKER-USER -j PTD-DOCKER-USER"
    assert_closed_from_outside(firewall_lab)

    # A reboot starts with empty tables: take the chains away, then start Docker as systemd does at boot.
    host.check_output("%s remove && iptables -w 10 -D FORWARD -j DOCKER-USER && iptables -w 10 -F DOCKER-USER "
                      "&& iptables -w 10 -X DOCKER-USER" % FIREWALL)
    host.check_output("systemctl restart docker")
    assert host.check_output("iptables -w 10 -S PTD-DOCKER-USER") == rules
    assert host.run("%s check" % FIREWALL).rc == 0
    assert_closed_from_outside(firewall_lab)


def test_the_script_works_with_iptables_legacy_too(host):
    """Debian 12 hosts may use the legacy backend; the script compares rules as iptables prints them."""
    if host.run("iptables-legacy -w 10 -S FORWARD").rc != 0:
        pytest.skip("iptables-legacy does not work in this test host's kernel")
    legacy = "PTD_IPTABLES=iptables-legacy %s " % FIREWALL
    try:
        assert host.check_output(legacy + "apply") == "changed"
        assert host.check_output(legacy + "apply") == "unchanged"
        assert host.run(legacy + "check").rc == 0
        assert "-A PTD-DOCKER-USER -o br-+ -j DROP" in host.check_output("iptables-legacy -w 10 -S PTD-DOCKER-USER")
        host.check_output(legacy + "remove")
        assert host.run("iptables-legacy -w 10 -S PTD-DOCKER-USER").rc != 0
    finally:
        host.run(legacy + "remove; iptables-legacy -w 10 -D FORWARD -j DOCKER-USER; iptables-legacy -w 10 -X DOCKER-USER")
