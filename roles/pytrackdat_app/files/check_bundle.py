# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a PyTrackDat production bundle (<site>.zip) on the control node before anything touches a server.

Usage: check_bundle.py BUNDLE DOMAIN MAX_BYTES MAX_FILES [RELEASE_DIR]
Prints one JSON object (site, sha256, models_sha256, services, proxy_service, builds, allowed_hosts) on success.
With RELEASE_DIR, also writes the release the server receives (see write_release) and adds "release" to the JSON.
On a bad bundle prints "bundle <path>: <what is wrong and what to do>" on stderr and exits 1; never a traceback.
Standard library and PyYAML only: it runs with the Python that runs ansible-playbook.
"""

import ast
import hashlib
import importlib.util
import json
import keyword
import os
import posixpath
import re
import stat
import sys
import zipfile
import zlib

import ptd_designcheck  # beside this file: the design fingerprint both deploy gates use
from bundle_compose import BundleError, compose_services

REQUIRED = ("Dockerfile", "docker-compose.yml", "nginx.conf", "manage.py", "db.sqlite3")
REGENERATE = "re-download it, or regenerate it with ptd-generate"

# Top-level packages the site's own code or its container imports: a site named like one of them shadows it.
SITE_PACKAGES = {
    "core": "PyTrackDat's generated app", "snapshot_manager": "PyTrackDat's snapshot app",
    "site_env": "the virtualenv folder PyTrackDat 0.2.1 puts in the bundle",
    "django": "Django", "rest_framework": "Django REST framework", "django_filters": "django-filter",
    "reversion": "django-reversion", "advanced_filters": "django-advanced-filters", "braces": "django-braces",
    "simplejson": "simplejson", "pytz": "pytz", "sqlparse": "sqlparse", "six": "six", "uwsgi": "uWSGI",
    "uwsgidecorators": "uWSGI", "pip": "pip", "setuptools": "setuptools", "pkg_resources": "setuptools",
    "wheel": "wheel",
}


class BundleNotFound(BundleError):
    pass


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- The zip archive ---------------------------------------------------------------------------------------------

def open_bundle(path):
    """The bundle as an open ZipFile, or a BundleError that says why it cannot be one."""
    if not os.path.exists(path):
        raise BundleNotFound("bundle not found: %s (pytrackdat_app_bundle must be the path, on this computer, of the "
                             "<site>.zip that ptd-generate made)" % path)
    if os.path.isdir(path):
        raise BundleError("is a folder, not a zip archive: give the <site>.zip that ptd-generate made")
    if os.path.getsize(path) == 0:
        raise BundleError("is empty (0 bytes): " + REGENERATE)
    with open(path, "rb") as handle:
        head = handle.read(4)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError, UnicodeDecodeError) as exc:
        if head == b"PK\x03\x04":
            raise BundleError("is damaged or truncated: it starts like a zip archive but its end (the zip's table of "
                              "contents) is missing or broken; " + REGENERATE) from exc
        raise BundleError("is not a zip archive (expected the <site>.zip made by ptd-generate)") from exc


def name_problem(info):
    """Why an entry's name is unsafe to unpack or to print, or None."""
    raw = info.orig_filename            # zipfile cuts .filename at a NUL byte; the stored name is what counts
    for char in raw:
        if not char.isprintable() and char != " ":
            return ("entry %r: its name contains control character U+%04X, which can forge lines in logs and "
                    "terminals; rename the file (printable characters only) and zip the bundle again"
                    % (raw, ord(char)))
    name = info.filename
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path %r" % name
    if ".." in name.replace("\\", "/").split("/"):
        return "path with '..' %r (zip-slip)" % name
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link %r" % name
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special file (device, fifo or socket) %r" % name
    return None


