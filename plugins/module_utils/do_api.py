# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to the DigitalOcean API for every module and the inventory plugin.

It is built on python-digitalocean: ``DOManager`` is a ``digitalocean.Manager`` (a ``BaseAPI``) that overrides
the library's public, documented hooks only - ``get_data(url, type, params)``, through which every library
object talks to the API (``Manager.get_all_droplets``, ``Domain.create`` ...), and ``get_timeout()``. A request
is sent with the library's public state (``token``, which rotates over ``tokens``, ``end_point``,
``get_timeout()``) and a User-Agent naming the library. On top of that, ``DOClient`` retries transient failures
(429 honouring Retry-After, 5xx, connection errors) with bounded exponential backoff and jitter, follows
pagination and turns API errors into messages that say what to fix. Its errors are the library's own
exception types (``DataReadError``, ``NotFoundError`` for 404, ``TokenError`` for 401) carrying ``status``,
``headers`` and ``error_id``, so library calls made through ``DOClient.manager`` get the same retries and the
exceptions library users expect. No name-mangled ``BaseAPI.__perform_request`` or other private name is used:
the stock ``get_data`` drops the status code and the headers that retries need, so the override sends the
request itself (its own ``requests.Session``: the library's ``_session`` is private and exists only from 1.15).
"""

import json
import random
import re
import time
from urllib.parse import parse_qsl, urljoin, urlparse

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without the library
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    import digitalocean
    from digitalocean.baseapi import DataReadError, NotFoundError, TokenError
    HAS_DIGITALOCEAN = True
    DIGITALOCEAN_IMPORT_ERROR = None
    _ManagerBase = digitalocean.Manager
except ImportError as exc:  # pragma: no cover - exercised only without the library
    HAS_DIGITALOCEAN = False
    DIGITALOCEAN_IMPORT_ERROR = exc
    DataReadError = NotFoundError = TokenError = Exception
    _ManagerBase = object

USER_AGENT = "pytrackdat.deploy"

DEFAULT_API_URL = "https://api.digitalocean.com/v2/"
TOKEN_ENV_VARS = ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN")
URL_ENV_VARS = ("DIGITALOCEAN_END_POINT", "DIGITALOCEAN_API_URL")
TIMEOUT_ENV_VAR = "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC"
DEFAULT_TIMEOUT = 30.0
PER_PAGE = 200

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
# Statuses after which a POST may or may not have been applied by the server.
AMBIGUOUS_STATUSES = frozenset((500, 502, 503, 504))


def api_argument_spec():
    """The auth/connection options every module shares (documented in doc_fragments/api.py)."""
    from ansible.module_utils.basic import env_fallback
    return dict(
        api_token=dict(type="str", no_log=True, aliases=["oauth_token"],
                       fallback=(env_fallback, list(TOKEN_ENV_VARS))),
        api_url=dict(type="str", aliases=["baseurl"], fallback=(env_fallback, list(URL_ENV_VARS))),
        api_timeout=dict(type="float", fallback=(env_fallback, [TIMEOUT_ENV_VAR]), default=DEFAULT_TIMEOUT),
    )


def normalize_api_url(url):
    """Return ``url`` ending in ``/v2/``, so relative paths join below it (``/v2`` alone would be replaced)."""
    url = (url or DEFAULT_API_URL).strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("api_url %r is not an http(s) URL, expected e.g. %s" % (url, DEFAULT_API_URL))
    base = url.split("?", 1)[0].rstrip("/")
    if not base.endswith("/v2"):
        base += "/v2"
    return base + "/"


class DOAPIError(DataReadError):
    """An API call that failed for good; ``str()`` says what happened and what to do.

    A python-digitalocean ``DataReadError`` that also carries the HTTP ``status``, the response ``headers``
    and the API's ``error_id``/``request_id``.
    """

    def __init__(self, message, status=None, error_id=None, request_id=None, method=None, path=None, headers=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_id = error_id
        self.request_id = request_id
        self.method = method
        self.path = path
        self.headers = headers if headers is not None else {}  # the response's, case-insensitive

    def fail_kwargs(self):
        """Keyword arguments for ``module.fail_json``."""
        result = dict(msg=self.message)
        if self.status is not None:
            result["status_code"] = self.status
        if self.request_id:
            result["request_id"] = self.request_id
        return result


class AmbiguousWriteError(DOAPIError):
    """A POST whose outcome is unknown (5xx or lost connection): look the resource up before retrying."""


class DONotFoundError(DOAPIError, NotFoundError):
    """404: also python-digitalocean's ``NotFoundError``, as its stock ``get_data`` raises."""


class DOTokenError(DOAPIError, TokenError):
    """401 (token rejected): also python-digitalocean's ``TokenError``."""


def _error_class(status):
    return {404: DONotFoundError, 401: DOTokenError}.get(status, DOAPIError)


def _hint_for(status, error_id, api_message, method, path):
    where = "%s %s" % (method, path)
    if status == 401:
        return ("DigitalOcean rejected the API token (401 %s). Check api_token or the DIGITALOCEAN_ACCESS_TOKEN "
                "environment variable: the token may be mistyped, revoked or expired." % api_message)
    if status == 403:
        return ("DigitalOcean refused %s (403 %s). The token probably lacks the write scope or access to this "
                "resource; create a token with read and write scope." % (where, api_message))
    if status == 404:
        return "DigitalOcean found nothing at %s (404 %s)." % (where, api_message or "not found")
    if status == 422:
        return ("DigitalOcean rejected the request %s (422 %s). Fix the value it names, e.g. an unknown region, size "
                "or image slug (see 'doctl compute region list', 'doctl compute size list')." % (where, api_message))
    if status == 429:
        return ("DigitalOcean rate limit exceeded on %s (429 %s) and retries ran out. Wait a minute or lower the number "
                "of parallel tasks (forks) that use the same token." % (where, api_message))
    if status is not None and status >= 500:
        return ("DigitalOcean answered %s with %s %s %s; retries ran out. The API may be degraded: try again later."
                % (where, status, error_id or "", api_message))
    return "DigitalOcean answered %s with %s %s %s." % (where, status, error_id or "", api_message)


class DOManager(_ManagerBase):
    """python-digitalocean's ``Manager`` whose public request hook, ``get_data``, goes through ``DOClient``.

    ``send`` makes one HTTP request from the library's public state and returns the ``requests`` response
    (status and headers) to the client's retry loop. ``get_data`` keeps the library's contract - decoded body,
    ``True`` for a write answered without a body, a GET's pages merged unless ``params`` names a ``page``,
    ``NotFoundError`` for 404 - with retries, so every ``Manager`` method uses them.
    """

    def __init__(self, client, token, api_url, timeout):
        super().__init__(token=token, end_point=api_url)
        self.client = client
        self.request_timeout = timeout
        self.session = requests.Session()
        self.user_agent = "%s python-digitalocean/%s requests/%s" % (
            USER_AGENT, digitalocean.__version__, requests.__version__)

    def get_timeout(self):
        """The library's timeout hook: the client's ``api_timeout`` rather than only the environment variable."""
        return self.request_timeout

    def send(self, path, method, params):
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json",
                   "User-Agent": self.user_agent}
        kwargs = dict(headers=headers, timeout=self.get_timeout())
        if method == "GET":
            kwargs["params"] = params
        elif params or method != "DELETE":
            kwargs["data"] = json.dumps(params)
        response = self.session.request(method, urljoin(self.end_point, path), **kwargs)
        if response.status_code < 400:  # the library's public rate-limit attributes, as its get_data sets them
            self.ratelimit_limit = response.headers.get("ratelimit-limit")
            self.ratelimit_remaining = response.headers.get("ratelimit-remaining")
            self.ratelimit_reset = response.headers.get("ratelimit-reset")
        return response

    def get_data(self, url, type="GET", params=None):  # pylint: disable=redefined-builtin
        params = dict(params or {})
        if type != "GET":
            return self.client.request(type, url, params) or True
        params.setdefault("per_page", PER_PAGE)
        if "page" in params:
            return self.client.get(url, params)
        merged = {}
        for body in self.client.pages(url, params):
            for key, value in body.items():
                if isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key] = merged[key] + value
                else:
                    merged[key] = value
        return merged


