# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker-compose.yml of a PyTrackDat bundle, checked on the control node (part of check_bundle.py).

A bundle's compose file may only run its own containers on its own files: no host mounts outside the bundle, no
privileges, no namespaces of the server. compose_services() returns the services, the web proxy and the builds.
PyYAML (the control node's, the one Ansible uses) and the standard library only.
"""

import json
import posixpath
import re

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
    """What is wrong with a bundle and what to do: check_bundle.py prints it after "bundle <path>: "."""


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
