# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``docker`` machine backend of the DigitalOcean emulator: every droplet is a real systemd host.

A droplet becomes a container booted from a local systemd image (``make images``) with its own loopback
address 127.0.0.N standing in for its public IPv4: ports 22, 80 and 443 are published on that address, so
``ssh root@127.0.0.N`` and ``curl http://127.0.0.N/`` reach the droplet exactly as they would reach a real one.
What cloud-init does on a DigitalOcean droplet is done here before the first boot: the requested SSH keys go
into root's ``authorized_keys`` and the user data is run once, on the first boot, by a oneshot unit that plays
cloud-init's final stage (a ``cloud-init status [--wait]`` stand-in reports on it).

Every container and volume carries labels with the droplet id and an owner (host, pid and process start
time of the emulator that made it): ``close()`` removes what this backend made, ``cleanup_leftovers()``
removes what emulators that are no longer running left behind and never touches a running emulator's droplets.

The module talks to the engine through the ``docker`` CLI; the files cloud-init would write are in ``first_boot.py``.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import socket
import subprocess
import threading
import time
import uuid

from . import MachineBackend, MachineError
from .first_boot import cloud_config_to_script, first_boot_files, tar_of

__all__ = ["DockerMachineBackend", "MachineError", "cloud_config_to_script"]

LOG = logging.getLogger(__name__)

DEFAULT_IMAGE_MAP = {
    "debian-13-x64": "local/debian-systemd:13",
    "debian-12-x64": "local/debian-systemd:12",
    # Ubuntu's archive is unreachable here, so no Ubuntu image can be built: Debian 13 stands in.
    "ubuntu-*": "local/debian-systemd:13",
}
PUBLISHED_PORTS = (22, 80, 443)
# A systemd container needs these, and this machine refuses --privileged.
SYSTEMD_RUN_FLAGS = (
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
    # systemd halts cleanly on SIGRTMIN+3 and ignores docker's default SIGTERM.
    "--stop-signal", "SIGRTMIN+3",
)
DOCKER_CLI_TIMEOUT = 120


def _docker(*args, stdin=None, timeout=DOCKER_CLI_TIMEOUT, check=True):
    try:
        result = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise MachineError("the docker CLI is not installed: the docker machine backend needs it") from exc
    except subprocess.TimeoutExpired as exc:
        raise MachineError(f"`docker {' '.join(args[:2])}` did not finish within {timeout} s") from exc
    if check and result.returncode != 0:
        raise MachineError(f"`docker {' '.join(args[:3])}` failed: {result.stderr.decode(errors='replace').strip()}")
    return result