class DOClient:
    """Retrying, paginating access to the DigitalOcean API."""

    def __init__(self, token, api_url=None, timeout=DEFAULT_TIMEOUT, max_attempts=8, max_retry_time=120.0,
                 backoff_base=0.2, backoff_cap=8.0, sleep=time.sleep, logger=None):
        if not HAS_DIGITALOCEAN:
            raise DOAPIError("the Python library python-digitalocean is not installed: %s" % DIGITALOCEAN_IMPORT_ERROR)
        if not token:
            raise DOAPIError("No DigitalOcean API token: set api_token or one of the environment variables %s."
                             % ", ".join(TOKEN_ENV_VARS))
        self.api_url = normalize_api_url(api_url)
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.max_attempts = max(1, int(max_attempts))
        self.max_retry_time = float(max_retry_time)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._log = logger
        self.manager = DOManager(self, token, self.api_url, self.timeout)
        self.requests_made = 0
        self.retries = 0
        self.writes = 0     # requests other than GET that the API answered with success

    # -- transport -----------------------------------------------------------------------------

    def _backoff(self, attempt):
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** attempt))
        return random.uniform(ceiling / 2.0, ceiling)

    @staticmethod
    def _rate_limit_delay(response):
        headers = response.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                pass
        reset = headers.get("ratelimit-reset")
        if reset is not None:
            try:
                return max(0.0, min(float(reset) - time.time(), 60.0))
            except ValueError:
                pass
        return None

    @staticmethod
    def _error_body(response):
        try:
            body = response.json()
        except ValueError:
            return None, (response.text or "")[:200].strip(), None
        if isinstance(body, dict):
            return body.get("id"), body.get("message", ""), body.get("request_id")
        return None, str(body)[:200], None

    def _error(self, response, method, path, cls=None):
        error_id, api_message, request_id = self._error_body(response)
        message = _hint_for(response.status_code, error_id, api_message, method, path)
        cls = cls or _error_class(response.status_code)
        return cls(message, status=response.status_code, error_id=error_id, request_id=request_id,
                   method=method, path=path, headers=response.headers)

    def request(self, method, path, params=None, retry_ambiguous=None):
        """One API call with retries; returns the decoded JSON body (``{}`` for 204) or raises DOAPIError.

        ``retry_ambiguous`` says whether a 5xx or a lost connection may be retried blindly. It defaults to
        True for everything but POST; a POST that creates something raises AmbiguousWriteError instead,
        so the caller can look the resource up before trying again.
        """
        if retry_ambiguous is None:
            retry_ambiguous = method != "POST"
        started = time.time()
        attempt = 0
        while True:
            attempt += 1
            delay = None
            failure = None
            try:
                self.requests_made += 1
                response = self.manager.send(path, method, dict(params or {}))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if not retry_ambiguous:
                    raise AmbiguousWriteError("%s %s: connection failed (%s)" % (method, path, exc.__class__.__name__),
                                              method=method, path=path)
                failure = DOAPIError("Could not reach DigitalOcean at %s (%s %s: %s). Check api_url and the network."
                                     % (self.api_url, method, path, exc), method=method, path=path)
            else:
                status = response.status_code
                if status < 400:
                    self.writes += method != "GET"
                    if status == 204 or not response.content:
                        return {}
                    try:
                        return response.json()
                    except ValueError:
                        raise DOAPIError("DigitalOcean answered %s %s with %s and a body that is not JSON: %r"
                                         % (method, path, status, response.text[:200]), status=status,
                                         method=method, path=path)
                if status not in RETRY_STATUSES:
                    raise self._error(response, method, path)
                if status in AMBIGUOUS_STATUSES and not retry_ambiguous:
                    raise self._error(response, method, path, cls=AmbiguousWriteError)
                failure = self._error(response, method, path)
                if status == 429:
                    delay = self._rate_limit_delay(response)
            if delay is None:
                delay = self._backoff(attempt - 1)
            elapsed = time.time() - started
            if attempt >= self.max_attempts or elapsed + delay > self.max_retry_time:
                failure.message = "%s (gave up after %d attempts in %.1fs)" % (failure.message, attempt, elapsed)
                failure.args = (failure.message,)
                raise failure
            self.retries += 1
            self._sleep(delay)

    def backoff_sleep(self, attempt):
        """Sleep before retrying an ambiguous write (after the caller looked the resource up)."""
        self._sleep(self._backoff(attempt))

    def get(self, path, params=None):
        return self.request("GET", path, params)

    def delete(self, path, params=None):
        """DELETE that counts a 404 as done (a retried delete whose first response was lost)."""
        try:
            self.request("DELETE", path, params)
        except DOAPIError as exc:
            if exc.status != 404:
                raise
            return False
        return True

    def pages(self, path, params=None):
        """Each page's body of a paginated list, ``per_page=200``, following ``links.pages.next``."""
        query = dict(params or {})
        query.setdefault("per_page", PER_PAGE)
        first = path
        for dummy in range(10000):
            body = self.get(path, query)
            yield body
            next_url = ((body.get("links") or {}).get("pages") or {}).get("next")
            if not next_url:
                return
            path, query = self._relative(next_url)
        raise DOAPIError("Pagination of %s did not end after 10000 pages" % first)

    def list_all(self, path, key, params=None):
        """Every item of a paginated list, ``per_page=200``, following ``links.pages.next``."""
        items = []
        for body in self.pages(path, params):
            items.extend(body.get(key) or [])
        return items

    def _relative(self, url):
        """Turn an absolute ``next`` link into a path below our own end point (never follow it elsewhere)."""
        parsed = urlparse(url)
        base_path = urlparse(self.api_url).path
        rel = parsed.path
        if rel.startswith(base_path):
            rel = rel[len(base_path):]
        else:
            rel = rel.lstrip("/")
            if rel.startswith("v2/"):
                rel = rel[3:]
        return rel, dict(parse_qsl(parsed.query))

    def create(self, path, body, find_existing, description):
        """POST ``body`` once; after an ambiguous failure look the object up with ``find_existing()`` and only
        post again when it is not there, so a lost response cannot create a duplicate."""
        attempt = 0
        started = time.time()
        while True:
            try:
                return self.request("POST", path, body, retry_ambiguous=False), True
            except AmbiguousWriteError as exc:
                attempt += 1
                if attempt >= self.max_attempts or time.time() - started > self.max_retry_time:
                    raise DOAPIError("Could not create %s: %s (gave up after %d attempts)" % (description, exc, attempt),
                                     status=exc.status, request_id=exc.request_id)
                self.backoff_sleep(attempt - 1)
                existing = find_existing()
                if existing is not None:
                    return existing, False


