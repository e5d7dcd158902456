# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client works with the oldest and the newest requests that requirements.txt allows.

do_api sends through requests' public Session API only (python-digitalocean's public request path drops the
status and headers that retries need). The same script runs in a fresh interpreter with the installed
requests and with the oldest allowed one (installed with pip into a cached folder in the temp dir, ~5 s once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils import do_api
from tests.do_emulator.pytest_plugin import assert_loopback

OLDEST_REQUESTS = "2.28.0"

SCRIPT = r"""
import importlib.util, json, sys
import requests
sys.modules["digitalocean"] = None  # python-digitalocean is not needed: importing it would fail here
spec = importlib.util.spec_from_file_location("do_api", sys.argv[1])
do_api = importlib.util.module_from_spec(spec)
spec.loader.exec_module(do_api)
client = do_api.DOClient(sys.argv[3], sys.argv[2], timeout=10, backoff_base=0.01)
client.request("POST", "domains", {"name": "example.org"})
path = "domains/example.org/records"
record, fresh = client.create(path, {"type": "A", "name": "www", "data": "203.0.113.1", "ttl": 1800},
                              lambda: None, "record")
record_id = record["domain_record"]["id"]
client.request("PUT", "%s/%s" % (path, record_id), {"type": "A", "data": "203.0.113.2"})
listed = client.list_all(path, "domain_records", {"type": "A"})
deleted = client.delete("%s/%s" % (path, record_id))
try:
    client.get("%s/%s" % (path, record_id))
    missing = None
except do_api.DOAPIError as exc:
    missing = exc.status
print(json.dumps({"requests": requests.__version__, "fresh": fresh, "data": [r["data"] for r in listed],
                  "deleted": deleted, "missing": missing, "retries": client.retries}))
"""


def _oldest_requests_dir():
    target = os.path.join(tempfile.gettempdir(), "ptd-requests-%s" % OLDEST_REQUESTS)
    if not os.path.isfile(os.path.join(target, "requests", "__init__.py")):
        partial = "%s.%d" % (target, os.getpid())
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", partial, "requests==%s" % OLDEST_REQUESTS, "urllib3<1.27"],
                       check=True, timeout=300)
        try:
            os.rename(partial, target)
        except OSError:
            pass  # another worker got there first; its copy is the same
    return target


@pytest.mark.parametrize("requests_version", ["installed", OLDEST_REQUESTS])
def test_client_works_on_the_oldest_and_newest_allowed_requests(do_emulator, requests_version):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if requests_version != "installed":
        env["PYTHONPATH"] = _oldest_requests_dir()
    do_emulator.faults.configure(retry_after=0)
    do_emulator.faults.next(1, "429")
    answer = subprocess.run([sys.executable, "-c", SCRIPT, do_api.__file__, assert_loopback(do_emulator.url),
                             do_emulator.token], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    if requests_version != "installed":
        assert result["requests"] == OLDEST_REQUESTS
    assert result == dict(result, fresh=True, data=["203.0.113.2"], deleted=True, missing=404, retries=1)
    assert [r["status"] for r in do_emulator.request_log][:2] == [429, 201]
