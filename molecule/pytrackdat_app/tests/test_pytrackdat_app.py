# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Behaviour of a deployed PyTrackDat site (pytrackdat_app role), on bundles that PyTrackDat 0.2.1's own generator
made (tests/fixtures/pytrackdat). Tests run in file order: later ones redeploy (other bundles, the upstream runtime,
master's layout, a design CSV)."""

import hashlib
import json
import os
import re
import shlex
import socket
import subprocess
import time
import zipfile

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("all")

DOMAIN = "ptd.example.test"
SITE = "ptdsite"
SITE_DIR = "/opt/pytrackdat/" + SITE
ADMIN_PASSWORD = "Molecule-admin-pw-42"
PEBBLE_ROOT = "/root/pebble-root.pem"
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
FIXTURES = os.environ.get("PTD_FIXTURE_DIR", os.path.join(EPHEMERAL, "bundles"))
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.dirname(os.path.dirname(SCENARIO_DIR))
SITE_CHECK = os.path.join(PROJECT, "tests", "fixtures", "pytrackdat", "site_check.py")
DESIGNS = os.path.join(PROJECT, "tests", "fixtures", "pytrackdat")
DROPPED = re.compile(r"^%s/(site_env/|.*__pycache__/|.*\.pyc$)" % SITE)


def run_playbook(*extra_vars, verbose=False):
    """Run the scenario's converge playbook again with extra vars; return (rc, output)."""
    cmd = ["ansible-playbook", "-i", os.path.dirname(INVENTORY), os.path.join(SCENARIO_DIR, "converge.yml")]
    cmd += ["-vvv"] if verbose else []
    for item in extra_vars:
        cmd += ["-e", item]
    env = dict(os.environ)
    cfg = os.path.join(EPHEMERAL, "ansible.cfg")
    if os.path.exists(cfg):
        env["ANSIBLE_CONFIG"] = cfg
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=1500, check=False)
    return proc.returncode, proc.stdout.decode(errors="replace")


def recap_changed(output):
    match = re.search(r"changed=(\d+)", output.split("PLAY RECAP")[-1])
    return int(match.group(1)) if match else -1


def bundle_path(name):
    return "%s/%s/%s.zip" % (FIXTURES, name, SITE)


def bundle(name):
    return "pytrackdat_app_bundle=" + bundle_path(name)


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
    ids = host.check_output("docker ps -q --filter label=com.docker.compose.project=%s" % SITE).split()
    assert len(ids) == 2, "expected the web and proxy containers, got %s" % ids
    return host.check_output("docker inspect -f '{{.Name}} {{.State.StartedAt}}' " + " ".join(ids))


def site_names(host):
    return host.check_output("sqlite3 %s/data/db.sqlite3 'select site_name from core_pytrackdatsite order by 1'", SITE_DIR).split()


def use_the_site(host, record):
    """Log in as a lab member would, list the tables, save a site record, take a PyTrackDat snapshot (site_check.py)."""
    with open(SITE_CHECK, encoding="utf-8") as handle:
        host.run_expect([0], "cat > /root/site_check.py <<'EOF'\n%s\nEOF" % handle.read())
    host.run_expect([0], "curl -sS --cacert /etc/pebble-test/ca.pem -o %s https://localhost:15000/roots/0", PEBBLE_ROOT)
    out = host.run("echo %s | python3 /root/site_check.py https://%s admin - %s %s", ADMIN_PASSWORD, DOMAIN, record, PEBBLE_ROOT)
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)


def zip_files(name):
    """{relative path: sha256} of every file PyTrackDat wrote into the bundle, except its virtualenv and .pyc files."""
    with zipfile.ZipFile(bundle_path(name)) as archive:
        return {info.filename[len(SITE) + 1:]: hashlib.sha256(archive.read(info)).hexdigest()
                for info in archive.infolist() if not info.is_dir() and not DROPPED.match(info.filename)}


def server_files(host, folder):
    """{relative path: sha256} of the regular files (not links) under SITE_DIR/folder on the test host."""
    out = host.check_output("cd %s/%s && find . -type f ! -path './static/*' -exec sha256sum {} +", SITE_DIR, folder)
    return {path[2:]: digest for digest, path in (line.split(None, 1) for line in out.splitlines())}


def image_id(host, reference):
    return host.check_output("docker image inspect -f '{{.Id}}' %s", reference)


def web_exec(host, command):
    return host.check_output("docker exec %s-web-1 sh -c %s", SITE, command)


# --- the real 0.2.1 bundle on the maintained debian runtime (the default) -------------------------------------------

