"""Behaviour of a deployed PyTrackDat site (pytrackdat_app role). Tests run in file order: later ones redeploy."""

import json
import os
import re
import socket
import subprocess
import time

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("all")

DOMAIN = "ptd.example.test"
SITE_DIR = "/opt/pytrackdat/ptdsite"
ADMIN_PASSWORD = "Molecule-admin-pw-42"
PEBBLE_ROOT = "/root/pebble-root.pem"
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
FIXTURES = os.environ.get("PTD_FIXTURE_DIR", os.path.join(EPHEMERAL, "bundles"))
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs inside the test host: logs in like a browser (CSRF cookie + token), then adds a site in the admin.
LOGIN_AND_ADD = r"""
import http.cookiejar, json, re, ssl, sys, urllib.parse, urllib.request
base, password, name = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=sys.argv[4])
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ctx))
def token():
    return next(c.value for c in jar if c.name == 'csrftoken')
def post(path, fields):
    data = urllib.parse.urlencode(dict(fields, csrfmiddlewaretoken=token())).encode()
    req = urllib.request.Request(base + path, data=data, headers={'Referer': base + path, 'Origin': base})
    return opener.open(req)
opener.open(base + '/login/').read()
after_login = post('/login/', {'username': 'admin', 'password': password, 'next': '/'})
home = after_login.read().decode()
opener.open(base + '/admin/core/site/add/').read()
post('/admin/core/site/add/', {'site_name': name, 'latitude': '12.5000000', '_save': 'Save'}).read()
listing = opener.open(base + '/admin/core/site/').read().decode()
print(json.dumps({'home_url': after_login.geturl(), 'home': home, 'listed': name in listing}))
"""


def run_playbook(*extra_vars):
    """Run the scenario's converge playbook again with extra vars; return (rc, output)."""
    cmd = ["ansible-playbook", "-i", os.path.dirname(INVENTORY), os.path.join(SCENARIO_DIR, "converge.yml")]
    for item in extra_vars:
        cmd += ["-e", item]
    env = dict(os.environ)
    cfg = os.path.join(EPHEMERAL, "ansible.cfg")
    if os.path.exists(cfg):
        env["ANSIBLE_CONFIG"] = cfg
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=1200, check=False)
    return proc.returncode, proc.stdout.decode(errors="replace")


def recap_changed(output):
    match = re.search(r"changed=(\d+)", output.split("PLAY RECAP")[-1])
    return int(match.group(1)) if match else -1


def bundle(name):
    return "pytrackdat_app_bundle=%s/%s/ptdsite.zip" % (FIXTURES, name)


def https(host, path, options=""):
    """curl over HTTPS, verifying the chain against Pebble's root; options are trusted test text."""
    return host.run("curl -sS --max-time 20 --cacert %s %s https://%s%s" % (PEBBLE_ROOT, options, DOMAIN, path))


def wait_for_login(host, attempts=40):
    for _attempt in range(attempts):
        if https(host, "/login/", "-o /dev/null -w '%{http_code}'").stdout == "200":
            return True
        time.sleep(3)
    return False


def start_times(host):
    ids = host.check_output("docker ps -q --filter label=com.docker.compose.project=ptdsite").split()
    assert len(ids) == 2, "expected the web and proxy containers, got %s" % ids
    return host.check_output("docker inspect -f '{{.Name}} {{.State.StartedAt}}' " + " ".join(ids))


def site_names(host):
    return host.check_output("sqlite3 %s/data/db.sqlite3 'select site_name from core_site order by 1'", SITE_DIR).split()


def test_caddy_obtained_the_certificate_from_pebble_and_the_chain_verifies(host):
    host.run_expect([0], "curl -sS --cacert /etc/pebble-test/ca.pem -o %s https://localhost:15000/roots/0", PEBBLE_ROOT)
    result = https(host, "/login/")
    assert result.rc == 0, result.stderr
    assert "PyTrackDat" in result.stdout and "csrfmiddlewaretoken" in result.stdout
    issuer = host.check_output("echo | openssl s_client -connect 127.0.0.1:443 -servername %s 2>/dev/null | openssl x509 -noout -issuer", DOMAIN)
    assert "Pebble" in issuer


def test_the_certificate_was_validated_over_http_01(host):
    journal = host.check_output("journalctl -u caddy --no-pager -o cat")
    assert '"challenge_type":"http-01"' in journal.replace(" ", ""), "Caddy solved no HTTP-01 challenge"
    assert '"challenge_type":"tls-alpn-01"' not in journal.replace(" ", ""), "TLS-ALPN-01 was used although disabled"


def test_http_redirects_to_https(host):
    out = host.check_output("curl -sS -o /dev/null -w '%%{http_code} %%{redirect_url}' http://%s/login/", DOMAIN)
    code, location = out.split(" ", 1)
    assert code in ("301", "308") and location == "https://%s/login/" % DOMAIN


