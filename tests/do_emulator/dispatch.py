# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dispatcher: one request, one step at a time.

    read -> fault -> authentication -> rate limit -> route (endpoint limit, handler) -> persistence
         -> validation -> send

``handle`` runs the steps in that order; the first of fault, authentication and rate limit that answers
ends the request early. Every answer, early or not, carries the ``ratelimit-*`` headers, is checked
against the spec when the emulator validates, and is logged in ``emulator.request_log``.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from urllib.parse import parse_qsl, urlsplit

from . import responses
from .models import ApiError
from .validation import sample

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
# What DO answers for the statuses the fault injector produces (faults.KINDS).
FAULT_MESSAGES = {"429": "API rate limit exceeded.", "500": "Unexpected server-side error",
                  "503": "Service is temporarily unavailable."}
RATE_LIMITED = "API rate limit exceeded."


def handle(emulator, handler):
    """Serve one request on ``handler`` (a BaseHTTPRequestHandler) for ``emulator``."""
    answer, fault = read(emulator, handler)
    if fault == "reset":
        answer.entry["status"] = "reset"
        reset_connection(handler)
        return
    if fault == "slow":
        time.sleep(emulator.faults.slow_seconds)
    with emulator.state.lock:
        if not (inject_fault(emulator, answer, fault) or authenticate(emulator, answer)
                or rate_limit(emulator, answer)):
            route(emulator, answer)
            persist(emulator, answer)
        # Serialised now: the model keeps changing once the lock is released.
        answer.freeze(emulator.validator is not None)
    validate(emulator, answer)
    send(answer)


def read(emulator, handler):
    """Parse the request, log it, and draw its request id and fault (the only steps that consume randomness)."""
    split = urlsplit(handler.path)
    query = parse_qsl(split.query, keep_blank_values=True)
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    auth = handler.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    entry = {"method": handler.command, "path": split.path, "query": dict(query), "status": None}
    with emulator.state.lock:
        emulator.request_log.append(entry)
        request_id = emulator.next_request_id()
        fault = emulator.faults.decide()
    return Answer(handler, entry, query, raw, token, request_id), fault


def inject_fault(emulator, answer, fault):
    """An injected 429/500/503 answers at once: it bypasses auth and limits, counts nothing, and reports the
    token's quota as it stands. True if it answered."""
    if fault not in FAULT_MESSAGES:
        return False
    if fault == "429":
        answer.headers["retry-after"] = str(emulator.faults.retry_after)
    answer.headers.update(emulator.rate_limiter.peek(answer.token))
    answer.error(ApiError(int(fault), FAULT_MESSAGES[fault]))
    return True


def authenticate(emulator, answer):
    """A missing or wrong bearer token gets a 401 that counts nothing against the limits. True if it answered."""
    if answer.token == emulator.token:
        return False
    answer.headers.update(emulator.rate_limiter.peek(answer.token))
    answer.error(ApiError(401, "Unable to authenticate you."))
    return True


def rate_limit(emulator, answer):
    """Count the request against the token's limits; over them, a 429 with ``retry-after``. True if it answered."""
    allowed, limit_headers, retry_after = emulator.rate_limiter.check(answer.token)
    answer.headers.update(limit_headers)
    if allowed:
        return False
    answer.headers["retry-after"] = str(retry_after)
    answer.error(ApiError(429, RATE_LIMITED))
    return True


def route(emulator, answer):
    """Find the route, apply its own limit, and let its handler answer; an emulator bug still answers (500)."""
    method, path = answer.method, answer.path
    try:
        if not answer.body_is_json:
            raise ApiError(400, "The request body is not valid JSON.")
        handler_func, params, template = responses.route(method, path)
        endpoint_limit(emulator, answer, template)
        emulator.state.tick()
        call = responses.Call(emulator.state, method, path, answer.query, answer.body_in, params, emulator.base_url)
        answer.status, answer.body = handler_func(call)
    except ApiError as error:
        answer.error(error)
    except Exception as error:  # pylint: disable=broad-except  # an emulator bug must still answer
        answer.error(ApiError(500, f"emulator error: {error!r}"))
        emulator.violations.append({"kind": "emulator", "method": method, "path": path, "status": 500,
                                    "message": repr(error)})


def endpoint_limit(emulator, answer, template):
    """DO's own limit on GET /v2/account/keys (when the emulator has it switched on)."""
    if emulator.keys_limiter is None or answer.method != "GET" or template != "/v2/account/keys":
        return
    wait = emulator.keys_limiter.check()
    if wait is not None:
        answer.headers["retry-after"] = str(wait)
        raise ApiError(429, RATE_LIMITED)


def persist(emulator, answer):
    """Write the state file after a request that may have changed the account."""
    if answer.method in MUTATING or emulator.state.dirty:
        emulator.save_quietly()


def validate(emulator, answer):
    """Check the request where the emulator routes it, and every response, errors included."""
    if emulator.validator is None:
        return
    req_headers = dict(answer.handler.headers.items())
    method, path, query, status = answer.method, answer.path, answer.query, answer.status
    if responses.template_for(method, path) is not None:
        message, allowed = emulator.validator.check_request(method, path, query, req_headers, answer.body_in)
        if allowed:
            emulator.allowed_deviations.append({"method": method, "path": path, "reason": allowed})
        if message:
            emulator.violations.append({"kind": "request", "method": method, "path": path, "status": status,
                                        "message": message})
    message = emulator.validator.check_response(method, path, query, req_headers, answer.body_in, status,
                                                answer.headers, answer.checked)
    if message:
        emulator.violations.append({"kind": "response", "method": method, "path": path, "status": status,
                                    "message": message})


def send(answer):
    """Send the frozen answer; a client that went away is not an error."""
    handler, payload = answer.handler, answer.payload
    answer.entry["status"] = answer.status
    try:
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            if not payload and name == "content-type":
                continue
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if payload and handler.command != "HEAD":
            handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


def reset_connection(handler):
    """Drop the connection with a TCP RST, as a load balancer in trouble does."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass


class Answer:  # pylint: disable=too-many-instance-attributes
    """One request and the answer being built for it: status, headers and body."""

    def __init__(self, handler, entry, query, raw, token, request_id):  # pylint: disable=too-many-arguments
        self.handler, self.entry = handler, entry
        self.method, self.path, self.query = entry["method"], entry["path"], query
        self.token, self.request_id = token, request_id
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
        """Serialise the body, and keep the part the validator checks (long lists sampled)."""
        self.payload = encode(self.body)
        self.checked = json.loads(encode(sample(self.body))) if keep_checked and self.body is not None else None


def encode(body):
    return b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