def test_caddy_obtained_the_certificate_from_pebble_and_the_chain_verifies(host):
    host.run_expect([0], "curl -sS --cacert /etc/pebble-test/ca.pem -o %s https://localhost:15000/roots/0", PEBBLE_ROOT)
    result = https(host, "/login/")
    assert result.rc == 0, result.stderr
    assert "Django site admin" in result.stdout and "csrfmiddlewaretoken" in result.stdout
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


def test_static_files_collected_by_the_bundle_are_served(host):
    out = https(host, "/static/admin/css/base.css", "-w '\\n%{http_code} %{content_type}'").stdout
    assert out.endswith("200 text/css") and "font-family" in out


def test_a_lab_member_logs_in_sees_the_design_tables_saves_a_record_and_takes_a_snapshot(host):
    out = use_the_site(host, "Molecule-Site-1")
    assert out == {"logged_in": True, "tables": ["sample", "site"], "record_saved": True, "snapshot_saved": True,
                   "snapshots": out["snapshots"]}, out
    assert "Molecule-Site-1" in site_names(host)
    for name in out["snapshots"]:
        assert host.file("%s/data/snapshots/%s" % (SITE_DIR, name)).size > 0


def test_the_site_runs_pytrackdats_code_on_debian_python_with_its_uwsgi_contract(host):
    assert web_exec(host, "python3 -c 'import sys, django; print(sys.version_info[:2], django.get_version())'") == "(3, 11) 2.2.1"
    os_release = web_exec(host, "cat /etc/os-release")
    assert "ID=debian" in os_release and 'VERSION_ID="12"' in os_release
    workers = web_exec(host, "python3 -c " + shlex.quote(
        "import glob\n"
        "for status in glob.glob('/proc/[0-9]*/status'):\n"
        "    fields = dict(line.split(':', 1) for line in open(status) if ':' in line)\n"
        "    if 'uwsgi' in fields['Name']: print(fields['Uid'].split()[0], fields['Gid'].split()[0])"))
    assert workers.splitlines().count("2000 2000") >= 2, workers  # the dedicated account, not the admin's uid 1000
    # uWSGI speaks the uwsgi protocol on 8000 (nginx's uwsgi_pass), not HTTP
    proxy = "%s-proxy-1" % SITE
    probe = ("import socket; s = socket.create_connection(('web', 8000), 5); s.sendall(b'GET /login/ HTTP/1.0\\r\\n\\r\\n'); "
             "print(s.recv(100))")
    answer = host.run("docker exec %s python3 -c %s", proxy, probe)
    assert answer.rc == 0 and "HTTP/1." not in answer.stdout, answer


def test_every_file_pytrackdat_generated_is_deployed_byte_for_byte(host):
    generated = zip_files("v1")
    source = server_files(host, "source")
    assert source == generated, "source/ differs from the generated bundle"
    app = server_files(host, "app")
    expected = {path: digest for path, digest in generated.items() if path.split("/")[0] not in ("db.sqlite3", "snapshots")}
    assert app == expected, "app/ differs from the generated bundle"
    with zipfile.ZipFile(bundle_path("v1")) as archive:
        assert any(name.startswith(SITE + "/site_env/") for name in archive.namelist()), "the fixture lost its virtualenv"
    assert not host.file(SITE_DIR + "/app/site_env").exists and not host.file(SITE_DIR + "/source/site_env").exists


def test_the_release_shipped_is_small(host):
    # The generated zip carries the generator's throwaway virtualenv (a few files here, where it shares the generator's
    # site base; about 16 MB in a zip ptd-generate made alone): the release leaves it out.
    release = "%s/bundle/%s.zip" % (SITE_DIR, SITE)
    shipped, generated = host.file(release).size, os.path.getsize(bundle_path("v1"))
    assert shipped < 200 * 1024 and shipped < generated, (shipped, generated)
    venv_entries = host.check_output("python3 -c %s %s", "import sys, zipfile; print(sum('/site_env/' in name for name in "
                                     "zipfile.ZipFile(sys.argv[1]).namelist()))", release)
    assert venv_entries == "0"


