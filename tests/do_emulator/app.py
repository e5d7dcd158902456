# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server: authentication, rate limits, faults, validation and logging around the routes.

``Emulator`` is the public entry point (see ``__init__``). It serves on a stdlib
``ThreadingHTTPServer`` in a background thread; requests run one at a time under the state lock,
which is plenty for tests and keeps the model free of races.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import struct
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import responses
from .faults import FaultInjector
from .machines import make_backend
from .models import ApiError, State
from .validation import sample as _sample

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
# What DO answers for the statuses the fault injector produces (faults.KINDS).
FAULT_MESSAGES = {"429": "API rate limit exceeded.", "500": "Unexpected server-side error",
                  "503": "Service is temporarily unavailable."}


class RateLimiter:
    """DO's two limits per token: a sliding minute and a sliding hour, counted on accepted requests."""

    def __init__(self, per_minute, per_hour, clock=time.time):
        self.per_minute, self.per_hour, self.clock = per_minute, per_hour, clock
        self.reset()

    def reset(self):
        self.minute = {}
        self.hour = {}

    def check(self, token):
        """Count one request; return (allowed, headers, retry_after or None)."""
        now = self.clock()
        minute = self.minute.setdefault(token, deque())
        hour = self.hour.setdefault(token, deque())
        while minute and minute[0] <= now - 60:
            minute.popleft()
        while hour and hour[0] <= now - 3600:
            hour.popleft()
        retry_after = None
        if self.per_minute and len(minute) >= self.per_minute:
            retry_after = max(1, math.ceil(minute[0] + 60 - now))
        elif self.per_hour and len(hour) >= self.per_hour:
            retry_after = max(1, math.ceil(hour[0] + 3600 - now))
        allowed = retry_after is None
        if allowed:
            minute.append(now)
            hour.append(now)
        return allowed, self._headers(hour, now), retry_after

    def peek(self, token):
        """The ``ratelimit-*`` headers for ``token`` without counting a request (401s and injected faults)."""
        now = self.clock()
        return self._headers([t for t in self.hour.get(token, ()) if t > now - 3600], now)

    def _headers(self, hour, now):
        """DO sends these on every answer: the hourly limit, what is left of it, when the oldest request expires."""
        reset = int(hour[0] + 3600) if hour else int(now + 3600)
        return {"ratelimit-limit": str(self.per_hour), "ratelimit-remaining": str(max(0, self.per_hour - len(hour))),
                "ratelimit-reset": str(reset)}


