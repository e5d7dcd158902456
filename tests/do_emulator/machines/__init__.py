# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machines behind emulated droplets.

A droplet in the emulator is only an API record unless a machine backend gives it a body.
``none`` gives it addresses nothing ever contacts: public ones from 198.18.0.0/15 (reserved for
benchmarking, RFC 2544) and private ones from 10.110.0.0/16 (DigitalOcean's default VPC style). ``docker`` (``machines/docker.py``,
class ``DockerMachineBackend``) runs each droplet as a systemd container.

The emulator calls ``provision`` and the power methods off the request thread and keeps the
droplet ``new`` (or its action ``in-progress``) until the call returns, so a backend may take
seconds. A backend that raises makes the action ``errored``.
"""

from __future__ import annotations

import importlib
import threading


class MachineError(RuntimeError):
    """A droplet's machine could not be made, booted, or changed; the message says why and what to do."""


class MachineBackend:
    """Interface of a machine backend; also the ``none`` implementation."""

    name = "none"
    #: True when every call returns at once: the emulator then calls it inline instead of
    #: on its worker pool (10,000 droplets must not mean 10,000 pool jobs).
    instant = True

    def __init__(self):
        self._lock = threading.Lock()
        self._addresses = {}
        self._counter = 0

    def provision(self, droplet_id: int, name: str, image_slug: str, ssh_public_keys: list, user_data: str | None) -> dict:
        """Start the machine; return ``{"public_ipv4": str, "private_ipv4": str}``."""
        with self._lock:
            if droplet_id not in self._addresses:
                index = self._counter
                self._counter += 1
                block, host = divmod(index % (2 * 256 * 254), 254)
                self._addresses[droplet_id] = {
                    # 198.18.0.0/15 is reserved for benchmarking (RFC 2544): never routed, and large
                    # enough for 10,000 droplets, unlike the three /24 documentation ranges.
                    "public_ipv4": f"198.{18 + block // 256}.{block % 256}.{host + 1}",
                    "private_ipv4": f"10.110.{block % 256}.{host + 1}",
                }
            return dict(self._addresses[droplet_id])

    def power_off(self, droplet_id: int) -> None:
        """Stop the machine (a hard power cut or a clean shutdown: both end powered off)."""

    def power_on(self, droplet_id: int) -> None:
        """Start a stopped machine."""

    def reboot(self, droplet_id: int) -> None:
        """Restart the machine."""

    def destroy(self, droplet_id: int) -> None:
        """Remove the machine for good."""
        with self._lock:
            self._addresses.pop(droplet_id, None)

    def close(self) -> None:
        """Remove every machine this backend made."""
        with self._lock:
            self._addresses.clear()


NoneMachineBackend = MachineBackend


def make_backend(spec) -> MachineBackend:
    """Return a backend for ``"none"``, ``"docker"`` or an instance (returned as is)."""
    if isinstance(spec, MachineBackend) or (not isinstance(spec, str) and hasattr(spec, "provision")):
        return spec
    if spec in (None, "none"):
        return MachineBackend()
    if spec == "docker":
        module = importlib.import_module(__name__ + ".docker")
        return module.DockerMachineBackend()
    raise ValueError(f"unknown machine backend {spec!r}: use 'none', 'docker' or a MachineBackend instance")