def check_members(archive, max_bytes, max_files):
    """The site name (the single top folder), after every entry's name, type and the totals are checked."""
    infos = archive.infolist()
    if not infos:
        raise BundleError("is empty: the zip has no entries; " + REGENERATE)
    if len(infos) > max_files:
        raise BundleError("%d entries, more than the limit of %d (pytrackdat_app_bundle_max_files)" % (len(infos), max_files))
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise BundleError("unpacks to %d bytes, more than the limit of %d (pytrackdat_app_bundle_max_mb)" % (total, max_bytes))
    problems = [problem for problem in map(name_problem, infos) if problem]
    if problems:
        more = " (and %d more)" % (len(problems) - 10) if len(problems) > 10 else ""
        raise BundleError("unsafe entries: " + "; ".join(problems[:10]) + more)
    tops = sorted(set(info.filename.replace("\\", "/").split("/")[0] for info in infos))
    if len(tops) != 1:
        raise BundleError("needs exactly one top folder (<site>/), found: %s" % ", ".join(repr(top) for top in tops[:10]))
    return tops[0]


def check_readable(archive):
    """Read every entry once: a damaged bundle is refused here, not half-unpacked on the server."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
        except (NotImplementedError, RuntimeError) as exc:     # unknown compression method, password
            raise BundleError("entry %r cannot be unpacked (%s): zip the bundle again without a password or "
                              "special compression, or regenerate it with ptd-generate" % (info.filename, exc)) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise BundleError("is damaged: entry %r cannot be read (%s); %s" % (info.filename, exc, REGENERATE)) from exc


def site_name_problem(site):
    """Why the top folder cannot be a PyTrackDat site name (the site's settings are imported as <site>.settings)."""
    todo = "regenerate the bundle with another site name (ptd-generate design.csv other_name)"
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*\Z", site) or keyword.iskeyword(site):
        return ("the site name (top folder) %r is not a valid Python identifier (ASCII letters, digits and '_', not "
                "starting with a digit, not a Python keyword), so Python cannot import %s.settings; %s" % (site, site, todo))
    reason = importable_as(site)
    if reason:
        return ("the site name (top folder) %r is already %s, so Python imports that module instead of the site's "
                "settings and the site fails on the server; %s" % (site, reason, todo))
    return None


def importable_as(name):
    """What an importable module of this name is, or None."""
    if name in getattr(sys, "stdlib_module_names", ()) or name in sys.builtin_module_names:
        return "a module of Python's standard library"
    if name in SITE_PACKAGES:
        return "the name of a module the site needs (%s)" % SITE_PACKAGES[name]
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "the name of an importable Python module"
    if spec is not None:
        return "an importable Python module (%s)" % (spec.origin or name)
    return None


def read_text(archive, name):
    try:
        return archive.read(name).decode("utf-8")
    except KeyError:
        return None
    except UnicodeDecodeError as exc:
        raise BundleError("%s is not UTF-8 text (%s)" % (name, exc)) from exc


# --- settings.py -------------------------------------------------------------------------------------------------

def allowed_hosts(settings_source):
    """The host names in settings.py's ALLOWED_HOSTS, or None when it is not built from literals.

    PyTrackDat writes `ALLOWED_HOSTS = ['127.0.0.1', '<url>'] if (os.getenv('DJANGO_ENV') == 'production') else []`,
    so the strings of every list or tuple literal in the assignment are taken.
    """
    tree = ast.parse(settings_source)
    hosts = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ALLOWED_HOSTS" for t in node.targets):
            hosts = []
            for sub in ast.walk(node.value):
                if isinstance(sub, (ast.List, ast.Tuple)):
                    hosts += [elt.value for elt in sub.elts if isinstance(elt, ast.Constant) and isinstance(elt.value, str)]
    return hosts or None


def check_settings(archive, site, domain):
    settings_name = "%s/%s/settings.py" % (site, site)
    settings = read_text(archive, settings_name)
    if settings is None:
        raise BundleError("lacks %s (the Django settings of site %s)" % (settings_name, site))
    try:
        hosts = allowed_hosts(settings)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise BundleError("%s does not parse: %s" % (settings_name, exc or type(exc).__name__)) from exc
    if hosts is None:
        raise BundleError("%s sets no literal ALLOWED_HOSTS list" % settings_name)
    if domain not in hosts and "*" not in hosts:
        raise BundleError("ALLOWED_HOSTS in %s is %s and does not contain %r: the site would answer HTTP 400 to every "
                          "request. Regenerate the bundle with that site URL, or set pytrackdat_app_domain to one of them%s"
                          % (settings_name, hosts, domain, _www_hint(domain, hosts)))
    return hosts


def _www_hint(domain, hosts):
    """What to do when the domain and the generator's URL differ only by 'www.' (the site answers one name only)."""
    bare = domain[4:] if domain.startswith("www.") else None
    if bare and bare in hosts:
        return (". The bundle was generated for %s: set pytrackdat_app_domain: %s and pytrackdat_app_www_redirect: "
                "true, and %s redirects to it" % (bare, bare, domain))
    if "www." + domain in hosts:
        return (". The bundle was generated for www.%s: set pytrackdat_app_domain: www.%s, or regenerate the bundle "
                "with the site URL %s and set pytrackdat_app_www_redirect: true to redirect www.%s to it"
                % (domain, domain, domain, domain))
    return ""


# --- The whole check ---------------------------------------------------------------------------------------------

def check(path, domain, max_bytes, max_files):
    with open_bundle(path) as archive:
        site = check_members(archive, max_bytes, max_files)
        problem = site_name_problem(site)
        if problem:
            raise BundleError(problem)
        check_readable(archive)
        names = set(archive.namelist())
        missing = [f for f in REQUIRED if site + "/" + f not in names]
        if not any(n.startswith(site + "/snapshots/") for n in names):
            missing.append("snapshots/")
        if missing:
            raise BundleError("top folder %s/ lacks %s" % (site, ", ".join(missing)))
        hosts = check_settings(archive, site, domain)
        services, proxy, build = compose_services(read_text(archive, site + "/docker-compose.yml"))
        design_files = ptd_designcheck.files_of_archive(archive, site)
    return {"site": site, "sha256": sha256_file(path), "models_sha256": ptd_designcheck.fingerprint(design_files),
            "design": design_tables(design_files),
            "services": services, "proxy_service": proxy, "builds": build, "allowed_hosts": hosts}


def design_tables(design_files):
    """{table: {field: definition}} of the bundle's models (empty when there are none or they do not parse)."""
    try:
        return ptd_designcheck.tables(design_files[ptd_designcheck.MODELS])
    except (KeyError, ptd_designcheck.DesignError):
        return {}


RELEASE_TIME = (2020, 1, 1, 0, 0, 0)


def left_out_of_release(rel):
    """What the server never uses: the build machine's virtualenv (site_env/, ~40 MB in 0.2.1 zips) and compiled Python."""
    parts = rel.split("/")
    return parts[0] == "site_env" or "__pycache__" in parts or rel.endswith(".pyc")


def write_release(path, site, sha256, out_dir):
    """Repack the checked bundle into OUT_DIR/<site>-<sha>.zip, the archive the server receives: every entry byte for
    byte but the ones left_out_of_release(), sorted, with fixed timestamps, so the same bundle always gives the same
    release (a rerun ships nothing). Mode 0600: it holds the site's SECRET_KEY."""
    target = os.path.join(out_dir, "%s-%s.zip" % (site, sha256[:16]))
    kept = dropped = 0
    requirements = b""
    os.makedirs(out_dir, mode=0o700, exist_ok=True)
    partial = "%s.%d.part" % (target, os.getpid())
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as release:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            rel = info.filename[len(site) + 1:]
            if rel and left_out_of_release(rel):
                dropped += 1
                continue
            entry = zipfile.ZipInfo(info.filename, RELEASE_TIME)
            entry.external_attr = info.external_attr
            entry.compress_type = zipfile.ZIP_STORED if info.is_dir() else zipfile.ZIP_DEFLATED
            data = b"" if info.is_dir() else source.read(info)
            if rel == "requirements.txt":
                requirements = data
            release.writestr(entry, data)
            kept += 1
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return {"path": target, "sha256": sha256_file(target), "bytes": os.path.getsize(target), "entries": kept,
            "dropped": dropped, "requirements_sha256": hashlib.sha256(requirements).hexdigest()}


def checked_file(out_dir, sha256, domain, max_bytes, max_files):
    """Where the result of checking this bundle, for this domain and these limits, with this checker's code, is kept."""
    digest = hashlib.sha256(json.dumps([sha256, domain, max_bytes, max_files]).encode())
    for module in (sys.modules[__name__], sys.modules["bundle_compose"], ptd_designcheck):
        with open(module.__file__, "rb") as handle:
            digest.update(handle.read())
    return os.path.join(out_dir, "checked", digest.hexdigest() + ".json")


def read_checked(record):
    """The kept result, if its release is still there byte for byte (else None: check and pack again)."""
    try:
        with open(record, encoding="utf-8") as handle:
            result = json.load(handle)
        return result if sha256_file(result["release"]["path"]) == result["release"]["sha256"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_and_pack(path, domain, max_bytes, max_files, out_dir):
    """check() and write_release(), or their kept result: a rerun with the same bundle reads no entry and packs
    nothing (about a second and a half of a 16 MB bundle's 8,700 entries)."""
    record = checked_file(out_dir, sha256_file(path), domain, max_bytes, max_files)
    result = read_checked(record)
    if result is None:
        result = check(path, domain, max_bytes, max_files)
        result["release"] = write_release(path, result["site"], result["sha256"], out_dir)
        os.makedirs(os.path.dirname(record), mode=0o700, exist_ok=True)
        partial = "%s.%d.part" % (record, os.getpid())
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        os.replace(partial, record)
    return result


def main(argv=None):
    """check_bundle.py [--answer-json] BUNDLE DOMAIN MAX_BYTES MAX_FILES [RELEASE_DIR]

    Prints the bundle's facts as JSON. A bad bundle: its problem on standard error and exit status 1, or with
    --answer-json {"error": PROBLEM} on standard output and exit status 0 (read that way by the role's one lookup,
    which keeps only standard output)."""
    args = list(sys.argv[1:] if argv is None else argv)
    answer_json = bool(args) and args[0] == "--answer-json"
    args = args[1:] if answer_json else args
    if len(args) not in (4, 5):
        sys.stderr.write("usage: check_bundle.py [--answer-json] BUNDLE DOMAIN MAX_BYTES MAX_FILES [RELEASE_DIR]\n")
        return 2
    problem, result = checked(args)
    if problem is not None:
        if answer_json:
            print(json.dumps({"error": problem}))
            return 0
        sys.stderr.write(problem + "\n")
        return 1
    if not posixpath.basename(args[0]).startswith(result["site"]):
        sys.stderr.write("note: the file name %s differs from its top folder %s/\n" % (posixpath.basename(args[0]), result["site"]))
    print(json.dumps(result))
    return 0


def checked(args):
    """(problem, None) or (None, the bundle's facts) for the command line's BUNDLE DOMAIN MAX_BYTES MAX_FILES [RELEASE_DIR]."""
    path, domain = args[0], args[1]
    try:
        if len(args) == 5:
            return None, check_and_pack(path, domain, int(args[2]), int(args[3]), args[4])
        return None, check(path, domain, int(args[2]), int(args[3]))
    except BundleNotFound as exc:
        return str(exc), None
    except (BundleError, zipfile.BadZipFile, OSError) as exc:
        return "bundle %s: %s" % (path, exc), None
    except Exception as exc:  # pylint: disable=broad-except  # any input gets a message, never a traceback
        return ("bundle %s: could not be checked (%s: %s); this is a bug in check_bundle.py, please report it"
                % (path, type(exc).__name__, exc)), None


if __name__ == "__main__":
    sys.exit(main())
