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

REQUIRED = ("Dockerfile", "docker-compose.yml", "nginx.conf", "manage.py", "db.sqlite3")
MODEL_FILES_PREFIXES = ("core/models.py", "core/migrations/")
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
# Host folders whose mount hands the container the server itself (named in the message; every host path is refused).
SYSTEM_FOLDERS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run", "/var/lib/docker",
                  "/usr", "/bin", "/sbin", "/lib", "/lib64", "/home", "/var", "/srv", "/opt", "/tmp")
NAMESPACE_KEYS = ("pid", "ipc", "network_mode", "uts", "userns_mode", "cgroup")
LIST_KEYS = {"cap_add": "extra kernel capabilities", "devices": "the server's devices",
             "device_cgroup_rules": "access to the server's devices"}
BIND_FREE_VOLUME_TYPES = ("volume", "tmpfs", "image", "npipe", "cluster")
FALSE_WORDS = ("false", "no", "off", "n", "0", "")
URL_CONTEXT = re.compile(r"^([a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)


class BundleError(Exception):
    pass


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
                          "request. Regenerate the bundle with that site URL, or set pytrackdat_app_domain to one of them"
                          % (settings_name, hosts, domain))
    return hosts


# --- docker-compose.yml ------------------------------------------------------------------------------------------

def load_compose(source):
    """docker-compose.yml as a dict with a non-empty services mapping; YAML errors keep their line and column."""
    import yaml  # pylint: disable=import-outside-toplevel
    try:
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        raise BundleError("docker-compose.yml is not valid YAML: %s" % yaml_error(exc)) from exc
    except yaml.YAMLError as exc:
        raise BundleError("docker-compose.yml is not valid YAML: %s" % " ".join(str(exc).split())) from exc
    except RecursionError as exc:
        raise BundleError("docker-compose.yml nests too deeply to be a compose file") from exc
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise BundleError("docker-compose.yml defines no services (it needs a 'services:' mapping)")
    for name, service in services.items():
        if service is not None and not isinstance(service, dict):
            raise BundleError("docker-compose.yml: service %r is %s, not a mapping of settings" % (name, type(service).__name__))
    return data


def yaml_error(exc):
    """'line L, column C: problem (context at line L2, column C2)', 1-based like PyYAML's own rendering."""
    mark = exc.problem_mark or exc.context_mark
    text = exc.problem or exc.context or "error"
    if mark is not None:
        text = "line %d, column %d: %s" % (mark.line + 1, mark.column + 1, text)
    if exc.context and exc.problem and exc.context_mark is not None:
        text += " (%s, which starts at line %d, column %d)" % (exc.context, exc.context_mark.line + 1,
                                                               exc.context_mark.column + 1)
    return text


def as_list(service_name, service, key):
    value = service.get(key)
    if value is None:
        return []
    if isinstance(value, dict) and key in ("env_file",):
        return [value]
    if isinstance(value, str) and key in ("env_file", "security_opt"):
        return [value]
    if not isinstance(value, list):
        raise BundleError("docker-compose.yml: %s of service %r must be a list, not %s"
                          % (key, service_name, type(value).__name__))
    return value


def host_path_problem(path):
    """Why a host path named in docker-compose.yml is not inside the bundle's own folder, or None."""
    if not isinstance(path, str) or not path:
        return "is not a path"
    if "$" in path:
        return "uses a variable, so where it points cannot be checked"
    if path.startswith("~"):
        return "is in a home folder of the server"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        clean = posixpath.normpath(path.replace("\\", "/"))
        if clean in ("/", "//"):
            return "is the server's root folder (the container could read and change the whole server)"
        if clean.endswith("/docker.sock"):
            return "is Docker's socket (the container could start any container, as root on the server)"
        if any(clean == folder or clean.startswith(folder + "/") for folder in SYSTEM_FOLDERS):
            return "is a system folder of the server (the container could read or change the server itself)"
        return "is a folder of the server outside the bundle"
    clean = posixpath.normpath(path)
    if clean == ".." or clean.startswith("../"):
        return "leaves the bundle's folder"
    return None


def is_host_path(source):
    return isinstance(source, str) and (source.startswith((".", "/", "~", "\\")) or "$" in source
                                        or re.match(r"^[A-Za-z]:[\\/]", source) is not None)