def test_root_redirects_to_login_and_hsts_is_sent(host):
    out = https(host, "/", "-D - -o /dev/null").stdout
    assert out.startswith("HTTP/2 302") or out.startswith("HTTP/1.1 302")
    assert re.search(r"(?im)^location: /login/", out)
    assert re.search(r"(?im)^strict-transport-security: max-age=", out)


def test_static_files_are_served(host):
    assert "ptd-fixture-static" in https(host, "/static/core/style.css").stdout


def test_admin_logs_in_and_creates_a_record(host):
    host.run_expect([0], "cat > /root/ptd_login.py <<'EOF'\n%s\nEOF" % LOGIN_AND_ADD)
    out = json.loads(host.check_output("python3 /root/ptd_login.py https://%s %s Molecule-Site-1 %s", DOMAIN, ADMIN_PASSWORD, PEBBLE_ROOT))
    assert out["home_url"] == "https://%s/" % DOMAIN, out
    assert "PyTrackDat fixture" in out["home"] and out["listed"]
    assert "Molecule-Site-1" in site_names(host)


def test_code_and_data_are_apart_and_owned_by_uwsgi(host):
    assert host.file(SITE_DIR + "/app/db.sqlite3").linked_to == SITE_DIR + "/data/db.sqlite3"
    assert host.file(SITE_DIR + "/app/snapshots").linked_to == SITE_DIR + "/data/snapshots"
    for path in ("/data", "/data/db.sqlite3", "/data/snapshots", "/app/manage.py"):
        assert (host.file(SITE_DIR + path).uid, host.file(SITE_DIR + path).gid) == (1000, 2000), path
    state = json.loads(host.file(SITE_DIR + "/deploy-state.json").content_string)
    assert state["site"] == "ptdsite" and len(state["bundle_sha256"]) == 64


def test_only_ssh_http_and_https_answer_from_outside(host):
    address = subprocess.check_output(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", host.backend.host]
    ).decode().split()[0]
    # the bundle's proxy (8080 on loopback) and uWSGI (8000) answer inside the host only
    assert host.run("curl -s -o /dev/null http://127.0.0.1:8080/").rc == 0
    for port, expected in ((22, True), (80, True), (443, True), (8080, False), (8000, False)):
        with socket.socket() as sock:
            sock.settimeout(3)
            assert (sock.connect_ex((address, port)) == 0) is expected, "port %d" % port


def test_same_bundle_again_changes_and_restarts_nothing(host):
    before = start_times(host)
    rc, out = run_playbook()
    assert rc == 0, out[-3000:]
    assert recap_changed(out) == 0, out[-3000:]
    assert start_times(host) == before


def test_changed_code_file_is_deployed_and_the_record_is_kept(host):
    rc, out = run_playbook(bundle("v2-code"))
    assert rc == 0, out[-3000:]
    assert "v2-code" in https(host, "/login/").stdout
    assert "Molecule-Site-1" in site_names(host)


@pytest.mark.parametrize("variant, message", [
    ("zip-slip", "zip-slip"),
    ("absolute-path", "absolute path"),
    ("symlink", "symbolic link"),
    ("no-compose", "lacks docker-compose.yml"),
    ("two-top", "exactly one top folder"),
    ("not-zip", "is not a zip archive"),
    ("other-domain", "does not contain 'ptd.example.test'"),
    ("design", "models/migrations"),
])
def test_bad_bundle_fails_clearly_and_leaves_the_server_untouched(host, variant, message):
    state_before = host.file(SITE_DIR + "/deploy-state.json").content_string
    bundle_before = host.file(SITE_DIR + "/bundle/ptdsite.zip").sha256sum
    rc, out = run_playbook(bundle(variant))
    assert rc != 0
    assert message in out, out[-3000:]
    assert "Traceback" not in out
    assert host.file(SITE_DIR + "/deploy-state.json").content_string == state_before
    assert host.file(SITE_DIR + "/bundle/ptdsite.zip").sha256sum == bundle_before
    assert not host.file("/tmp/evil.txt").exists and not host.file("/opt/evil.txt").exists


def test_restarting_the_docker_engine_brings_the_site_back(host):
    host.run_expect([0], "systemctl restart docker")
    assert wait_for_login(host)
    assert "Molecule-Site-1" in site_names(host)


def test_control_build_mode_deploys_and_is_idempotent(host):
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_build_mode=control")
    assert rc == 0, out[-3000:]
    assert "Load the images on the server" in out
    assert wait_for_login(host) and "v1" in https(host, "/login/").stdout
    assert "Molecule-Site-1" in site_names(host)
    before = start_times(host)
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_build_mode=control")
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    assert start_times(host) == before