def test_code_and_data_are_apart_and_owned_by_uwsgi(host):
    assert host.file(SITE_DIR + "/app/db.sqlite3").linked_to == SITE_DIR + "/data/db.sqlite3"
    assert host.file(SITE_DIR + "/app/snapshots").linked_to == SITE_DIR + "/data/snapshots"
    for path in ("/data", "/data/db.sqlite3", "/data/snapshots", "/app/static"):
        assert (host.file(SITE_DIR + path).user, host.file(SITE_DIR + path).group) == ("pytrackdat", "pytrackdat"), path
    # code is root's, readable by uWSGI's group only: settings.py holds the SECRET_KEY
    for path, mode in (("/app", 0o750), ("/app/manage.py", 0o750), ("/app/%s/settings.py" % SITE, 0o640)):
        code = host.file(SITE_DIR + path)
        assert (code.uid, code.gid, code.mode) == (0, 2000, mode), path
    assert host.run("runuser -u nobody -- cat %s/app/%s/settings.py", SITE_DIR, SITE).rc != 0
    source = host.file(SITE_DIR + "/source")
    assert (source.uid, source.mode) == (0, 0o700)
    state = json.loads(host.file(SITE_DIR + "/deploy-state.json").content_string)
    assert state["site"] == SITE and len(state["bundle_sha256"]) == 64 and state["runtime"] == "debian"


def test_uwsgis_account_cannot_log_in_has_no_sudo_and_the_admin_owns_nothing_of_the_site(host):
    account = host.check_output("getent passwd pytrackdat").split(":")
    assert account[2:4] == ["2000", "2000"] and account[6] == "/usr/sbin/nologin", account
    assert host.check_output("id -nG pytrackdat") == "pytrackdat"
    assert host.check_output("getent passwd 1000").startswith("labadmin:")  # the droplet-like admin exists
    assert host.check_output("find %s -uid 1000 -print -quit", SITE_DIR) == ""


@pytest.mark.parametrize("extra, message", [
    (["pytrackdat_app_uid=1000"], "uid 1000 belongs to 'labadmin'"),
    (["pytrackdat_app_user=labadmin", "pytrackdat_app_uid=1000"], "labadmin can log in (shell /bin/bash); labadmin is in group 'sudo'"),
    (["pytrackdat_app_gid=27"], "gid 27 belongs to group 'sudo'"),
])
def test_an_app_account_that_is_a_login_user_or_taken_is_refused_before_any_change(host, extra, message):
    state_before = host.file(SITE_DIR + "/deploy-state.json").content_string
    owners_before = host.check_output("stat -c %%U:%%G %s/data/db.sqlite3 %s/app/static", SITE_DIR, SITE_DIR)
    rc, out = run_playbook(*extra)
    assert rc != 0 and message in " ".join(out.split()), out[-3000:]
    assert "Traceback" not in out
    assert host.file(SITE_DIR + "/deploy-state.json").content_string == state_before
    assert host.check_output("stat -c %%U:%%G %s/data/db.sqlite3 %s/app/static", SITE_DIR, SITE_DIR) == owners_before


def test_a_site_the_older_role_left_owned_by_uid_1000_moves_to_the_account_and_keeps_its_records(host):
    records = site_names(host)
    assert records, "the earlier test saved a record"
    # what layout 3 left: data and static owned by PyTrackDat's uid 1000 / gid 2000, no dedicated account
    host.run_expect([0], "userdel pytrackdat && (groupdel pytrackdat || true)")
    host.run_expect([0], "chown -R 1000:2000 %s/data %s/app/static", SITE_DIR, SITE_DIR)
    host.run_expect([0], "python3 -c %s", "import json; p = %r; s = json.load(open(p)); s['layout_version'] = 3; "
                    "json.dump(s, open(p, 'w'))" % (SITE_DIR + "/deploy-state.json"))
    rc, out = run_playbook()
    assert rc == 0, out[-3000:]
    # the data tree and the static folder (collectstatic writes its files as the container's root, as before)
    assert host.check_output("find %s/data ! -user pytrackdat -print -quit", SITE_DIR) == ""
    assert host.check_output("find %s/data %s/app/static -maxdepth 0 ! -group pytrackdat", SITE_DIR, SITE_DIR) == ""
    assert host.file(SITE_DIR + "/app/static").user == "pytrackdat"
    assert site_names(host) == records
    assert wait_for_login(host)
    assert json.loads(host.file(SITE_DIR + "/deploy-state.json").content_string)["layout_version"] == 4


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


def test_the_admin_password_never_reaches_a_command_line_the_journal_or_verbose_output(host):
    rc, rotated = run_playbook("pytrackdat_app_admin_password=Canary-Rotated-pw-77", verbose=True)
    assert rc == 0, rotated[-3000:]
    rc, back = run_playbook(verbose=True)  # and back, so later tests log in with the usual password
    assert rc == 0, back[-3000:]
    for secret in ("Canary-Rotated-pw-77", ADMIN_PASSWORD):
        assert secret not in rotated and secret not in back
        assert host.run("journalctl --no-pager -o cat | grep -c -F %s", secret).stdout.strip() == "0", secret
        assert host.run("grep -r -l -F %s /var/log", secret).stdout.strip() == "", secret