def volume_problems(name, service):
    problems = []
    for volume in as_list(name, service, "volumes"):
        if isinstance(volume, str):
            source = volume.split(":", 1)[0] if ":" in volume else None
            bind = source is not None and is_host_path(source)
        elif isinstance(volume, dict):
            source = volume.get("source")
            bind = volume.get("type") not in BIND_FREE_VOLUME_TYPES or is_host_path(source)
        else:
            problems.append("service %r: volume entry %r is neither 'source:target' nor a mapping: remove or fix it"
                            % (name, volume))
            continue
        why = host_path_problem(source) if bind else None
        if why:
            problems.append("service %r mounts %r from the server, which %s: remove it" % (name, source, why))
    for origin in as_list(name, service, "volumes_from"):
        if not isinstance(origin, str) or origin.startswith("container:") or "$" in origin:
            problems.append("service %r takes volumes_from %r, a container outside the bundle: remove it" % (name, origin))
    return problems


def privilege_problems(name, service):
    problems = []
    privileged = service.get("privileged")
    if privileged not in (None, False) and str(privileged).strip().lower() not in FALSE_WORDS:
        problems.append("service %r asks for privileged: %s, which makes the container root on the server: remove it"
                        % (name, json.dumps(privileged)))
    for key, what in LIST_KEYS.items():
        values = as_list(name, service, key)
        if values:
            problems.append("service %r asks for %s: %s (%s): remove it"
                            % (name, key, ", ".join(str(v) for v in values), what))
    for key in NAMESPACE_KEYS:
        value = service.get(key)
        text = str(value).strip().lower() if value is not None else ""
        if text == "host" or text.startswith("container:") or "$" in text or (value is not None and not isinstance(value, str)):
            problems.append("service %r asks for %s: %s, which shares the %s of %s: remove it"
                            % (name, key, value, key.replace("_mode", ""),
                               "the server" if text == "host" else "a container outside the bundle"))
    for option in as_list(name, service, "security_opt"):
        text = str(option).lower()
        if "unconfined" in text or ("label" in text and "disable" in text):
            problems.append("service %r asks for security_opt: %s, which switches off the container's confinement: "
                            "remove it" % (name, option))
    return problems


def file_problems(name, service):
    """Files and build contexts a service reads from the server: they must be inside the bundle."""
    problems = []
    build = service.get("build")
    if build is not None and not isinstance(build, (str, dict)):
        raise BundleError("docker-compose.yml: build of service %r must be a path or a mapping" % name)
    build = {"context": build} if isinstance(build, str) else (build or {})
    context = build.get("context", ".")
    if not (isinstance(context, str) and URL_CONTEXT.match(context)):
        why = host_path_problem(context)
        if why:
            problems.append("service %r builds from %r, which %s: build from the bundle's folder ('.')" % (name, context, why))
    contexts = build.get("additional_contexts") or {}
    for path in (contexts.values() if isinstance(contexts, dict) else contexts):
        if isinstance(path, str) and not URL_CONTEXT.match(path) and not path.startswith(("docker-image://", "service:")):
            why = host_path_problem(path)
            if why:
                problems.append("service %r builds with context %r, which %s: remove it" % (name, path, why))
    for env_file in as_list(name, service, "env_file"):
        path = env_file.get("path") if isinstance(env_file, dict) else env_file
        why = host_path_problem(path)
        if why:
            problems.append("service %r reads env_file %r, which %s: remove it" % (name, path, why))
    extends = service.get("extends")
    if isinstance(extends, dict) and extends.get("file") is not None:
        problems.append("service %r extends a service of another file (%r), which this check cannot see: put it in "
                        "docker-compose.yml, or remove it" % (name, extends.get("file")))
    return problems


def top_level_problems(data):
    problems = []
    if data.get("include") is not None:
        problems.append("docker-compose.yml includes other compose files, which this check cannot see: remove include")
    volumes = data.get("volumes") or {}
    for name, volume in (volumes.items() if isinstance(volumes, dict) else ()):
        volume = volume if isinstance(volume, dict) else {}
        options = volume.get("driver_opts") if isinstance(volume.get("driver_opts"), dict) else {}
        if options.get("device") is not None:
            problems.append("volume %r binds %r from the server (driver_opts device): remove its driver_opts"
                            % (name, options.get("device")))
        elif volume.get("external") not in (None, False) or volume.get("name") is not None:
            problems.append("volume %r is not the bundle's own (external or a fixed name: it may hold another site's or "
                            "Caddy's data): remove external/name" % name)
    for kind in ("secrets", "configs"):
        entries = data.get(kind) or {}
        for name, entry in (entries.items() if isinstance(entries, dict) else ()):
            path = entry.get("file") if isinstance(entry, dict) else None
            why = host_path_problem(path) if path is not None else None
            if why:
                problems.append("%s %r reads the file %r, which %s: remove it" % (kind[:-1], name, path, why))
    return problems


