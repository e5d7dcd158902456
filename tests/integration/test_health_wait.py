# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app role's last step waits until /login/ answers 200 through the front proxy. It must see a site that comes up
after a second after about a second (it used to ask, hear 503, and sleep a whole delay of 5 s on every first run), and
must give up, bounded and with the last answer, when the site never comes up.

The role's own tasks (tasks_from: finish) run against a real HTTP server on 127.0.0.1:80 in a network namespace of
the test's own (unshare -n, as root): nothing else on this machine sees the port, nothing leaves the namespace."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.unit.plugins.conftest import ROOT, ansible_env

# Answers 503 on /login/ until READY_AFTER seconds after the first request to it, then 200 (negative: never), and
# writes each answer's time (seconds after the first request) and status to the file in argv[2].
SERVER = textwrap.dedent("""
    import http.server, sys, time
    ready_after, log = float(sys.argv[1]), sys.argv[2]
    first = []
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/login/":
                self.send_response(404)
            else:
                now = time.monotonic()
                first[:] = first or [now]
                status = 200 if 0 <= ready_after <= now - first[0] else 503
                with open(log, "a") as answers:
                    answers.write("%.3f %d\\n" % (now - first[0], status))
                self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(("127.0.0.1", 80), Handler).serve_forever()
""")

PLAYBOOK = textwrap.dedent("""
    - name: The app role's health wait
      hosts: localhost
      gather_facts: false
      tasks:
        - name: Wait as the role waits
          ansible.builtin.include_role:
            name: pytrackdat.deploy.pytrackdat_app
            tasks_from: finish
""")

# In the namespace: loopback up, the server in the background, ansible-playbook timed, then the server stopped.
RUN = textwrap.dedent("""
    set -u
    ip link set lo up
    "$PYTHON" "$SERVER" "$READY_AFTER" "$ANSWERS" & server=$!
    for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1/ && break; sleep 0.1; done
    start=$(date +%s.%N)
    "$@"
    rc=$?
    end=$(date +%s.%N)
    kill "$server"
    echo "WALL $start $end"
    exit "$rc"
""")


def wait(tmp_path, ready_after, retries, delay):
    """Runs the role's health wait against a server that turns ready ready_after s after the first request to /login/;
    returns (rc, seconds of ansible-playbook, its output, the server's answers as (seconds, status))."""
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    extra = {"pytrackdat_app_domain": "127.0.0.1", "pytrackdat_app_healthcheck_retries": retries,
             "pytrackdat_app_healthcheck_delay": delay,
             # What validate.yml sets before the role gets here; the failure's diagnosis names this (absent) project.
             "pytrackdat_app_layout": {"compose_project": "ptd-health-test", "app_dir": str(tmp_path / "app"),
                                       "compose_files": [str(tmp_path / "app" / "docker-compose.yml")]}}
    env = dict(ansible_env(), PYTHON=sys.executable, SERVER=str(tmp_path / "server.py"), READY_AFTER=str(ready_after),
               ANSWERS=str(tmp_path / "answers"))
    command = ["unshare", "-n", "bash", "-c", RUN, "run", "ansible-playbook", "-i", "localhost,", "-c", "local",
               str(tmp_path / "play.yml"), "-e", json.dumps(extra)]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    out = proc.stdout + proc.stderr
    wall = [line.split() for line in proc.stdout.splitlines() if line.startswith("WALL ")]
    assert wall, out
    answers = [(float(t), int(status)) for t, status in
               (line.split() for line in (tmp_path / "answers").read_text().splitlines())]
    return proc.returncode, float(wall[-1][2]) - float(wall[-1][1]), out, answers


def test_the_wait_ends_soon_after_the_site_answers_not_a_whole_delay_later(tmp_path):
    rc, _seconds, out, answers = wait(tmp_path, ready_after=1.0, retries=3, delay=5)
    assert rc == 0, out
    assert "FAILED - RETRYING" not in out, out
    # The site answers 200 from 1 s after the first request on. Asking again only after a whole delay (5 s), as the
    # role did, is what this refuses; and it stops asking at the first 200.
    assert answers[0][1] == 503 and answers[-1][1] == 200, answers
    assert [status for _time, status in answers].count(200) == 1, answers
    assert answers[-1][0] < 1.0 + 1.0, answers


def test_a_site_that_never_answers_fails_bounded_with_its_last_answer(tmp_path):
    rc, seconds, out, answers = wait(tmp_path, ready_after=-1, retries=2, delay=1)
    assert rc != 0, out
    assert "The site did not answer 200 on /login/ through Caddy after 2 s" in out, out
    assert "(last: 503" in out, out
    # Two attempts and their retry: a few seconds, never curl's 10 s per request times the polls.
    assert out.count("FAILED - RETRYING") == 2, out
    assert seconds < 60, (seconds, out)
    # Each attempt asks every quarter second for its second, then once more: about 5 requests an attempt, 3 attempts.
    assert 9 <= len(answers) <= 3 * 8 and {status for _time, status in answers} == {503}, answers
    assert "Traceback" not in out, out
