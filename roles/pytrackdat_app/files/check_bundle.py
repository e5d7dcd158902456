"""Check a PyTrackDat production bundle (<site>.zip) on the control node before anything touches a server.

Usage: check_bundle.py BUNDLE DOMAIN MAX_BYTES MAX_FILES
Prints one JSON object (site, sha256, models_sha256, services, proxy_service, builds, allowed_hosts) on success.
On a bad bundle prints "bundle <path>: <what is wrong>" lines on stderr and exits 1; never a traceback.
"""

import ast
import hashlib
import json
import posixpath
import stat
import sys
import zipfile

REQUIRED = ("Dockerfile", "docker-compose.yml", "nginx.conf", "manage.py", "db.sqlite3")
MODEL_FILES_PREFIXES = ("core/models.py", "core/migrations/")


class BundleError(Exception):
    pass


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_members(archive, max_bytes, max_files):
    infos = archive.infolist()
    if len(infos) > max_files:
        raise BundleError("%d entries, more than the limit of %d (pytrackdat_app_bundle_max_files)" % (len(infos), max_files))
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise BundleError("unpacks to %d bytes, more than the limit of %d (pytrackdat_app_bundle_max_mb)" % (total, max_bytes))
    problems, tops = [], set()
    for info in infos:
        name = info.filename
        mode = info.external_attr >> 16
        if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
            problems.append("absolute path %r" % name)
            continue
        parts = name.replace("\\", "/").split("/")
        if ".." in parts:
            problems.append("path with '..' %r (zip-slip)" % name)
            continue
        if stat.S_ISLNK(mode):
            problems.append("symbolic link %r" % name)
            continue
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            problems.append("special file (device, fifo or socket) %r" % name)
            continue
        tops.add(parts[0])
    if problems:
        raise BundleError("unsafe entries: " + "; ".join(problems[:10]))
    if len(tops) != 1:
        raise BundleError("needs exactly one top folder (<site>/), found: %s" % ", ".join(sorted(tops)) or "nothing")
    return tops.pop()


def read_text(archive, name):
    try:
        return archive.read(name).decode("utf-8")
    except KeyError:
        return None


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


def compose_services(source):
    import yaml  # pylint: disable=import-outside-toplevel
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise BundleError("docker-compose.yml is not valid YAML: %s" % str(exc).splitlines()[0]) from exc
    services = (data or {}).get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise BundleError("docker-compose.yml defines no services")
    proxy, build = None, {}
    for name, service in services.items():
        service = service or {}
        spec = service.get("build")
        if spec:
            spec = {"context": spec} if isinstance(spec, str) else dict(spec)
            build[name] = {"context": str(spec.get("context", ".")), "dockerfile": str(spec.get("dockerfile", "Dockerfile")),
                           "image": service.get("image")}
        for port in service.get("ports") or []:
            target = str(port.get("target")) if isinstance(port, dict) else str(port).rsplit(":", maxsplit=1)[-1]
            target = target.split("/", maxsplit=1)[0]
            if target == "80":
                proxy = name
    if proxy is None:
        raise BundleError("docker-compose.yml has no service publishing container port 80 (the bundle's web proxy)")
    return sorted(services), proxy, build


def check(path, domain, max_bytes, max_files):
    if not zipfile.is_zipfile(path):
        raise BundleError("is not a zip archive (expected the <site>.zip made by ptd-generate)")
    with zipfile.ZipFile(path) as archive:
        site = check_members(archive, max_bytes, max_files)
        names = set(archive.namelist())
        missing = [f for f in REQUIRED if site + "/" + f not in names]
        if not any(n.startswith(site + "/snapshots/") for n in names):
            missing.append("snapshots/")
        if missing:
            raise BundleError("top folder %s/ lacks %s" % (site, ", ".join(missing)))
        settings_name = "%s/%s/settings.py" % (site, site)
        settings = read_text(archive, settings_name)
        if settings is None:
            raise BundleError("lacks %s (the Django settings of site %s)" % (settings_name, site))
        try:
            hosts = allowed_hosts(settings)
        except SyntaxError as exc:
            raise BundleError("%s does not parse: %s" % (settings_name, exc)) from exc
        if hosts is None:
            raise BundleError("%s sets no literal ALLOWED_HOSTS list" % settings_name)
        if domain not in hosts and "*" not in hosts:
            raise BundleError("ALLOWED_HOSTS in %s is %s and does not contain %r: the site would answer HTTP 400 to every "
                              "request. Regenerate the bundle with that site URL, or set pytrackdat_app_domain to one of them"
                              % (settings_name, hosts, domain))
        services, proxy, build = compose_services(read_text(archive, site + "/docker-compose.yml"))
        models = hashlib.sha256()
        for name in sorted(names):
            rel = name[len(site) + 1:]
            if rel.startswith(MODEL_FILES_PREFIXES) and rel.endswith(".py"):
                models.update(rel.encode() + b"\0" + code_meaning(archive.read(name)) + b"\0")
    return {"site": site, "sha256": sha256_file(path), "models_sha256": models.hexdigest(), "services": services,
            "proxy_service": proxy, "builds": build, "allowed_hosts": hosts}


def code_meaning(source):
    """Python code without its comments and layout. makemigrations stamps '# Generated by Django X on <time>' into
    0001_initial.py, so the same design generated twice differs in bytes but not in meaning."""
    try:
        return ast.dump(ast.parse(source)).encode("utf-8")
    except (SyntaxError, ValueError):
        return source


def main():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: check_bundle.py BUNDLE DOMAIN MAX_BYTES MAX_FILES\n")
        return 2
    path, domain = sys.argv[1], sys.argv[2]
    try:
        result = check(path, domain, int(sys.argv[3]), int(sys.argv[4]))
    except (BundleError, zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        sys.stderr.write("bundle %s: %s\n" % (path, exc))
        return 1
    if not posixpath.basename(path).startswith(result["site"]):
        sys.stderr.write("note: the file name %s differs from its top folder %s/\n" % (posixpath.basename(path), result["site"]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
