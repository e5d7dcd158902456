# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a PyTrackDat production bundle from a design CSV with PyTrackDat's own generator (control node).

Usage: generate_bundle.py DESIGN_CSV SITE_NAME DOMAIN OUT_ZIP VENV_DIR VERSION  < answers.json

answers.json (read on stdin, never from the command line): {"username": ..., "email": ..., "password": ...}.

- installs ``pytrackdat==VERSION`` in VENV_DIR once (pip honours PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX, so a
  wheelhouse works offline);
- checks the admin password by PyTrackDat's own rules (8+ characters, not in the generator's list of common
  passwords), then runs ``ptd-generate`` as a user would, answering its prompts on stdin (production build: yes;
  the site URL; the admin account), in a new session without a terminal so that getpass reads the pipe. The
  generator is given a random one-time password, never the real one: PyTrackDat hands the password to a shell
  script as a command-line argument, visible to every local user in ``ps``. The deploy sets the real password on
  the server afterwards (pytrackdat_app's admin step, over stdin);
- works in a private temporary folder (mode 0700; the generator leaves ~120 MB there) that is always removed;
- writes OUT_ZIP (mode 0600: it holds the site's SECRET_KEY) and prints a JSON summary.

A failure of the generator (bad design CSV, weak password, a site name that is a Python module) exits 1 with
PyTrackDat's own message and what to fix on stderr.
"""

import fcntl
import functools
import glob
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

# What PyTrackDat prints before it stops or asks again, and what the user should change.
KNOWN_FAILURES = (
    (r"conflicts with a Python package name", "choose another site name (pytrackdat_app_site_name): PyTrackDat "
                                              "refuses names of importable Python modules such as 'site' or 'test'."),
    (r"Please enter a secure password", "set pytrackdat_app_admin_password to 8 or more characters."),
    (r"less commonly-used password", "pytrackdat_app_admin_password is on PyTrackDat's list of common passwords: "
                                     "choose a less common one (a passphrase of several words works)."),
    (r"Passwords do not match", "the admin password could not be confirmed; check pytrackdat_app_admin_password."),
    (r"Design file not found", "pytrackdat_app_design must point to a readable design CSV."),
    (r"Error[:]?\s", "fix the design CSV as PyTrackDat's message says, then run the play again."),
)
# Characters the generator pastes unquoted into shell/Python source (see PyTrackDat's run_site_setup script).
UNSAFE_ANSWER = re.compile(r"['\\\n\r\x00]")


def fail(message):
    sys.stderr.write(message.rstrip() + "\n")
    sys.exit(1)


def ensure_generator(venv, version):
    """Create VENV with pytrackdat==VERSION unless it is already there, and the site base beside it; return the
    folders the generator's PATH starts with. Several sites' deploys run this at once (one per host): the first makes
    them under a lock, the others wait for them and use them."""
    os.makedirs(os.path.dirname(venv) or ".", mode=0o700, exist_ok=True)
    with open(venv + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        bin_dir = _make_generator(venv, version)
        return [_make_site_base(venv, bin_dir), bin_dir]


# PyTrackDat's scripts make two throwaway virtualenvs per generation (`virtualenv -p python3 ./tmp_env`, then
# ./site_env) and pip-install Django and the site's requirements into each: most of a generation's time. The first is
# deleted, the second is left out of the release the server gets (check_bundle.py). This stand-in for `virtualenv`,
# first on the generator's PATH, makes the venv with the standard library's venv (no pip of its own) and lets it see
# the packages of the site base, installed once from PyTrackDat's own requirement files, through a .pth line. Its
# `pip` is a stand-in too: `pip install -r FILE` whose every line pins a version the venv already sees, or names a
# package it sees (a bare name: pip without --upgrade installs nothing for it either), does nothing;
# anything else runs pip (the site base's, or this Python's aimed at the venv: see venv_steps). When the interpreter
# differs from the site base's, the real virtualenv runs as before. The generated site (code, migrations, database,
# compose files) is PyTrackDat's own.
VIRTUALENV_SHIM = """#!/bin/sh
set -e
for new_env; do :; done
if %(python)s -m venv --without-pip "$new_env" && [ "$(cd "$new_env" && echo lib/python3*)" = %(lib)s ]; then
    printf '%%s\\n' %(site_packages)s > "$new_env"/%(lib)s/site-packages/ptd-site-base.pth
    cp %(pip)s "$new_env/bin/pip"
    for script in django-admin django-admin.py; do
        [ ! -e %(base_bin)s/$script ] || cp %(base_bin)s/$script "$new_env/bin/"
    done
else
    rm -rf "$new_env"
    %(virtualenv)s "$@"
fi
"""
SATISFIED = "Requirements already satisfied through the site base: "
PIP_SHIM = """#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
"$here/python" - "$@" <<'EOF' && exit 0
import re, sys
from importlib import metadata
args = sys.argv[1:]
if len(args) != 3 or args[:2] != ["install", "-r"]:
    sys.exit(1)
with open(args[2], encoding="utf-8") as handle:
    for line in handle:
        line = line.split("#")[0].strip()
        pin = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:==([A-Za-z0-9_.+!-]+))?", line)
        if line and not pin:
            sys.exit(1)
        try:
            # a bare name (setuptools, wheel) is met by any installed version, as pip without --upgrade has it
            if pin and metadata.version(pin.group(1)) != (pin.group(2) or metadata.version(pin.group(1))):
                sys.exit(1)
        except metadata.PackageNotFoundError:
            sys.exit(1)
print("%s" + args[2])
EOF
"$here/python" -c "import pip" 2>/dev/null && exec "$here/python" -m pip "$@"
exec %s -m pip --python "$here/python" "$@"
"""


def _make_site_base(venv, bin_dir):
    """The site base (a venv with PyTrackDat's setup and site requirements) and the virtualenv stand-in; return the
    stand-in's folder."""
    python = os.path.join(bin_dir, "python")
    package = subprocess.run([python, "-c", "import os, pytrackdat; print(os.path.dirname(pytrackdat.__file__))"],
                             stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    requirements = [os.path.join(package, "util_files", name) for name in ("requirements_setup.txt", "requirements.txt")]
    digest = hashlib.sha256()
    for path in requirements:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    base, shim_dir = os.path.join(venv, "site-base"), os.path.join(venv, "shim")
    marker = os.path.join(base, ".complete-" + digest.hexdigest()[:16])
    if not os.path.exists(marker):
        shutil.rmtree(base, ignore_errors=True)
        for step in venv_steps(python, base, [arg for path in requirements for arg in ("-r", path)]):
            proc = subprocess.run(step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
            if proc.returncode != 0:
                shutil.rmtree(base, ignore_errors=True)
                fail("Could not install PyTrackDat's site requirements in %s:\n%s\nThe control node needs PyPI, or "
                     "PIP_FIND_LINKS=<wheel folder> with PIP_NO_INDEX=1." % (base, proc.stdout.decode(errors="replace")[-2000:]))
        with open(marker, "w", encoding="utf-8"):
            pass
    lib = os.path.basename(glob.glob(os.path.join(base, "lib", "python3*"))[0])
    os.makedirs(shim_dir, mode=0o700, exist_ok=True)
    pip = os.path.join(shim_dir, "pip-for-venvs")
    _write_script(pip, PIP_SHIM % (SATISFIED, shlex.quote(sys.executable)))
    _write_script(os.path.join(shim_dir, "virtualenv"), VIRTUALENV_SHIM % {key: shlex.quote(value) for key, value in (
        ("python", os.path.join(bin_dir, "python")), ("virtualenv", os.path.join(bin_dir, "virtualenv")),
        ("lib", "lib/" + lib), ("site_packages", os.path.join(base, "lib", lib, "site-packages")),
        ("base_bin", os.path.join(base, "bin")), ("pip", pip))})
    return shim_dir


def venv_steps(python, venv, requirements):
    """The commands that make VENV with PYTHON and pip-install REQUIREMENTS (pip arguments) into it. When this
    Python's pip can install into another environment (``pip --python``, pip 22.3 and later), the venv gets no pip of
    its own: ensurepip took about 3 s of each venv's 5, and neither venv runs pip again (the pip stand-in falls back
    to this pip, aimed at the venv)."""
    install = ["install", "-q", "--disable-pip-version-check"] + requirements
    target = os.path.join(venv, "bin", "python")
    if _pip_installs_elsewhere():
        return [python, "-m", "venv", "--without-pip", venv], [sys.executable, "-m", "pip", "--python", target] + install
    return [python, "-m", "venv", venv], [target, "-m", "pip"] + install


@functools.lru_cache(maxsize=None)
def _pip_installs_elsewhere():
    proc = subprocess.run([sys.executable, "-m", "pip", "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          check=False)
    found = re.match(r"pip (\d+)\.(\d+)", proc.stdout.decode(errors="replace"))
    return proc.returncode == 0 and found is not None and (int(found.group(1)), int(found.group(2))) >= (22, 3)


def _write_script(path, text):
    with open(path + ".part", "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path + ".part", 0o700)
    os.replace(path + ".part", path)


def _make_generator(venv, version):
    marker = os.path.join(venv, ".pytrackdat-" + version)
    bin_dir = os.path.join(venv, "bin")
    if os.path.exists(marker):
        return bin_dir
    shutil.rmtree(venv, ignore_errors=True)
    for step in venv_steps(sys.executable, venv, ["pytrackdat==" + version]):
        proc = subprocess.run(step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            fail("Could not install PyTrackDat's generator (pytrackdat==%s) in %s:\n%s\nThe control node needs PyPI, "
                 "or PIP_FIND_LINKS=<wheel folder> with PIP_NO_INDEX=1." % (version, venv, proc.stdout.decode(errors="replace")[-2000:]))
    with open(marker, "w", encoding="utf-8"):
        pass
    return bin_dir


# Runs in the generator's venv: PyTrackDat's own password rules and list (pytrackdat/generation.py, main()).
PASSWORD_RULES = r"""
import gzip, os, sys, pytrackdat
password = sys.stdin.read()
common = ["password", "123456", "12345678"]
try:
    with gzip.open(os.path.join(os.path.dirname(pytrackdat.__file__), "common-passwords.txt.gz")) as handle:
        common = {p.strip() for p in handle.read().decode().splitlines() if len(p.strip()) >= 8}
except OSError:
    pass
if len(password.strip()) < 8:
    print("Please enter a secure password (8 or more characters).")
elif password.lower().strip() in common:
    print("Please enter in a less commonly-used password (8 or more characters).")
"""


def check_password(bin_dir, password):
    proc = subprocess.run([os.path.join(bin_dir, "python"), "-c", PASSWORD_RULES], input=password.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    said = proc.stdout.decode(errors="replace").strip()
    if proc.returncode != 0 or said:
        fail(explain(said or "Error: could not check the password"))


def explain(output):
    """The generator's last meaningful line and the known fix, from its output."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith(("Traceback", "  File "))]
    said = [line for line in lines if not line.startswith(("EOFError", "raise ", "subprocess."))]
    for pattern, fix in KNOWN_FAILURES:
        for line in reversed(said):
            if re.search(pattern, line):
                return "PyTrackDat says: %s\nWhat to do: %s" % (line, fix)
    tail = "\n".join(said[-8:])
    return "PyTrackDat's generator failed. Its last output:\n%s" % tail


def main():
    if len(sys.argv) != 7:
        fail(__doc__)
    design, site, domain, out_zip, venv, version = sys.argv[1:]
    try:
        answers = json.loads(sys.stdin.read())
    except ValueError:
        fail("generate_bundle.py: expected the admin account as JSON on stdin")
    username, email, password = answers.get("username", ""), answers.get("email", ""), answers.get("password", "")
    if not os.path.isfile(design):
        fail("Design CSV not found: %s. Set pytrackdat_app_design to the path of your design file on this computer." % design)
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", site):
        fail("Site name %r is not usable: PyTrackDat's site name must be a Python identifier (letters, digits, _). "
             "Set pytrackdat_app_site_name." % site)
    for label, value in (("admin username", username), ("admin email", email), ("admin password", password)):
        if UNSAFE_ANSWER.search(value):
            fail("The %s contains a quote, backslash or line break, which PyTrackDat's generator cannot handle; "
                 "choose one without them." % label)
    if not username:
        fail("Set pytrackdat_app_admin_username: PyTrackDat needs an admin account name.")

    path_dirs = ensure_generator(venv, version)
    bin_dir = path_dirs[-1]
    check_password(bin_dir, password)
    one_time = secrets.token_urlsafe(24)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="ptd-generate-")  # mode 0700
    try:
        shutil.copyfile(design, os.path.join(work, "design.csv"))
        prompts = "\n".join(["y", domain, username, email, one_time, one_time]) + "\n"
        env = dict(os.environ, PATH=os.pathsep.join(path_dirs + [os.environ.get("PATH", "")]), PYTHONDONTWRITEBYTECODE="1")
        env.pop("VIRTUAL_ENV", None)
        proc = subprocess.run([os.path.join(bin_dir, "ptd-generate"), "design.csv", site], cwd=work, env=env,
                              input=prompts.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True, check=False, timeout=1800)
        output = proc.stdout.decode(errors="replace").replace(one_time, "********")
        produced = os.path.join(work, site + ".zip")
        if proc.returncode != 0 or not os.path.isfile(produced):
            fail(explain(output))
        os.makedirs(os.path.dirname(os.path.abspath(out_zip)), mode=0o700, exist_ok=True)
        partial = "%s.%d.part" % (out_zip, os.getpid())
        shutil.copyfile(produced, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, out_zip)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"changed": True, "bundle": out_zip, "site": site, "generator": "pytrackdat==" + version,
                      "seconds": round(time.monotonic() - started, 1),
                      "pip_installs_skipped": output.count(SATISFIED)}))


if __name__ == "__main__":
    try:
        main()
    except (OSError, subprocess.SubprocessError) as exc:
        fail("generate_bundle.py: %s" % exc)
