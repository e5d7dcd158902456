# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server: ``Emulator``, its HTTP server thread, its action ticker, its state file and its public API.

``Emulator`` is the public entry point (see ``__init__``). It serves on a stdlib
``ThreadingHTTPServer`` in a background thread; requests run one at a time under the state lock,
which is plenty for tests and keeps the model free of races. What happens to one request (faults,
authentication, rate limits, routing, persistence, validation) is ``dispatch.handle``.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import dispatch
from .faults import FaultInjector
from .limits import EndpointLimiter, RateLimiter
from .machines import make_backend
from .models import State


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "do-emulator"
    sys_version = ""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the per-request stderr lines; ``Emulator.request_log`` keeps them."""

    def _serve(self):
        dispatch.handle(self.server.emulator, self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class Emulator:
    """A stateful DigitalOcean API on localhost. See the package docstring for the interface."""

    def __init__(self, machine_backend="none", token="ptd-test-token", action_delay=0.2,  # pylint: disable=too-many-arguments
                 rate_limit_per_minute=250, rate_limit_per_hour=5000, validate=False, state_file=None, seed=0,
                 port=0, host="127.0.0.1", keys_rate_limit_per_minute=None, droplet_limit=100000,
                 spec_path=None):
        self.token = token
        self.host, self.port = host, port
        self.seed = seed
        self.state_file = state_file
        self.action_delay, self.droplet_limit = action_delay, droplet_limit  # what reset() restores
        self.backend = make_backend(machine_backend)
        self.state = State(self.backend, action_delay=action_delay, seed=seed, droplet_limit=droplet_limit)
        if state_file and os.path.exists(state_file):
            with open(state_file, encoding="utf-8") as handle:
                self.state.load_json(json.load(handle))
        self.faults = FaultInjector(seed=seed)
        self.rate_limit_per_minute, self.rate_limit_per_hour = rate_limit_per_minute, rate_limit_per_hour
        self.keys_rate_limit_per_minute = keys_rate_limit_per_minute
        self.validator = None
        if validate:
            from .validation import TrafficValidator  # pylint: disable=import-outside-toplevel
            self.validator = TrafficValidator(spec_path)
        self.request_log = []
        self.violations = []
        self.allowed_deviations = []
        self._server = None
        self._thread = None
        self._ticker = None
        self._ticking = threading.Event()
        self._start_lock = threading.Lock()
        self._request_ids = random.Random(seed)
        self._reset_counters()

    # ------------------------------------------------------------------ public API
    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def url(self):
        return f"{self.base_url}/v2/"

    def start(self):
        with self._start_lock:
            if self._server is None:
                self._server = _Server((self.host, self.port), _Handler)
                self._server.emulator = self
                self.port = self._server.server_address[1]
                self.state.api_base = self.base_url
                self._thread = threading.Thread(target=self._server.serve_forever, name="do-emulator", daemon=True)
                self._thread.start()
                self._ticking.clear()
                self._ticker = threading.Thread(target=self._tick_forever, name="do-emulator-actions", daemon=True)
                self._ticker.start()
        return self

    def stop(self):
        with self._start_lock:
            if self._server is not None:
                self._ticking.set()
                self._ticker.join()
                self._server.shutdown()
                self._server.server_close()
                self._server = None
        self.state.wait_idle(timeout=60)
        self._save()
        self.state.close()
        self.backend.close()

    def reset(self):
        """Empty state, log, violations, faults and rate-limit counters (the machines too)."""
        with self.state.lock:
            for droplet_id in list(self.state.droplets):
                self.state.delete_droplet(droplet_id)
            self.state.reset()
            self.state.action_delay = self.action_delay
            self.state.droplet_limit = self.droplet_limit
            self.request_log.clear()
            self.violations.clear()
            self.allowed_deviations.clear()
            self.faults.clear()
            self._request_ids = random.Random(self.seed)
            self._reset_counters()
            self._save()

    def response_violations(self):
        return [v for v in self.violations if v["kind"] == "response"]

    def request_violations(self):
        return [v for v in self.violations if v["kind"] == "request"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ internals
    def _tick_forever(self):
        """Finish due actions even when nobody asks, as the real API does (tests read emu.state)."""
        while not self._ticking.wait(0.02):
            with self.state.lock:
                self.state.tick()
                if self.state_file and self.state.dirty:
                    self.save_quietly()

    def save_quietly(self):
        """Write the state file if the account changed; a failure is recorded as an 'emulator' violation."""
        try:
            self._save()
        except OSError as error:
            self.violations.append({"kind": "emulator", "method": "-", "path": "-", "status": 0,
                                    "message": f"state file: {error}"})

    def _reset_counters(self):
        self.rate_limiter = RateLimiter(self.rate_limit_per_minute, self.rate_limit_per_hour)
        self.keys_limiter = EndpointLimiter(self.keys_rate_limit_per_minute) if self.keys_rate_limit_per_minute else None

    def _save(self):
        if self.state_file and self.state.dirty:
            self.state.save(self.state_file)

    def next_request_id(self):
        """The next ``x-request-id`` (a UUID drawn from the seed, so runs repeat)."""
        return str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))
