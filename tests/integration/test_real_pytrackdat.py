# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control-node side of a deploy, on bundles that PyTrackDat 0.2.1's own generator makes: generation from a design
CSV (and the generator's refusals), the release packed for the server, and the layout install_release.py writes.

Generation needs PyPI on this machine (or PIP_FIND_LINKS + PIP_NO_INDEX); bundles are cached in
~/.cache/pytrackdat-deploy-tests by tests/fixtures/pytrackdat/make_real_bundles.py."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "roles" / "pytrackdat_app" / "files"
FIXTURES = ROOT / "tests" / "fixtures" / "pytrackdat"
CACHE = Path.home() / ".cache" / "pytrackdat-deploy-tests"
SITE = "ptdsite"
ADMIN = {"username": "admin", "email": "", "password": "Unit-test-pw-4711"}

pytestmark = pytest.mark.xdist_group("pytrackdat-generator")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    proc = subprocess.run([sys.executable, FIXTURES / "make_real_bundles.py", "--out", out, "--variants", "v1,v2-code,master"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {name: Path(path) for name, path in json.loads(proc.stdout.splitlines()[-1]).items()}


def generate(tmp_path, design, site=SITE, password=ADMIN["password"]):
    out = tmp_path / "out.zip"
    proc = subprocess.run([sys.executable, FILES / "generate_bundle.py", design, site, "ptd.example.test", out,
                           CACHE / "generator-0.2.1", "0.2.1"], input=json.dumps(dict(ADMIN, password=password)),
                          capture_output=True, text=True, timeout=600, check=False)
    return proc, out


def entries(path):
    with zipfile.ZipFile(path) as archive:
        return {i.filename: hashlib.sha256(archive.read(i)).hexdigest() for i in archive.infolist() if not i.is_dir()}


def pack(bundle, out):
    """check_bundle.py with a release folder: the check, then the release the server receives, copied to `out`."""
    proc = subprocess.run([sys.executable, FILES / "check_bundle.py", bundle, "ptd.example.test", str(1 << 30), "50000",
                           Path(out).parent / ("releases-" + Path(out).stem)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    release = json.loads(proc.stdout)["release"]
    os.replace(release["path"], out)
    return release


def tree(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()}


def test_the_generated_bundle_is_what_pytrackdat_writes_for_a_production_build(bundles):
    names = entries(bundles["v1"])
    # 0.2.1 zips carry the build machine's virtualenv (here one that shares the generator's site base: a .pth line)
    assert SITE + "/site_env/bin/activate" in names and SITE + "/site_env/pyvenv.cfg" in names
    with zipfile.ZipFile(bundles["v1"]) as archive:
        settings = archive.read("%s/%s/settings.py" % (SITE, SITE)).decode()
        dockerfile = archive.read(SITE + "/Dockerfile").decode()
    assert "ALLOWED_HOSTS = ['127.0.0.1', 'ptd.example.test']" in settings
    assert "FROM python:3.6-alpine3.7" in dockerfile and "ADD db.sqlite3 /db.sqlite3" in dockerfile


def test_the_release_drops_only_the_virtualenv_and_compiled_python_and_is_deterministic(bundles, tmp_path):
    first, second = pack(bundles["v1"], tmp_path / "a.zip"), pack(bundles["v1"], tmp_path / "b.zip")
    assert first["sha256"] == second["sha256"], "the same bundle must give the same release (a rerun ships nothing)"
    original, release = entries(bundles["v1"]), entries(tmp_path / "a.zip")
    dropped = set(original) - set(release)
    assert all("/site_env/" in n or "__pycache__" in n or n.endswith(".pyc") for n in dropped)
    assert {n: original[n] for n in release} == release, "every kept file must be byte-identical"
    # The generator's virtualenv is a few files here (it shares the generator's site base), about 16 MB in a zip
    # ptd-generate made alone: the release has none of it, and stays small.
    assert not any("/site_env/" in n for n in release) and first["bytes"] < min(200 * 1024, os.path.getsize(bundles["v1"])), first
    assert (os.stat(tmp_path / "a.zip").st_mode & 0o777) == 0o600


def test_install_keeps_the_bundle_as_generated_in_source_and_never_lets_it_touch_live_data(bundles, tmp_path):
    site_dir, uid, gid = tmp_path / SITE, 1000, 2000

    def install(bundle, *keep_as):
        release = tmp_path / (bundle.parent.name + ".zip")
        pack(bundle, release)
        proc = subprocess.run([sys.executable, FILES / "install_release.py", release, SITE, site_dir, str(uid), str(gid),
                               *keep_as], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        return release

    release = install(bundles["v1"])
    generated = {n[len(SITE) + 1:]: d for n, d in entries(release).items()}
    assert tree(site_dir / "source") == generated
    assert tree(site_dir / "app") == {n: d for n, d in generated.items() if n.split("/")[0] not in ("db.sqlite3", "snapshots")}
    assert os.readlink(site_dir / "app" / "db.sqlite3") == "../data/db.sqlite3"
    assert (os.stat(site_dir / "source").st_mode & 0o777) == 0o700
    settings = os.stat(site_dir / "app" / SITE / "settings.py")
    assert (settings.st_uid, settings.st_gid, settings.st_mode & 0o777) == (0, gid, 0o640), "the SECRET_KEY must not be world-readable"
    assert (os.stat(site_dir / "app").st_mode & 0o777) == 0o750 and (os.stat(site_dir / "app" / "manage.py").st_mode & 0o777) == 0o750
    # the live database changes; a new release replaces code and source, never data/
    (site_dir / "data" / "db.sqlite3").write_bytes(b"live data")
    # installed from the copy a deploy's pre-deploy step sent, which is then kept as the deployed bundle (root, 0600)
    kept = site_dir / "bundle" / (SITE + ".zip")
    kept.parent.mkdir(mode=0o700)
    kept.write_bytes(b"the bundle deployed before")
    release = install(bundles["v2-code"], str(kept))
    assert kept.read_bytes() == release.read_bytes()
    assert (os.stat(kept).st_mode & 0o777, os.stat(kept).st_uid) == (0o600, 0)
    assert sorted(os.listdir(kept.parent)) == [kept.name]
    assert (site_dir / "data" / "db.sqlite3").read_bytes() == b"live data"
    assert tree(site_dir / "source")["db.sqlite3"] == entries(release)[SITE + "/db.sqlite3"]


def test_a_master_layout_bundle_runs_migrate_and_carries_no_virtualenv(bundles):
    names = entries(bundles["master"])
    assert not any("/site_env/" in n for n in names)
    with zipfile.ZipFile(bundles["master"]) as archive:
        assert "migrate --noinput" in archive.read(SITE + "/docker-compose.yml").decode()
        assert "ADD db.sqlite3" not in archive.read(SITE + "/Dockerfile").decode()
    same_code = {n: d for n, d in entries(bundles["v1"]).items()
                 if "/site_env/" not in n and not n.endswith(("docker-compose.yml", "Dockerfile"))}
    assert {n: names[n] for n in same_code} == same_code


@pytest.mark.parametrize("design, site, password, said, fix", [
    ("design.csv", SITE, "short", "Please enter a secure password (8 or more characters).", "8 or more characters"),
    ("design.csv", SITE, "password123", "less commonly-used password", "common passwords"),
    ("design.csv", "site", ADMIN["password"], "conflicts with a Python package name", "pytrackdat_app_site_name"),
    ("bad-design.csv", SITE, ADMIN["password"], "Unknown data type specified for field 'site_name': 'wobbly'", "design CSV"),
    ("no-such.csv", SITE, ADMIN["password"], "Design CSV not found", "pytrackdat_app_design"),
    ("design.csv", "my-site", ADMIN["password"], "must be a Python identifier", "pytrackdat_app_site_name"),
    ("design.csv", SITE, "quote'd-password", "quote, backslash or line break", "choose one without"),
])
def test_the_generator_refusals_come_with_pytrackdats_message_and_what_to_fix(bundles, tmp_path, design, site, password, said, fix):
    proc, out = generate(tmp_path, FIXTURES / design, site, password)
    assert proc.returncode == 1
    assert said in proc.stderr and fix in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and password not in proc.stderr + proc.stdout
    assert not out.exists()


def test_a_generated_bundle_is_private_and_the_real_password_never_reaches_the_generator(bundles, tmp_path):
    proc, out = generate(tmp_path, FIXTURES / "design.csv")
    assert proc.returncode == 0, proc.stderr
    assert (os.stat(out).st_mode & 0o777) == 0o600
    assert json.loads(proc.stdout)["generator"] == "pytrackdat==0.2.1"
    # PyTrackDat's scripts run `pip install -r` twice (its setup and its site requirements, which list setuptools and
    # wheel without a version): both are met through the site base, so no pip runs (about 0.6 s each).
    assert json.loads(proc.stdout)["pip_installs_skipped"] == 2, proc.stdout
    with zipfile.ZipFile(out) as archive:
        database = archive.read(SITE + "/db.sqlite3")
    import sqlite3  # pylint: disable=import-outside-toplevel
    db_path = tmp_path / "db.sqlite3"
    db_path.write_bytes(database)
    with sqlite3.connect(db_path) as connection:
        (hashed,) = connection.execute("select password from auth_user where username = 'admin'").fetchone()
    from hashlib import pbkdf2_hmac  # pylint: disable=import-outside-toplevel
    import base64  # pylint: disable=import-outside-toplevel
    _algorithm, iterations, salt, digest = hashed.split("$")
    real = base64.b64encode(pbkdf2_hmac("sha256", ADMIN["password"].encode(), salt.encode(), int(iterations))).decode()
    assert real != digest, "the generator was given the real admin password (it passes it on a command line)"


def test_a_new_control_node_gets_the_generator_without_pip_in_its_venvs_and_the_pip_stand_in_still_reaches_pip(tmp_path):
    """A first generation on a control node installs the generator and the site base with this Python's pip (pip
    --python), in venvs without pip of their own (ensurepip took about 3 s of each venv's 5). PyTrackDat's scripts
    run pip in the venvs the virtualenv stand-in makes: a `pip` call the site base does not satisfy must still reach a
    real pip (the stand-in's fallback), not fail for want of one."""
    venv = tmp_path / "generator-0.2.1"
    out = tmp_path / "out.zip"
    proc = subprocess.run([sys.executable, FILES / "generate_bundle.py", FIXTURES / "design.csv", SITE, "ptd.example.test",
                           out, venv, "0.2.1"], input=json.dumps(ADMIN), capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
    for folder in (venv, venv / "site-base"):
        python = folder / "bin" / "python"
        assert subprocess.run([python, "-c", "import pip"], capture_output=True, check=False).returncode != 0, folder
    assert subprocess.run([venv / "bin" / "python", "-c", "import pytrackdat"], check=False).returncode == 0
    env = dict(os.environ, PATH=os.pathsep.join([str(venv / "shim"), os.environ["PATH"]]))
    subprocess.run(["virtualenv", "-p", "python3", tmp_path / "site_env"], env=env, check=True, capture_output=True)
    fallback = subprocess.run([tmp_path / "site_env" / "bin" / "pip", "--version"], capture_output=True, text=True,
                              check=False)
    assert fallback.returncode == 0 and fallback.stdout.startswith("pip "), fallback.stdout + fallback.stderr
    satisfied = tmp_path / "requirements.txt"
    satisfied.write_text("Django==2.2.1\nsetuptools\n", encoding="utf-8")
    proc = subprocess.run([tmp_path / "site_env" / "bin" / "pip", "install", "-r", satisfied], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "already satisfied through the site base" in proc.stdout, proc.stdout + proc.stderr