def test_a_same_design_update_deploys_the_new_code_keeps_the_record_and_builds_nothing(host):
    runtime_image = host.check_output("docker inspect -f '{{.Config.Image}}' %s-web-1", SITE)
    before = image_id(host, runtime_image)
    rc, out = run_playbook(bundle("v2-code"))
    assert rc == 0, out[-3000:]
    with zipfile.ZipFile(bundle_path("v2-code")) as archive:
        new_settings = archive.read("%s/%s/settings.py" % (SITE, SITE)).decode()
    assert host.file("%s/app/%s/settings.py" % (SITE_DIR, SITE)).content_string == new_settings
    assert image_id(host, runtime_image) == before
    assert host.check_output("docker inspect -f '{{.Config.Image}}' %s-web-1", SITE) == runtime_image
    assert wait_for_login(host) and "Molecule-Site-1" in site_names(host)


@pytest.mark.parametrize("variant, message", [
    ("zip-slip", "zip-slip"),
    ("absolute-path", "absolute path"),
    ("symlink", "symbolic link"),
    ("no-compose", "docker-compose.yml"),
    ("two-top", "exactly one top folder"),
    ("not-zip", "is not a zip archive"),
    ("other-domain", "does not contain 'ptd.example.test'"),
    ("design", "table core_pytrackdatsite: fields added notes"),
])
def test_bad_bundle_fails_clearly_and_leaves_the_server_untouched(host, variant, message):
    state_before = host.file(SITE_DIR + "/deploy-state.json").content_string
    bundle_before = host.file("%s/bundle/%s.zip" % (SITE_DIR, SITE)).sha256sum
    rc, out = run_playbook(bundle(variant))
    assert rc != 0
    assert message in out, out[-3000:]
    assert "Traceback" not in out
    assert host.file(SITE_DIR + "/deploy-state.json").content_string == state_before
    assert host.file("%s/bundle/%s.zip" % (SITE_DIR, SITE)).sha256sum == bundle_before
    assert not host.file("/tmp/evil.txt").exists and not host.file("/opt/evil.txt").exists


def test_restarting_the_docker_engine_brings_the_site_back(host):
    host.run_expect([0], "systemctl restart docker")
    assert wait_for_login(host)
    assert "Molecule-Site-1" in site_names(host)


def test_the_web_service_stops_at_once_and_comes_back(host):
    """The bundle's command is a shell, which as PID 1 ignores the stop signal: without an init passing it on, a stop
    (every redeploy, restore and reboot) waits out the whole timeout, here 30 s, before uWSGI is killed."""
    started = time.monotonic()
    host.run_expect([0], "docker stop -t 30 %s-web-1" % SITE)
    seconds = time.monotonic() - started
    host.run_expect([0], "docker start %s-web-1" % SITE)
    assert wait_for_login(host)
    assert seconds < 8, "stopping the web container took %.1f s" % seconds


def task_status(output, task):
    """The first result line ('ok', 'changed', 'skipping', 'fatal') after the task's header in a playbook's output."""
    match = re.search(r"TASK \[[^\]]*%s\].*?\n(ok|changed|skipping|fatal)\b" % re.escape(task), output, re.S)
    return match.group(1) if match else None


def test_control_build_mode_deploys_and_is_idempotent(host):
    # The control node is this machine: without its runtime images of the site, the first run must build one; the
    # second finds it by name (a digest of its inputs) and builds nothing.
    images = subprocess.run(["docker", "images", "-q", "pytrackdat-runtime/" + SITE], capture_output=True, text=True,
                            check=True).stdout.split()
    if images:
        subprocess.run(["docker", "rmi", "-f", *sorted(set(images))], capture_output=True, check=True)
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_build_mode=control")
    assert rc == 0, out[-3000:]
    assert task_status(out, "Build each image") == "ok", out[-3000:]
    assert "Load the images on the server" in out
    assert wait_for_login(host)
    assert "Molecule-Site-1" in site_names(host)
    before = start_times(host)
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_build_mode=control")
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    assert task_status(out, "Build each image") == "skipping", out[-3000:]
    assert start_times(host) == before


# --- PyTrackDat's own Dockerfile (runtime upstream), with stand-ins for Docker Hub's python and nginx images -----

def test_the_unmodified_0_2_1_dockerfile_builds_and_serves_without_touching_the_live_data(host):
    live_before = host.check_output("sqlite3 %s/data/db.sqlite3 'select count(*) from core_pytrackdatsite'", SITE_DIR)
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_runtime=upstream")
    assert rc == 0, out[-3000:]
    with zipfile.ZipFile(bundle_path("v1")) as archive:
        dockerfile = archive.read(SITE + "/Dockerfile")
        pristine_db = hashlib.sha256(archive.read(SITE + "/db.sqlite3")).hexdigest()
    assert b"ADD db.sqlite3 /db.sqlite3" in dockerfile and b"FROM python:3.6-alpine3.7" in dockerfile
    assert host.file(SITE_DIR + "/source/Dockerfile").sha256sum == hashlib.sha256(dockerfile).hexdigest()
    # the image's /db.sqlite3 is the bundle's fresh database, never the live one
    assert web_exec(host, "sha256sum /db.sqlite3").split()[0] == pristine_db
    assert host.check_output("docker inspect -f '{{.Config.Image}}' %s-proxy-1", SITE) == "nginx:1.15-alpine"
    assert wait_for_login(host)
    assert host.check_output("sqlite3 %s/data/db.sqlite3 'select count(*) from core_pytrackdatsite'", SITE_DIR) == live_before
    out = use_the_site(host, "Upstream-Site-2")
    assert out["logged_in"] and out["tables"] == ["sample", "site"] and out["record_saved"] and out["snapshot_saved"], out
    assert {"Molecule-Site-1", "Upstream-Site-2"} <= set(site_names(host))
    rc, out = run_playbook(bundle("v1"), "pytrackdat_app_runtime=upstream")
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]


@pytest.mark.parametrize("runtime", ["upstream", "debian"])
def test_a_master_layout_bundle_deploys_in_both_runtimes_and_keeps_the_records(host, runtime):
    rc, out = run_playbook(bundle("master"), "pytrackdat_app_runtime=" + runtime)
    assert rc == 0, out[-3000:]
    assert host.file(SITE_DIR + "/app/docker-compose.yml").contains("migrate --noinput")
    assert not host.file(SITE_DIR + "/source/site_env").exists
    assert wait_for_login(host)
    out = use_the_site(host, "Master-%s-3" % runtime)
    assert out["logged_in"] and out["tables"] == ["sample", "site"] and out["record_saved"] and out["snapshot_saved"], out
    assert {"Molecule-Site-1", "Upstream-Site-2", "Master-%s-3" % runtime} <= set(site_names(host))


# --- from a design CSV (the control node runs PyTrackDat's generator) -----------------------------------------

@pytest.mark.parametrize("extra, message", [
    (["pytrackdat_app_design=%s/no-such-design.csv" % DESIGNS], "Design CSV not found"),
    (["pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_admin_password=short"],
     "Please enter a secure password (8 or more characters)."),
    (["pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_admin_password=password123"],
     "less commonly-used password"),
    (["pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_site_name=site"], "conflicts with a Python package name"),
    (["pytrackdat_app_design=%s/bad-design.csv" % DESIGNS], "Unknown data type specified for field 'site_name'"),
    (["pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_bundle=%s" % bundle_path("v1")], "Set exactly one of"),
])
def test_a_design_the_generator_refuses_stops_before_the_server_is_touched(host, extra, message):
    state_before = host.file(SITE_DIR + "/deploy-state.json").content_string
    args = ["pytrackdat_app_bundle="] + extra if not any(e.startswith("pytrackdat_app_bundle=") for e in extra) else extra
    rc, out = run_playbook(*args)
    assert rc != 0
    assert message in out, out[-3000:]
    assert "Traceback" not in out
    assert host.file(SITE_DIR + "/deploy-state.json").content_string == state_before


def test_a_design_csv_is_generated_deployed_and_a_rerun_changes_nothing(host):
    rc, out = run_playbook("pytrackdat_app_bundle=", "pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_site_name=" + SITE)
    assert rc == 0, out[-3000:]
    state = json.loads(host.file(SITE_DIR + "/deploy-state.json").content_string)
    assert state["runtime"] == "debian"
    assert wait_for_login(host)
    out_site = use_the_site(host, "Design-Site-4")
    assert out_site["logged_in"] and out_site["record_saved"], out_site
    assert {"Molecule-Site-1", "Upstream-Site-2", "Design-Site-4"} <= set(site_names(host))
    rc, out = run_playbook("pytrackdat_app_bundle=", "pytrackdat_app_design=%s/design.csv" % DESIGNS, "pytrackdat_app_site_name=" + SITE)
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    assert json.loads(host.file(SITE_DIR + "/deploy-state.json").content_string)["bundle_sha256"] == state["bundle_sha256"]
