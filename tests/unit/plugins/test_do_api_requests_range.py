# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client works with the oldest and the newest python-digitalocean and requests that requirements.txt allows.

The same script runs in a fresh interpreter with the installed libraries (the newest allowed) and with the lower
bounds read from requirements.txt (installed with pip into a folder cached in build/, ~10 s once, offline after).
The script's first call is a python-digitalocean ``Manager`` method: the emulator answers it with 429 once, and
the client's retries absorb it.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from packaging.version import Version

from ansible_collections.pytrackdat.deploy.plugins.module_utils import do_api
from tests.do_emulator.pytest_plugin import assert_loopback

ROOT = pathlib.Path(__file__).resolve().parents[3]
REQUIREMENTS = (ROOT / "requirements.txt").read_text()


def lower_bound(name):
    match = re.search(r"^%s>=([0-9.]+),<([0-9.]+)" % re.escape(name), REQUIREMENTS, re.MULTILINE)
    assert match, "requirements.txt must give %s a >=X,<Y range" % name
    return match.group(1)


OLDEST = {"python-digitalocean": lower_bound("python-digitalocean"), "requests": lower_bound("requests")}

SCRIPT = r"""
import importlib.util, json, sys
import digitalocean, requests
spec = importlib.util.spec_from_file_location("do_api", sys.argv[1])
do_api = importlib.util.module_from_spec(spec)
spec.loader.exec_module(do_api)
client = do_api.DOClient(sys.argv[3], sys.argv[2], timeout=10, backoff_base=0.01)
before = [d.name for d in client.manager.get_all_domains()]   # answered 429 once, then 200
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
except digitalocean.baseapi.NotFoundError as exc:
    missing = exc.status
print(json.dumps({"python-digitalocean": digitalocean.__version__, "requests": requests.__version__, "before": before,
                  "after": [d.name for d in client.manager.get_all_domains()], "fresh": fresh,
                  "data": [r["data"] for r in listed], "deleted": deleted, "missing": missing,
                  "retries": client.retries}))
"""


def _oldest_dir():
    target = ROOT / "build" / "test-deps" / "python-digitalocean-{python-digitalocean}-requests-{requests}".format(**OLDEST)
    if not (target / "digitalocean" / "__init__.py").is_file():
        partial = "%s.%d" % (target, os.getpid())
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", partial, "python-digitalocean==%s" % OLDEST["python-digitalocean"],
                        "requests==%s" % OLDEST["requests"], "urllib3<1.27"], check=True, timeout=300)
        try:
            os.rename(partial, target)
        except OSError:
            pass  # another worker got there first; its copy is the same
    return str(target)


@pytest.mark.parametrize("libraries", ["installed", "oldest"])
def test_client_works_on_the_oldest_and_newest_allowed_libraries(do_emulator, libraries):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if libraries == "oldest":
        env["PYTHONPATH"] = _oldest_dir()
    do_emulator.faults.configure(retry_after=0)
    do_emulator.faults.next(1, "429")
    answer = subprocess.run([sys.executable, "-c", SCRIPT, do_api.__file__, assert_loopback(do_emulator.url),
                             do_emulator.token], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    if libraries == "oldest":
        assert {k: Version(result[k]) for k in OLDEST} == {k: Version(v) for k, v in OLDEST.items()}
    else:
        assert int(result["python-digitalocean"].split(".")[0]) < 2 and int(result["requests"].split(".")[0]) < 3
    assert result == dict(result, before=[], after=["example.org"], fresh=True, data=["203.0.113.2"], deleted=True,
                          missing=404, retries=1)
    assert [r["status"] for r in do_emulator.request_log][:3] == [429, 200, 201]
