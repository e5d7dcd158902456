# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small S3 client on the standard library (AWS Signature Version 4, path-style URLs), for ptd-backup's off-site
copies on DigitalOcean Spaces, AWS S3, MinIO or moto: put, get, delete and list.

Retries follow the collection's one policy for remote APIs, the one plugins/module_utils/do_api.py applies to the
DigitalOcean API (keep the two alike): up to MAX_ATTEMPTS attempts within MAX_RETRY_TIME seconds, on HTTP 429 (after
its Retry-After or RateLimit-Reset when given), 500, 502, 503 and 504 and on a lost connection, waiting
uniform(ceiling/2, ceiling) with ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**retry). Every call here may be repeated
(a PUT of the same object, GET, DELETE, a listing), so all are retried; an upload starts its file again.
"""

import datetime
import hashlib
import hmac
import os
import random
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

from ptd_files import CHUNK, BackupError, sha256_of

# The same numbers as do_api.py's DOClient defaults and RETRY_STATUSES.
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
MAX_ATTEMPTS = 8
MAX_RETRY_TIME = 120.0
BACKOFF_BASE = 0.2
BACKOFF_CAP = 8.0


def backoff(retry):
    """Seconds to wait before retry number `retry` (0 for the first)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** retry))
    return random.uniform(ceiling / 2.0, ceiling)  # nosec - jitter, not security


def rate_limit_delay(headers):
    """The wait a 429 asks for (Retry-After seconds, or until RateLimit-Reset, at most 60 s), or None."""
    for name, to_delay in (("retry-after", float), ("ratelimit-reset", lambda v: min(float(v) - time.time(), 60.0))):
        value = headers.get(name) if headers is not None else None
        if value is not None:
            try:
                return max(0.0, to_delay(value))
            except ValueError:
                pass
    return None


class S3Client:
    """The calls ptd-backup needs: put, get, delete, list. Path-style URLs
    (https://region.digitaloceanspaces.com/bucket/key)."""

    def __init__(self, endpoint, bucket, region, access_key, secret_key, timeout=300):
        if not endpoint or not bucket:
            raise BackupError("off-site store not configured: set [s3] endpoint and bucket")
        if not access_key or not secret_key:
            raise BackupError("S3 credentials missing: set [s3] access_key/secret_key in the configuration file "
                              "(mode 0600) or PTD_BACKUP_S3_ACCESS_KEY/PTD_BACKUP_S3_SECRET_KEY in the environment")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BackupError("S3 endpoint %r is not an http(s) URL" % endpoint)
        self.scheme, self.host = parsed.scheme, parsed.netloc
        self.bucket, self.region = bucket, region or "us-east-1"
        self.access_key, self.secret_key = access_key, secret_key
        self.timeout = timeout
        self.sleep = time.sleep

    def _signing_key(self, day):
        key = ("AWS4" + self.secret_key).encode("utf-8")
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        return key

    def sign(self, method, key="", query=None, payload_sha256=None, length=None, headers=None, now=None):
        """URL and headers (with the SigV4 Authorization) for one request."""
        payload_sha256 = payload_sha256 or hashlib.sha256(b"").hexdigest()
        path = "/" + urllib.parse.quote(self.bucket, safe="") + ("/" + urllib.parse.quote(key, safe="/~") if key else "")
        query = sorted((query or {}).items())
        canonical_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="~"), urllib.parse.quote(str(v), safe="~")) for k, v in query)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        all_headers = {"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256}
        if length is not None:
            all_headers["content-length"] = str(length)
        for name, value in (headers or {}).items():
            all_headers[name.lower()] = value
        signed = sorted(all_headers)
        canonical = "\n".join([method, path, canonical_query, "".join("%s:%s\n" % (h, str(all_headers[h]).strip()) for h in signed),
                               ";".join(signed), payload_sha256])
        scope = "%s/%s/s3/aws4_request" % (now.strftime("%Y%m%d"), self.region)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
        signature = hmac.new(self._signing_key(now.strftime("%Y%m%d")), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        all_headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.access_key, scope, ";".join(signed), signature)
        url = "%s://%s%s%s" % (self.scheme, self.host, path, "?" + canonical_query if canonical_query else "")
        return url, all_headers

    def request(self, method, key="", query=None, body=None, payload_sha256=None, length=None, headers=None):
        """Send one signed request, retried as the module docstring says. `body` is bytes or a file object (then pass
        its sha256 and length)."""
        if isinstance(body, bytes):
            payload_sha256 = hashlib.sha256(body).hexdigest()
            length = len(body)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            if hasattr(body, "seek"):
                body.seek(0)
            url, all_headers = self.sign(method, key, query, payload_sha256, length, headers)
            req = urllib.request.Request(url, data=body, method=method, headers={k: v for k, v in all_headers.items() if k != "host"})
            try:
                return urllib.request.urlopen(req, timeout=self.timeout)  # pylint: disable=consider-using-with
            except urllib.error.HTTPError as exc:
                failure, delay = self._http_failure(method, key, exc), None
                if exc.code not in RETRY_STATUSES:
                    raise failure from exc
                if exc.code == 429:
                    delay = rate_limit_delay(exc.headers)
            except (urllib.error.URLError, OSError) as exc:
                failure, delay = BackupError("S3 endpoint %s://%s unreachable: %s"
                                             % (self.scheme, self.host, getattr(exc, "reason", exc))), None
            delay = backoff(attempt - 1) if delay is None else delay
            elapsed = time.monotonic() - started
            if attempt >= MAX_ATTEMPTS or elapsed + delay > MAX_RETRY_TIME:
                raise BackupError("%s (gave up after %d attempts in %.1fs)" % (failure, attempt, elapsed))
            self.sleep(delay)

    def _http_failure(self, method, key, exc):
        detail = exc.read()[:500].decode("utf-8", "replace")
        code = re.search(r"<Code>([^<]+)</Code>", detail)
        return BackupError("S3 %s %s/%s failed: HTTP %d %s" % (method, self.bucket, key, exc.code, code.group(1) if code else exc.reason))

    def put_file(self, key, path):
        digest = sha256_of(path)
        with open(path, "rb") as handle:
            self.request("PUT", key, body=handle, payload_sha256=digest, length=os.path.getsize(path),
                         headers={"content-type": "application/octet-stream"}).close()

    def get_file(self, key, path):
        tmp = path + ".part"
        response = self.request("GET", key)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(response, handle, CHUNK)
        finally:
            response.close()
        os.replace(tmp, path)

    def delete(self, key):
        self.request("DELETE", key).close()

    def list(self, prefix):
        keys, token = [], None
        for _page in range(10000):
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            with self.request("GET", query=query) as response:
                root = ElementTree.fromstring(response.read())
            namespace = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys.extend(el.findtext(namespace + "Key") for el in root.iter(namespace + "Contents"))
            token = root.findtext(namespace + "NextContinuationToken")
            if root.findtext(namespace + "IsTruncated") != "true" or not token:
                return keys
        raise BackupError("S3 listing of %s did not end after 10000 pages" % prefix)