def service_problems(name, service):
    return privilege_problems(name, service) + volume_problems(name, service) + file_problems(name, service)


def ports_target(port):
    if isinstance(port, dict):
        return str(port.get("target"))
    return str(port).rsplit(":", maxsplit=1)[-1].split("/", maxsplit=1)[0]


def compose_services(source):
    data = load_compose(source)
    services = {name: service or {} for name, service in data["services"].items()}
    problems = top_level_problems(data)
    for name, service in services.items():
        problems += service_problems(name, service)
    if problems:
        raise BundleError("docker-compose.yml gives containers access to the server itself; a PyTrackDat site needs "
                          "none of this (its own mounts, such as .:/code and ./static:/static, stay inside the bundle):\n"
                          + "\n".join("  - " + problem for problem in problems[:20]))
    proxy, build = None, {}
    for name, service in services.items():
        spec = service.get("build")
        if spec:
            spec = {"context": spec} if isinstance(spec, str) else dict(spec)
            build[name] = {"context": str(spec.get("context", ".")), "dockerfile": str(spec.get("dockerfile", "Dockerfile")),
                           "image": service.get("image")}
        if any(ports_target(port) == "80" for port in as_list(name, service, "ports")):
            proxy = name
    if proxy is None:
        raise BundleError("docker-compose.yml has no service publishing container port 80 (the bundle's web proxy)")
    return sorted(services), proxy, build


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
        models = hashlib.sha256()
        for name in sorted(names):
            rel = name[len(site) + 1:]
            if rel.startswith(MODEL_FILES_PREFIXES) and rel.endswith(".py"):
                models.update(rel.encode() + b"\0" + code_meaning(archive.read(name)) + b"\0")
        design = design_fields(archive.read(site + "/core/models.py")) if site + "/core/models.py" in names else {}
    return {"site": site, "sha256": sha256_file(path), "models_sha256": models.hexdigest(), "design": design,
            "services": services, "proxy_service": proxy, "builds": build, "allowed_hosts": hosts}


def design_fields(source):
    """{table: {field: "FieldType"}} from core/models.py, tables named as Django names them (core_<model>): what a
    user sees of a design change."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    design = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = {}
        for item in node.body:
            if (isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)
                    and isinstance(item.value, ast.Call) and isinstance(item.value.func, ast.Attribute)):
                fields[item.targets[0].id] = item.value.func.attr
        design["core_" + node.name.lower()] = fields
    return design


def code_meaning(source):
    """Python code without its comments and layout. makemigrations stamps '# Generated by Django X on <time>' into
    0001_initial.py, so the same design generated twice differs in bytes but not in meaning."""
    try:
        return ast.dump(ast.parse(source)).encode("utf-8")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source


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
    partial = target + ".part"
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


def main():
    if len(sys.argv) not in (5, 6):
        sys.stderr.write("usage: check_bundle.py BUNDLE DOMAIN MAX_BYTES MAX_FILES [RELEASE_DIR]\n")
        return 2
    path, domain = sys.argv[1], sys.argv[2]
    try:
        result = check(path, domain, int(sys.argv[3]), int(sys.argv[4]))
        if len(sys.argv) == 6:
            result["release"] = write_release(path, result["site"], result["sha256"], sys.argv[5])
    except BundleNotFound as exc:
        sys.stderr.write("%s\n" % exc)
        return 1
    except (BundleError, zipfile.BadZipFile, OSError) as exc:
        sys.stderr.write("bundle %s: %s\n" % (path, exc))
        return 1
    except Exception as exc:  # pylint: disable=broad-except  # any input gets a message, never a traceback
        sys.stderr.write("bundle %s: could not be checked (%s: %s); this is a bug in check_bundle.py, please report it\n"
                         % (path, type(exc).__name__, exc))
        return 1
    if not posixpath.basename(path).startswith(result["site"]):
        sys.stderr.write("note: the file name %s differs from its top folder %s/\n" % (posixpath.basename(path), result["site"]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
