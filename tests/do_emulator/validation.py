# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Traffic checked against DigitalOcean's published OpenAPI spec (openapi-core 0.23).

Responses must follow the spec: a response that breaks it is an emulator bug, and the pytest
fixture fails the test. Requests that break it are reported, except the deviations the real API
accepts from python-digitalocean 1.17.0 and community.digitalocean (``_allowed_request_deviation`` below,
and the README's contract), which are counted as ``allowed`` instead.

The spec is vendored in ``openapi/`` (gzip-compressed, with its SOURCE.txt, LICENSE and NOTICE), so
every clone validates; env ``PTD_DO_OPENAPI_SPEC`` points elsewhere (a ``.yaml`` or a ``.yaml.gz``). A
missing spec is an error: the pytest plugin stops the run rather than test without validation.

Parsing the 3 MB YAML takes seconds, so the parsed dict is pickled to ``.cache/`` (keyed by the
file's size and mtime) and the built ``OpenAPI`` object is kept once per process.
"""

from __future__ import annotations

import copy
import gc
import gzip
import hashlib
import json
import os
import pickle
import threading
from pathlib import Path
from urllib.parse import unquote

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = Path(__file__).resolve().parent / "openapi" / "DigitalOcean-public.v2.bundled.yaml.gz"
SPEC_HOST = "https://api.digitalocean.com"

_lock = threading.Lock()
_openapi = {}

# Lists longer than this are validated on a sample (first, middle, last item): every item has the
# same schema, and validating 200 droplets per page would dominate a 10,000-droplet listing.
SAMPLE_ABOVE = 5


def spec_path():
    """Where the spec is: env PTD_DO_OPENAPI_SPEC, else the copy vendored in tests/do_emulator/openapi/."""
    return Path(os.environ.get("PTD_DO_OPENAPI_SPEC") or DEFAULT_SPEC)


def spec_missing_reason():
    """None when the spec can be used, else a sentence saying why not (the pytest plugin makes it an error)."""
    path = spec_path()
    if not path.is_file():
        where = "PTD_DO_OPENAPI_SPEC points" if os.environ.get("PTD_DO_OPENAPI_SPEC") else (
            "it is vendored in tests/do_emulator/openapi/ (see SOURCE.txt there); PTD_DO_OPENAPI_SPEC can point")
        return (f"DigitalOcean's OpenAPI spec is not at {path}: {where} to a DigitalOcean-public.v2.bundled.yaml "
                "(or .yaml.gz); spec validation needs it")
    try:
        import openapi_core  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return "openapi-core is not installed (make venv installs it from requirements-dev.txt)"
    return None


class SpecMissing(RuntimeError):
    """DigitalOcean's OpenAPI spec (or openapi-core) is not there: validation cannot run."""


def require_spec():
    """Raise ``SpecMissing`` unless the spec and openapi-core are there."""
    reason = spec_missing_reason()
    if reason:
        raise SpecMissing(reason)


def load_spec_dict(path=None):
    """The spec as a dict, with the one schema that breaks spec validation fixed."""
    import yaml  # pylint: disable=import-outside-toplevel
    path = Path(path or spec_path())
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = REPO_ROOT / ".cache" / f"do-openapi-{key}.pickle"
    if cache.is_file():
        try:
            with cache.open("rb") as handle:
                return pickle.load(handle)  # nosec - our own cache file
        except (OSError, pickle.UnpicklingError, EOFError):
            pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)  # nosec - safe loader
    # `default: null` without `nullable: true`: the only schema in the vendored spec that fails
    # openapi-spec-validator.
    stop = data.get("components", {}).get("schemas", {}).get("chat_completion_request", {}).get("properties", {}).get("stop")
    if isinstance(stop, dict) and stop.get("default", "x") is None:
        stop["nullable"] = True
    try:
        cache.parent.mkdir(exist_ok=True)
        tmp = cache.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass
    return data


def get_openapi(path=None):
    """The process-wide ``openapi_core.OpenAPI`` for the spec (built once)."""
    from openapi_core import Config, OpenAPI  # pylint: disable=import-outside-toplevel
    path = str(path or spec_path())
    with _lock:
        if path not in _openapi:
            # The spec itself is checked once by a test (test_spec_is_valid...), not on every start.
            _openapi[path] = OpenAPI.from_dict(load_spec_dict(path), config=Config(spec_validator_cls=None))
            # The parsed spec is millions of long-lived objects; without this every full garbage
            # collection walks them all and listing 10,000 droplets gets three times slower.
            gc.collect()
            gc.freeze()
        return _openapi[path]


def sample(payload):
    """A copy of a list response keeping first, middle and last items of long top-level arrays."""
    if not isinstance(payload, dict):
        return payload
    trimmed = None
    for key, value in payload.items():
        if isinstance(value, list) and len(value) > SAMPLE_ABOVE:
            if trimmed is None:
                trimmed = dict(payload)
            trimmed[key] = [value[0], value[len(value) // 2], value[-1]]
    return payload if trimmed is None else trimmed


def contract_problem(status, headers, body):
    """What the spec cannot say but the API does: empty 204s, error bodies, rate-limit headers."""
    if status == 204 and body is not None:
        return "a 204 response must have an empty body"
    if status >= 400 and not (isinstance(body, dict) and isinstance(body.get("id"), str)
                              and isinstance(body.get("message"), str)):
        return "an error response must be JSON with string id and message"
    missing = [h for h in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset") if h not in headers]
    if missing:
        return f"missing rate-limit headers {missing}"
    return None


def _error_text(error):
    parts = [str(error)]
    seen = set()
    cause = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        for sub in getattr(cause, "schema_errors", None) or []:
            location = "/".join(str(p) for p in getattr(sub, "absolute_path", []) or [])
            parts.append(f"{location}: {getattr(sub, 'message', sub)}")
        cause = cause.__cause__ or cause.__context__
        if cause is not None:
            parts.append(str(cause))
    unique = list(dict.fromkeys(p for p in parts if p))
    return " | ".join(unique)[:2000]


def _allowed_request_deviation(method, path, body):
    """Return (body to validate, reason) for the deviations the real API accepts, else (body, None)."""
    if not isinstance(body, dict):
        return body, None
    reasons = []
    body = copy.deepcopy(body)
    segments = path.strip("/").split("/")
    if method == "POST" and segments == ["v2", "droplets"]:
        nulls = sorted(k for k, v in body.items() if v is None)
        if nulls:
            # python-digitalocean sends vpc_uuid: null; community.digitalocean sends every unset option
            # (ssh_keys, tags, user_data, ...) as null. The API treats null as absent.
            for key in nulls:
                del body[key]
            reasons.append(f"droplet create with null fields {nulls} (python-digitalocean, community.digitalocean)")
    if method == "POST" and segments[:2] == ["v2", "droplets"] and segments[-1] == "actions":
        if body.get("type") == "resize" and isinstance(body.get("disk"), str):
            body["disk"] = body["disk"].lower() == "true"
            reasons.append('python-digitalocean sends "disk" as a string on resize')
        if body.get("type") == "enable_private_networking":
            body["type"] = "enable_ipv6"
            reasons.append("python-digitalocean sends the enable_private_networking action, absent from the spec")
    if segments[:2] == ["v2", "domains"] and len(segments) >= 4 and segments[3] == "records":
        if method == "POST" and "ttl" in body and body["ttl"] is None:
            del body["ttl"]
            reasons.append("python-digitalocean sends ttl: null on record create")
        if method in ("POST", "PUT") and body.get("type") in ("TXT", "NS", "SRV", "A", "AAAA", "CNAME", "MX", "CAA"):
            # The spec's per-type schemas wrongly require flags/tag for TXT/NS/SRV.
            if body.get("type") in ("TXT", "NS", "SRV"):
                body.setdefault("flags", 0)
                body.setdefault("tag", "issue")
                reasons.append(f"the spec wrongly requires flags/tag on {body['type']} records")
        if method == "PUT" and "type" not in body:
            reasons.append("python-digitalocean updates domain records without type")
            return body, "; ".join(reasons) + " (not validated)"
    if method == "POST" and segments == ["v2", "domains"] and "ip_address" in body and body["ip_address"] is None:
        del body["ip_address"]
        reasons.append("python-digitalocean sends ip_address: null on domain create")
    return body, "; ".join(reasons) or None


class TrafficValidator:
    """Validates request/response pairs and records what breaks the spec."""

    def __init__(self, path=None):
        if path is None:
            require_spec()
        self.openapi = get_openapi(path)
        from openapi_core.testing import MockRequest, MockResponse  # pylint: disable=import-outside-toplevel
        self._request_cls, self._response_cls = MockRequest, MockResponse

    def _request(self, method, path, query, headers, body):
        data = json.dumps(body).encode() if body is not None else b""
        # The spec has no trailing slashes (DO accepts them); openapi-core does not percent-decode.
        spec_path = "/" + unquote(path).strip("/")
        return self._request_cls(SPEC_HOST, method, spec_path, args=list(query), headers=headers, data=data,
                                 content_type="application/json" if body is not None else None)

    def check_request(self, method, path, query, headers, body):
        """Return (violation message or None, allowed-deviation reason or None)."""
        to_check, reason = _allowed_request_deviation(method, path, body)
        if reason and reason.endswith("(not validated)"):
            return None, reason
        if _is_ssh_key_identifier_get(method, path):
            # The spec marks the ssh_key_identifier path parameter readOnly, which openapi-core
            # rejects in a request: a spec bug, every client hits it.
            return None, "spec marks ssh_key_identifier readOnly"
        if method in ("DELETE", "GET") and to_check in ({}, None):
            to_check = None  # python-digitalocean sends {} with DELETE; the spec has no body there
        try:
            self.openapi.validate_request(self._request(method, path, query, headers, to_check))
        except Exception as error:  # pylint: disable=broad-except  # every validation failure is a finding
            return _error_text(error), reason
        return None, reason

    def check_response(self, method, path, query, headers, body, status, response_headers, response_body):
        """Return a violation message or None. Every answer is checked, errors included; on a path or method
        the spec does not have (the emulator's 404 and 405) only ``contract_problem`` applies."""
        from openapi_core.templating.paths.exceptions import PathError  # pylint: disable=import-outside-toplevel
        request = self._request(method, path, query, headers, None if method in ("GET", "DELETE") else body)
        payload = b"" if response_body is None else json.dumps(response_body).encode()
        response = self._response_cls(payload, status_code=status, headers=response_headers,
                                      content_type="application/json" if payload else None)
        try:
            self.openapi.validate_response(request, response)
        except PathError:
            pass
        except Exception as error:  # pylint: disable=broad-except
            return _error_text(error)
        return contract_problem(status, response_headers, response_body)


def _is_ssh_key_identifier_get(method, path):
    segments = path.strip("/").split("/")
    return segments[:3] == ["v2", "account", "keys"] and len(segments) == 4 and method in ("GET", "PUT", "DELETE")
