"""Verify the docker role on a real host: the deploy user runs containers and a Compose project without sudo."""

import base64
import json
import shlex

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
