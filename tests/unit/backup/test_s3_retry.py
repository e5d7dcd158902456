# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup's S3 client retries as do_api.py retries the DigitalOcean API, and the role installs every module."""

import ast
import http.server
import os
import threading

import pytest
import yaml

from .conftest import TOOL, load_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(TOOL), "..", "..", ".."))
DO_API = os.path.join(ROOT, "plugins", "module_utils", "do_api.py")


def do_api_policy():
    """RETRY_STATUSES and DOClient's retry defaults, read from do_api.py's source (it needs python-digitalocean)."""
    tree = ast.parse(open(DO_API, encoding="utf-8").read())
    policy = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETRY_STATUSES" for t in node.targets):
            policy["statuses"] = set(ast.literal_eval(node.value.args[0]))
        if isinstance(node, ast.FunctionDef) and node.name == "__init__" and "max_attempts" in [a.arg for a in node.args.args]:
            names = [a.arg for a in node.args.args][-len(node.args.defaults):]
            defaults = dict(zip(names, node.args.defaults))
            for name in ("max_attempts", "max_retry_time", "backoff_base", "backoff_cap"):
                policy[name] = ast.literal_eval(defaults[name])
    return policy


def test_the_retry_policy_is_do_apis():
    s3 = load_tool().S3Client.__module__
    module = __import__(s3)
    assert do_api_policy() == {"statuses": set(module.RETRY_STATUSES), "max_attempts": module.MAX_ATTEMPTS,
                               "max_retry_time": module.MAX_RETRY_TIME, "backoff_base": module.BACKOFF_BASE,
                               "backoff_cap": module.BACKOFF_CAP}


class Flaky(http.server.BaseHTTPRequestHandler):
    """Answers the first `failures` requests with `status`, then 200; records what each request sent."""
    failures, status, seen = 0, 503, []

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        Flaky.seen.append((self.command, body))
        if len(Flaky.seen) <= Flaky.failures:
            self.send_response(Flaky.status)
            self.send_header("Retry-After", "3")
            self.end_headers()
            self.wfile.write(b"<Error><Code>SlowDown</Code></Error>")
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    server = http.server.HTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Flaky.seen = []
    yield server
    server.shutdown()
    server.server_close()


def client(server, slept):
    tool = load_tool()
    s3 = tool.S3Client("http://127.0.0.1:%d" % server.server_port, "bucket", "fra1", "AK", "SK", timeout=10)
    s3.sleep = slept.append
    return s3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_retried_with_bounded_backoff_and_an_upload_sends_its_whole_file_again(flaky, tmp_path, status):
    Flaky.failures, Flaky.status = 2, status
    path = tmp_path / "archive"
    path.write_bytes(b"x" * 5000)
    slept = []
    client(flaky, slept).put_file("site/archive", str(path))
    assert [body for _method, body in Flaky.seen] == [b"x" * 5000] * 3
    assert 0.1 <= slept[0] <= 0.2 and 0.2 <= slept[1] <= 0.4, slept  # uniform(c/2, c), c = 0.2 * 2**retry


def test_a_429_waits_as_long_as_retry_after_says(flaky):
    Flaky.failures, Flaky.status = 1, 429
    slept = []
    client(flaky, slept).request("GET", "site/x").close()
    assert slept == [3.0]


def test_other_errors_are_not_retried_and_retries_end(flaky):
    tool = load_tool()
    Flaky.failures, Flaky.status = 1, 403
    with pytest.raises(tool.BackupError, match="HTTP 403 SlowDown"):
        client(flaky, []).request("GET", "site/x")
    Flaky.seen, Flaky.failures, Flaky.status = [], 100, 503
    slept = []
    with pytest.raises(tool.BackupError, match=r"gave up after 8 attempts"):
        client(flaky, slept).request("GET", "site/x")
    assert len(Flaky.seen) == 8 and len(slept) == 7


def test_the_role_installs_every_module_of_the_server_side_tools():
    with open(os.path.join(ROOT, "roles", "pytrackdat_backup", "vars", "main.yml"), encoding="utf-8") as handle:
        role_vars = yaml.safe_load(handle)
    listed = " ".join(role_vars["_pytrackdat_backup_design_files"]) + role_vars["_pytrackdat_backup_tool_files"]
    files = sorted(n for n in os.listdir(os.path.dirname(TOOL)) if n.endswith(".py"))
    assert [n for n in files if "'%s'" % n not in listed and n not in role_vars["_pytrackdat_backup_design_files"]] == []
    assert "ptd_designcheck.py" in listed