def client_from_module(module):
    """Build the client from a module's api_* options, or fail_json with what to fix."""
    from ansible.module_utils.basic import missing_required_lib
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    if not HAS_DIGITALOCEAN:
        module.fail_json(msg=missing_required_lib("python-digitalocean"), exception=str(DIGITALOCEAN_IMPORT_ERROR))
    params = module.params
    try:
        client = DOClient(params.get("api_token"), params.get("api_url"), params.get("api_timeout") or DEFAULT_TIMEOUT)
    except (DOAPIError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    return client


SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")


def check_slug(value, what):
    """Return an error message when ``value`` cannot be a DigitalOcean slug, else None."""
    if value is None:
        return None
    if not SLUG_RE.match(value):
        return ("%s %r is not a valid DigitalOcean slug (lowercase letters, digits and dashes, e.g. 'nyc3')"
                % (what, value))
    return None


def droplet_ips(droplet):
    """(public IPv4, private IPv4, IPv6) of a droplet, each None when it has none yet."""
    networks = (droplet or {}).get("networks") or {}
    public4 = private4 = public6 = None
    for net in networks.get("v4") or []:
        if net.get("type") == "public" and public4 is None:
            public4 = net.get("ip_address")
        elif net.get("type") == "private" and private4 is None:
            private4 = net.get("ip_address")
    for net in networks.get("v6") or []:
        if net.get("type") == "public" and public6 is None:
            public6 = net.get("ip_address")
    return public4, private4, public6


__all__ = ["DOClient", "DOManager", "DOAPIError", "AmbiguousWriteError", "DONotFoundError", "DOTokenError", "api_argument_spec", "client_from_module",
           "normalize_api_url", "droplet_ips", "check_slug", "HAS_REQUESTS", "HAS_DIGITALOCEAN"]