def _process_start_time(pid):
    """The start time of a live process in clock ticks since boot (field 22 of /proc/PID/stat), or None if it is
    gone or a zombie (a crashed emulator its parent has not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[19] if len(fields) > 19 and fields[0] not in ("Z", "X") else None


def _this_process_owner():
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid)}"


def _owner_is_running(owner):
    """True if the emulator process named by an owner label still runs on this host (pid reuse is caught by start time)."""
    try:
        host, pid, started = owner.rsplit(":", 2)
    except ValueError:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_start_time(int(pid)) == started


def _safe_name(name, limit):
    """A droplet name made fit for a container name and a hostname: [A-Za-z0-9.-], within `limit` characters."""
    cleaned = re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-.") or "droplet"
    return cleaned[:limit].rstrip("-.")


def _address_is_free(address, ports=PUBLISHED_PORTS):
    """True if nothing on the host listens on any of the ports at this address (a wildcard listener counts)."""
    for port in ports:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # SO_REUSEADDR ignores TIME_WAIT left by a destroyed droplet but still fails on a listener.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
        except PermissionError:
            continue  # ports below 1024 need root to probe; docker's own check at start still catches a listener
        except OSError:
            return False
        finally:
            probe.close()
    return True


def _addresses_published_by_containers():
    """Host addresses any container (running or stopped) publishes ports on; 0.0.0.0 if one publishes on all of them."""
    ids = _docker("ps", "-aq").stdout.decode().split()
    if not ids:
        return set()
    result = _docker("inspect", "--format", "{{json .HostConfig.PortBindings}}", *ids, check=False)
    addresses = set()
    for line in result.stdout.decode().splitlines():
        bindings = json.loads(line) if line.strip() not in ("", "null") else {}
        for container_port, host_bindings in bindings.items():
            if int(container_port.split("/")[0]) not in PUBLISHED_PORTS:
                continue
            for binding in host_bindings or []:
                addresses.add(binding.get("HostIp") or "0.0.0.0")
    return addresses


class DockerMachineBackend(MachineBackend):
    """Droplets as systemd containers, each on its own 127.0.0.N with ports 22, 80 and 443 published there."""

    name = "docker"
    instant = False  # a boot takes seconds: the emulator calls this backend from its worker pool

    def __init__(self, image_map: dict | None = None, address_range=("127.0.0.", 10, 250), label="pytrackdat.emulator",
                 docker_volume_for_var_lib_docker=True, boot_timeout=60, user_data_timeout=900):
        """image_map adds to or overrides the slug -> image map (keys may be globs such as ``ubuntu-*``);
        address_range is (prefix, first, last) of the addresses handed out; label prefixes every docker label."""
        super().__init__()
        self.image_map = {**DEFAULT_IMAGE_MAP, **(image_map or {})}
        self.address_prefix, self.first_host, self.last_host = address_range
        self.label = label
        self.docker_volume_for_var_lib_docker = docker_volume_for_var_lib_docker
        self.boot_timeout = boot_timeout
        self.user_data_timeout = user_data_timeout
        self.owner = _this_process_owner()
        self.backend_id = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()  # address choice and container creation, and close()
        self._addresses = {}  # droplet id -> address, for droplets this backend made
        self._closed = False

    # --- the interface the emulator calls ---------------------------------------------------------------------

    def provision(self, droplet_id: int, name: str, image_slug: str, ssh_public_keys: list[str], user_data: str | None) -> dict:
        """Create and boot the droplet's machine; return once systemd finished booting and sshd answers."""
        started = time.monotonic()
        image = self.image_for(image_slug)
        self._require_image(image)
        files, has_user_data = first_boot_files(droplet_id, ssh_public_keys, user_data, self.user_data_timeout)
        container = f"ptd-droplet-{droplet_id}-{_safe_name(name, 40)}"
        with self._lock:
            if self._closed:
                raise MachineError(f"droplet {droplet_id}: the docker machine backend is closed")
            self._remove_stale_namesake(container)
            volume_args = self._create_volume(droplet_id, container)
        tried = set()
        while True:
            with self._lock:
                if self._closed:
                    raise MachineError(f"droplet {droplet_id}: the docker machine backend was closed while provisioning")
                address = self._free_address(tried)
                self._create_container(droplet_id, container, _safe_name(name, 63), image, address, volume_args)
                self._addresses[droplet_id] = address
            _docker("cp", "-", f"{container}:/", stdin=tar_of(files))
            result = _docker("start", container, check=False)
            if result.returncode == 0:
                break
            error = result.stderr.decode(errors="replace").strip()
            _docker("rm", "-f", container, check=False)
            self._addresses.pop(droplet_id, None)
            # Another process took the address between the check and the start: try the next one, a few times.
            if len(tried) >= 3 or not ("address already in use" in error or "port is already allocated" in error):
                raise MachineError(f"droplet {droplet_id}: `docker start {container}` failed: {error}")
            LOG.info("droplet %s: %s was taken meanwhile (%s), trying another address", droplet_id, address, error)
            tried.add(address)
        timeout = self.boot_timeout + (self.user_data_timeout if has_user_data else 0)
        self._wait_until_booted(container, address, timeout)
        LOG.info("droplet %s (%s) is up on %s after %.1f s", droplet_id, container, address, time.monotonic() - started)
        return {"public_ipv4": address, "private_ipv4": address}

    def power_off(self, droplet_id: int) -> None:
        """Halt the machine cleanly (systemd shuts down on the container's stop signal)."""
        container = self._container_of(droplet_id)
        if container:
            _docker("stop", "--time", "30", container)

    def power_on(self, droplet_id: int) -> None:
        """Start the machine and wait until it has booted and sshd answers."""
        container = self._require_container(droplet_id)
        _docker("start", container)
        self._wait_until_booted(container, self._address_of(container), self.boot_timeout)

    def reboot(self, droplet_id: int) -> None:
        """Restart the machine (a clean halt, then a boot) and wait until it has booted and sshd answers."""
        container = self._require_container(droplet_id)
        _docker("restart", "--time", "30", container)
        self._wait_until_booted(container, self._address_of(container), self.boot_timeout)

    def destroy(self, droplet_id: int) -> None:
        """Remove the machine and its volumes; a droplet that has no machine (any more) is fine."""
        filters = [f"label={self.label}.owner={self.owner}", f"label={self.label}.droplet_id={droplet_id}"]
        self._remove(filters)
        self._addresses.pop(droplet_id, None)

    def close(self) -> None:
        """Remove every machine and volume this backend made; provisions still under way fail."""
        with self._lock:
            self._closed = True
            self._remove([f"label={self.label}.owner={self.owner}", f"label={self.label}.backend={self.backend_id}"])
            self._addresses.clear()

    @classmethod
    def cleanup_leftovers(cls, label="pytrackdat.emulator") -> int:
        """Remove containers and volumes left by emulators that no longer run; return how many were removed.

        Machines of an emulator process that still runs on this host are kept: several test sessions may share
        the Docker engine, and a leftover is by definition something nobody will clean up any more.
        """
        removed = 0
        listings = {
            "container": (["ps", "-aq"], "{{ index .Config.Labels \"%s.owner\" }}", ["rm", "-f", "-v"]),
            "volume": (["volume", "ls", "-q"], "{{ index .Labels \"%s.owner\" }}", ["volume", "rm", "-f"]),
        }
        for kind, (list_command, owner_format, remove_command) in listings.items():
            for ident in _docker(*list_command, "--filter", f"label={label}").stdout.decode().split():
                owner = _docker(kind, "inspect", "--format", owner_format % label, ident, check=False).stdout.decode().strip()
                if not _owner_is_running(owner) and _docker(*remove_command, ident, check=False).returncode == 0:
                    removed += 1
        if removed:
            LOG.info("removed %d container(s)/volume(s) left by emulators that no longer run (label %s)", removed, label)
        return removed

    # --- helpers --------------------------------------------------------------------------------------------

    def image_for(self, image_slug):
        """The local image that stands in for a DigitalOcean image slug (exact slugs win over globs)."""
        image = self.image_map.get(image_slug)
        if image is None:
            image = next((img for pattern, img in self.image_map.items() if fnmatch.fnmatchcase(image_slug, pattern)), None)
        if image is None:
            raise MachineError(f"no local image stands in for the image slug {image_slug!r}; known: {', '.join(sorted(self.image_map))}")
        ubuntu = re.match(r"ubuntu-(\d+)-(\d+)", image_slug)
        if ubuntu and image.startswith("local/debian-systemd:"):
            LOG.warning("Debian %s stands in for Ubuntu %s.%s (%s): Ubuntu's archive is unreachable here",
                        image.rsplit(":", 1)[1], ubuntu.group(1), ubuntu.group(2), image_slug)
        return image

    @staticmethod
    def _require_image(image):
        if _docker("image", "inspect", image, check=False).returncode != 0:
            raise MachineError(f"the image {image} is missing: build it with `make images` (and is dockerd running?)")

    def _remove_stale_namesake(self, container):
        """A container of this name left by an emulator that crashed is removed; one of a running emulator is an error."""
        result = _docker("inspect", "--format", f'{{{{ index .Config.Labels "{self.label}.owner" }}}}', container, check=False)
        if result.returncode != 0:
            return
        owner = result.stdout.decode().strip()
        if owner and owner != self.owner and _owner_is_running(owner):
            raise MachineError(f"the container {container} belongs to another emulator that is still running ({owner})")
        if owner == self.owner:
            raise MachineError(f"the container {container} already exists: droplet ids must be unique")
        LOG.info("removing %s, left by an emulator that no longer runs", container)
        self._remove([f"name=^/{container}$"])

    def _labels(self, droplet_id):
        labels = [f"{self.label}=droplet", f"{self.label}.droplet_id={droplet_id}", f"{self.label}.owner={self.owner}",
                  f"{self.label}.backend={self.backend_id}"]
        return [arg for label in labels for arg in ("--label", label)]

    def _create_volume(self, droplet_id, container):
        """The droplet's /var/lib/docker volume (a nested Docker engine needs overlay2, not the container's overlay)."""
        if not self.docker_volume_for_var_lib_docker:
            return []
        volume = f"{container}-var-lib-docker"
        # A namesake left by a killed run holds the old droplet's containers, which its engine would start again over
        # this droplet's deploy. The engine refuses to remove a volume a container still uses (a live droplet's).
        _docker("volume", "rm", "-f", volume, check=False)
        _docker("volume", "create", *self._labels(droplet_id), volume)
        return ["-v", f"{volume}:/var/lib/docker"]

    def _create_container(self, droplet_id, container, hostname, image, address, volume_args):
        """Create (not start) the container with ports 22, 80 and 443 published on its address."""
        ports = [arg for port in PUBLISHED_PORTS for arg in ("-p", f"{address}:{port}:{port}")]
        _docker("create", "--name", container, "--hostname", hostname, *self._labels(droplet_id),
                "--label", f"{self.label}.address={address}", *SYSTEMD_RUN_FLAGS, *volume_args, *ports,
                image, "/lib/systemd/systemd")

    def _free_address(self, tried):
        published = _addresses_published_by_containers()
        if "0.0.0.0" in published:
            raise MachineError("a container publishes port 22, 80 or 443 on every address (0.0.0.0), so no droplet can have its own")
        taken = published | set(self._addresses.values()) | tried
        for host in range(self.first_host, self.last_host + 1):
            address = f"{self.address_prefix}{host}"
            if address not in taken and _address_is_free(address):
                return address
        raise MachineError(f"no free address in {self.address_prefix}{self.first_host}-{self.last_host}: every one has "
                           "a container or a listener on port 22, 80 or 443")

    def _container_of(self, droplet_id):
        names = _docker("ps", "-a", "--format", "{{.Names}}", "--filter", f"label={self.label}.owner={self.owner}",
                        "--filter", f"label={self.label}.droplet_id={droplet_id}").stdout.decode().split()
        return names[0] if names else None

    def _require_container(self, droplet_id):
        container = self._container_of(droplet_id)
        if not container:
            raise MachineError(f"droplet {droplet_id} has no machine (was it destroyed?)")
        return container

    def _address_of(self, container):
        return _docker("inspect", "--format", f'{{{{ index .Config.Labels "{self.label}.address" }}}}', container).stdout.decode().strip()

    def _remove(self, filters):
        filter_args = [arg for f in filters for arg in ("--filter", f)]
        containers = _docker("ps", "-aq", *filter_args).stdout.decode().split()
        if containers:
            _docker("rm", "-f", "-v", *containers)
        volume_filters = [arg for f in filters if f.startswith("label=") for arg in ("--filter", f)]
        if volume_filters:
            volumes = _docker("volume", "ls", "-q", *volume_filters).stdout.decode().split()
            if volumes:
                _docker("volume", "rm", "-f", *volumes)

    def _wait_until_booted(self, container, address, timeout):
        """Wait until systemd says running/degraded and sshd sends its banner on address:22, within timeout."""
        deadline = time.monotonic() + timeout
        state = "not asked yet"
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MachineError(f"{container} did not finish booting within {timeout} s (systemd says: {state})")
            running = _docker("inspect", "--format", "{{.State.Running}}", container, check=False).stdout.decode().strip()
            if running != "true":
                logs = _docker("logs", "--tail", "20", container, check=False)
                raise MachineError(f"{container} stopped while booting (running={running or 'gone'}): "
                                   f"{(logs.stdout + logs.stderr).decode(errors='replace').strip()[-1500:]}")
            try:
                result = subprocess.run(["docker", "exec", container, "systemctl", "is-system-running", "--wait"],
                                        capture_output=True, timeout=remaining, check=False)
                state = (result.stdout.decode().strip() or result.stderr.decode(errors="replace").strip())
            except subprocess.TimeoutExpired:
                continue
            if state in ("running", "degraded"):
                break
            time.sleep(0.2)  # systemd's bus is not up yet, or it is still stopping from the previous boot
        if state == "degraded":
            failed = _docker("exec", container, "systemctl", "--failed", "--no-legend", "--plain", check=False).stdout.decode().strip()
            LOG.warning("%s booted degraded; failed units: %s", container, failed.replace("\n", "; "))
        self._wait_for_sshd(container, address, deadline, timeout)

    @staticmethod
    def _wait_for_sshd(container, address, deadline, timeout):
        # docker-proxy accepts the connection even when nothing listens inside, so wait for sshd's banner.
        while True:
            try:
                with socket.create_connection((address, 22), timeout=2) as connection:
                    connection.settimeout(2)
                    if connection.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise MachineError(f"sshd of {container} did not answer on {address}:22 within {timeout} s")
            time.sleep(0.2)