class EndpointLimiter:
    """A sliding-window limit for one endpoint (DO limits GET /v2/account/keys to 10 per 60 s)."""

    def __init__(self, limit, window=60.0, clock=time.time):
        self.limit, self.window, self.clock = limit, window, clock
        self.hits = deque()

    def check(self):
        now = self.clock()
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            return max(1, math.ceil(self.hits[0] + self.window - now))
        self.hits.append(now)
        return None


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
        self.server.emulator.handle(self)

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
                    self._save_quietly()

    def _save_quietly(self):
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

    def _request_id(self):
        return str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))

    def handle(self, handler):  # pylint: disable=too-many-locals
        """Serve one request on ``handler`` (a BaseHTTPRequestHandler).

        Every answer (injected faults, 401, 429 and routing errors included) carries the ``ratelimit-*``
        headers and goes through ``_answer``, which checks it against the spec when validating."""
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path
        query = parse_qsl(split.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        entry = {"method": method, "path": path, "query": dict(query), "status": None}
        with self.state.lock:
            self.request_log.append(entry)
            request_id = self._request_id()
            fault = self.faults.decide()
        if fault == "reset":
            entry["status"] = "reset"
            _reset_connection(handler)
            return
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
        auth = handler.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        answer = _Answer(handler, entry, method, path, query, raw, request_id)
        if fault in FAULT_MESSAGES:
            # Injected faults bypass auth and limits: they count nothing and report the quota as it is.
            if fault == "429":
                answer.headers["retry-after"] = str(self.faults.retry_after)
            with self.state.lock:
                answer.headers.update(self.rate_limiter.peek(token))
                answer.error(ApiError(int(fault), FAULT_MESSAGES[fault]))
                answer.freeze(self.validator is not None)
            self._answer(answer)
            return
        if token != self.token:
            with self.state.lock:
                answer.headers.update(self.rate_limiter.peek(token))
                answer.error(ApiError(401, "Unable to authenticate you."))
                answer.freeze(self.validator is not None)
            self._answer(answer)
            return
        with self.state.lock:
            allowed, limit_headers, retry_after = self.rate_limiter.check(token)
            answer.headers.update(limit_headers)
            if not allowed:
                answer.headers["retry-after"] = str(retry_after)
                answer.error(ApiError(429, "API rate limit exceeded."))
            else:
                self._serve_route(answer)
                if method in MUTATING or self.state.dirty:
                    self._save_quietly()
            answer.freeze(self.validator is not None)
        self._answer(answer)

    def _serve_route(self, answer):
        """Route an authenticated request within the limits and set its answer (called with the state lock)."""
        method, path = answer.method, answer.path
        try:
            if not answer.body_is_json:
                raise ApiError(400, "The request body is not valid JSON.")
            handler_func, params, template = responses.route(method, path)
            if self.keys_limiter is not None and method == "GET" and template == "/v2/account/keys":
                wait = self.keys_limiter.check()
                if wait is not None:
                    answer.headers["retry-after"] = str(wait)
                    raise ApiError(429, "API rate limit exceeded.")
            self.state.tick()
            call = responses.Call(self.state, method, path, answer.query, answer.body_in, params, self.base_url)
            answer.status, answer.body = handler_func(call)
        except ApiError as error:
            answer.error(error)
        except Exception as error:  # pylint: disable=broad-except  # an emulator bug must still answer
            answer.error(ApiError(500, f"emulator error: {error!r}"))
            self.violations.append({"kind": "emulator", "method": method, "path": path, "status": 500,
                                    "message": repr(error)})

    def _answer(self, answer):
        """Check ``answer`` against the spec (when validating) and send it."""
        if self.validator is not None:
            self._validate(answer)
        self._send(answer.handler, answer.entry, answer.status, answer.headers, answer.payload)

    def _validate(self, answer):
        """Check the request where the emulator routes it, and every response, errors included."""
        req_headers = dict(answer.handler.headers.items())
        method, path, query, status = answer.method, answer.path, answer.query, answer.status
        if responses.template_for(method, path) is not None:
            message, allowed = self.validator.check_request(method, path, query, req_headers, answer.body_in)
            if allowed:
                self.allowed_deviations.append({"method": method, "path": path, "reason": allowed})
            if message:
                self.violations.append({"kind": "request", "method": method, "path": path, "status": status,
                                        "message": message})
        message = self.validator.check_response(method, path, query, req_headers, answer.body_in, status,
                                                answer.headers, answer.checked)
        if message:
            self.violations.append({"kind": "response", "method": method, "path": path, "status": status,
                                    "message": message})

    @staticmethod
    def _send(handler, entry, status, headers, body):
        """Answer ``body``: a JSON-able value, None for no body, or already encoded bytes."""
        entry["status"] = status
        payload = body if isinstance(body, bytes) else _encode(body)
        try:
            handler.send_response(status)
            for name, value in headers.items():
                if not payload and name == "content-type":
                    continue
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if payload and handler.command != "HEAD":
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


class _Answer:
    """One request and the answer being built for it: status, headers and body."""

    def __init__(self, handler, entry, method, path, query, raw, request_id):  # pylint: disable=too-many-arguments
        self.handler, self.entry = handler, entry
        self.method, self.path, self.query, self.raw = method, path, query, raw
        self.request_id = request_id
        self.body_in, self.body_is_json = None, True
        if raw.strip():
            try:
                self.body_in = json.loads(raw)
            except ValueError:
                self.body_is_json = False
        self.headers = {"content-type": "application/json; charset=utf-8", "x-request-id": request_id}
        self.status, self.body = 200, None
        self.payload = self.checked = None

    def error(self, error):
        """Answer ``error`` (an ``ApiError``) with DO's error body."""
        self.status = error.status
        self.body = {"id": error.error_id, "message": error.message, "request_id": self.request_id}

    def freeze(self, keep_checked):
        """Serialise the body now (the model keeps changing once the state lock is released), and keep the
        part the validator checks (long lists sampled)."""
        self.payload = _encode(self.body)
        self.checked = json.loads(_encode(_sample(self.body))) if keep_checked and self.body is not None else None


def _encode(body):
    return b"" if body is None else json.dumps(body, separators=(",", ":")).encode()


def _reset_connection(handler):
    """Drop the connection with a TCP RST, as a load balancer in trouble does."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass
