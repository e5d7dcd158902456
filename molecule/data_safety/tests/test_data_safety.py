"""Data safety of a deployed PyTrackDat site (pytrackdat_backup with pytrackdat_app). Tests run in file order and
build on each other: records entered through the site must survive every step."""

import datetime
import json
import os
import re
import signal
import subprocess

import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("all")

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
FIXTURES = os.environ.get("PTD_FIXTURE_DIR", os.path.join(EPHEMERAL, "bundles"))
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE_DIR = "/opt/pytrackdat/ptdsite"
DB = SITE_DIR + "/data/db.sqlite3"
BACKUPS = "/var/backups/pytrackdat/ptdsite"
TOOL = "ptd-backup -c /etc/pytrackdat-backup/ptdsite.ini --json"
SAMPLES = 230
SITES = 10

# Runs inside the test host: logs in like a browser, then adds sites and samples through Django's admin forms.
ENTER_RECORDS = r"""
import http.cookiejar, json, sys, urllib.parse, urllib.request
base, password, sites, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def post(path, fields):
    token = next(c.value for c in jar if c.name == 'csrftoken')
    data = urllib.parse.urlencode(dict(fields, csrfmiddlewaretoken=token)).encode()
    return opener.open(urllib.request.Request(base + path, data=data, headers={'Referer': base + path, 'Origin': base}))
opener.open(base + '/login/').read()
post('/login/', {'username': 'admin', 'password': password, 'next': '/'}).read()
saved = 0
for i in range(sites):
    reply = post('/admin/core/site/add/', {'site_name': 'site-%02d' % i, 'latitude': '%d.1234567' % (40 + i), '_save': 'Save'})
    saved += reply.geturl().rstrip('/').endswith('/admin/core/site')
for i in range(samples):
    reply = post('/admin/core/sample/add/', {'date': '2026-%02d-%02d' % (1 + i % 12, 1 + i % 28), 'sex': 'FMU'[i % 3],
                                             'site': 'site-%02d' % (i % max(sites, 1)), '_save': 'Save'})
    saved += reply.geturl().rstrip('/').endswith('/admin/core/sample')
print(json.dumps({'saved': saved}))
"""

# The records as data, independent of the design: the columns every version of the design has, in key order.
CANONICAL = (
    "python3 -c \"import hashlib, sqlite3; c = sqlite3.connect('file:%s?mode=ro', uri=True); "
    "rows = c.execute('select site_name, latitude from core_site order by 1').fetchall() + "
    "c.execute('select id, date, sex, site_id from core_sample order by 1').fetchall(); "
    "print(len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())\"" % DB
)

STATE = {}


def run_playbook(playbook, *extra_vars, timeout=1500):
    cmd = ["ansible-playbook", "-i", os.path.dirname(INVENTORY), playbook]
    for item in extra_vars:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode(errors="replace")


def _env():
    env = dict(os.environ)
    cfg = os.path.join(EPHEMERAL, "ansible.cfg")
    if os.path.exists(cfg):
        env["ANSIBLE_CONFIG"] = cfg
    return env


def converge(*extra_vars):
    return run_playbook(os.path.join(SCENARIO_DIR, "converge.yml"), *extra_vars)


def bundle(name):
    return "pytrackdat_app_bundle=%s/%s/ptdsite.zip" % (FIXTURES, name)


def canonical(host):
    count, digest = host.check_output(CANONICAL).split()
    return int(count), digest


def login_page(host):
    return host.run("curl -sS --max-time 10 -w '\\n%{http_code}' http://127.0.0.1/login/")


def site_answers(host):
    out = login_page(host).stdout
    return out.rsplit("\n", 1)[-1] == "200"


def served_marker(host):
    match = re.search(r'class="marker">([^<]+)<', login_page(host).stdout)
    return match.group(1) if match else None


def archives(host, kind=""):
    return json.loads(host.check_output(TOOL + " list"))["archives"] if not kind else \
        [a for a in json.loads(host.check_output(TOOL + " list"))["archives"] if a.endswith("_%s.tar.gz" % kind)]


def test_timer_is_scheduled_and_the_config_is_private(host):
    assert host.service("pytrackdat-backup-ptdsite.timer").is_enabled
    assert host.check_output("systemctl is-active pytrackdat-backup-ptdsite.timer") == "active"
    assert "Persistent=true" in host.file("/etc/systemd/system/pytrackdat-backup-ptdsite.timer").content_string
    conf = host.file("/etc/pytrackdat-backup/ptdsite.ini")
    assert conf.mode == 0o600 and conf.user == "root"
    assert host.file(BACKUPS).mode == 0o700


def test_records_entered_through_the_site(host):
    host.run_expect([0], "cat > /root/ptd_enter.py <<'EOF'\n%s\nEOF" % ENTER_RECORDS)
    out = json.loads(host.check_output("python3 /root/ptd_enter.py http://127.0.0.1 Molecule-admin-pw-42 %s %s", str(SITES), str(SAMPLES)))
    assert out["saved"] == SITES + SAMPLES
    STATE["records"] = canonical(host)
    assert STATE["records"][0] == SITES + SAMPLES


def test_backup_playbook_takes_a_verified_archive_and_fetches_it(host):
    fetch_dir = os.path.join(EPHEMERAL, "fetched")
    rc, out = run_playbook(os.path.join(PROJECT, "playbooks", "backup.yml"), "fetch=true",
                           "pytrackdat_backup_fetch_dir=%s" % fetch_dir)
    assert rc == 0, out[-3000:]
    name = archives(host, "manual")[-1]
    local = os.path.join(fetch_dir, name)
    assert os.path.isfile(local) and os.path.isfile(local + ".sha256")
    assert subprocess.run(["sha256sum", "-c", name + ".sha256"], cwd=fetch_dir, capture_output=True, check=False).returncode == 0
    archive = host.file(BACKUPS + "/" + name)
    assert archive.mode == 0o600 and archive.user == "root"
    manifest = json.loads(host.check_output("tar -xzOf %s/%s manifest.json", BACKUPS, name))
    assert manifest["integrity_check"] == "ok" and manifest["tables"]["core_sample"] == SAMPLES
    assert name in json.loads(host.check_output(TOOL + " list --remote"))["archives"]  # off-site copy landed in S3


def test_database_deleted_then_restore_playbook_brings_back_every_record(host):
    host.run_expect([0], "rm -f %s", DB)
    rc, out = run_playbook(os.path.join(PROJECT, "playbooks", "restore.yml"))
    assert rc == 0, out[-3000:]
    assert canonical(host) == STATE["records"]
    assert site_answers(host)
    assert host.file(DB).uid == 1000 and host.file(DB).gid == 2000


def test_redeploy_with_the_same_design_keeps_every_record(host):
    before = len(archives(host, "pre-deploy"))
    rc, out = converge(bundle("v2-code"))
    assert rc == 0, out[-3000:]
    assert served_marker(host) == "v2-code"
    assert canonical(host) == STATE["records"]
    assert len(archives(host, "pre-deploy")) == before + 1


def test_changed_design_without_opt_in_is_refused_and_nothing_changes(host):
    listing = archives(host)
    rc, out = converge(bundle("design"))
    assert rc != 0
    assert "table core_sample: fields added notes" in out
    assert canonical(host) == STATE["records"]
    assert served_marker(host) == "v2-code" and site_answers(host)
    assert "notes" not in host.check_output("sqlite3 %s 'pragma table_info(core_sample)'", DB)
    assert archives(host) == listing


def test_changed_design_with_opt_in_carries_every_record_into_the_new_schema(host):
    rc, out = converge(bundle("design"), "pytrackdat_app_allow_design_change=true")
    assert rc == 0, out[-4000:]
    assert "notes" in host.check_output("sqlite3 %s 'pragma table_info(core_sample)'", DB)
    assert canonical(host) == STATE["records"]
    counts = host.check_output("sqlite3 %s 'select count(*) from core_site; select count(*) from core_sample'", DB).split()
    assert counts == [str(SITES), str(SAMPLES)]
    assert archives(host, "pre-update")
    assert site_answers(host)
    # The admin account survived (users are not part of the design): the site still takes new records.
    out = json.loads(host.check_output("python3 /root/ptd_enter.py http://127.0.0.1 Molecule-admin-pw-42 0 1"))
    assert out["saved"] == 1
    host.run_expect([0], "sqlite3 %s 'delete from core_sample where id = (select max(id) from core_sample)'", DB)
    assert canonical(host) == STATE["records"]


def test_a_deploy_killed_in_the_middle_then_rerun_leaves_the_site_up_with_every_record(host):
    # design-v3 has the deployed design and new code. The opt-in is only there because pytrackdat_app compares the
    # migration files byte for byte, and makemigrations' date stamp differs between two generations of one design.
    extra = [bundle("design-v3"), "pytrackdat_app_allow_design_change=true"]
    cmd = ["ansible-playbook", "-i", os.path.dirname(INVENTORY), os.path.join(SCENARIO_DIR, "converge.yml"), "-e", extra[0], "-e", extra[1]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
    killed = False
    seen = []
    try:
        for raw in proc.stdout:
            seen.append(raw.decode(errors="replace"))
            if b"pytrackdat_app : Install the code" in raw or b"pytrackdat_app : Run docker compose up" in raw:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
    finally:
        proc.stdout.close()
        proc.wait(timeout=120)
    assert killed, "the deploy ended before reaching the code install:\n" + "".join(seen[-60:])
    rc, out = converge(*extra)
    assert rc == 0, out[-3000:]
    assert served_marker(host) == "v3-design"
    assert canonical(host) == STATE["records"]


def test_retention_keeps_exactly_the_configured_dailies_and_weeklies(host):
    # Backdated copies of a real archive, one a day for 20 days, then the timer's service runs (backup + prune).
    latest = archives(host)[-1]
    today = datetime.datetime.strptime(host.check_output("date -u +%Y-%m-%d"), "%Y-%m-%d").date()
    fake = []
    for back in range(1, 21):
        day = today - datetime.timedelta(days=back)
        name = "ptdsite_%sT010000Z_scheduled.tar.gz" % day.strftime("%Y%m%d")
        host.run_expect([0], "cp -p %s/%s %s/%s && sha256sum %s > /dev/null && cd %s && sha256sum %s > %s.sha256",
                        BACKUPS, latest, BACKUPS, name, BACKUPS + "/" + name, BACKUPS, name, name)
        fake.append((day, name))
    host.run_expect([0], "systemctl start pytrackdat-backup-ptdsite.service")
    left = archives(host)
    newest_today = left[-1]
    assert newest_today.endswith("_scheduled.tar.gz") and today.strftime("%Y%m%d") in newest_today
    # keep_daily 3: today, yesterday, the day before. keep_weekly 2: this ISO week (today) and the newest day of the
    # previous ISO week.
    previous_week = (today - datetime.timedelta(days=7)).isocalendar()[:2]
    expected = {newest_today, fake[0][1], fake[1][1], max(n for d, n in fake if d.isocalendar()[:2] == previous_week)}
    assert set(left) == expected
    assert len(left) == len(expected) <= 3 + 2
    remote = json.loads(host.check_output(TOOL + " list --remote"))["archives"]
    assert newest_today in remote and len(remote) == 1  # every off-site archive is from today: one day, one week


def test_a_corrupted_archive_is_refused_by_restore_and_nothing_changes(host):
    latest = archives(host)[-1]
    host.run_expect([0], "printf 'XXXX' | dd of=%s/%s bs=1 seek=200 conv=notrunc status=none", BACKUPS, latest)
    rc, out = run_playbook(os.path.join(PROJECT, "playbooks", "restore.yml"), "archive=%s" % latest)
    assert rc != 0
    assert "is corrupted" in out and "Nothing was changed" in out
    assert canonical(host) == STATE["records"] and site_answers(host)


def test_restore_from_the_offsite_copy_on_a_server_that_lost_everything(host):
    host.run_expect([0], "rm -f %s/*.tar.gz %s/*.sha256 %s", BACKUPS, BACKUPS, DB)
    rc, out = run_playbook(os.path.join(PROJECT, "playbooks", "restore.yml"), "from_offsite=true")
    assert rc == 0, out[-3000:]
    assert canonical(host) == STATE["records"]
    assert site_answers(host)
