# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state stamp's one shell program, and how its answer is read: one home for both users of it.

The state_stamp action sends the program over the task's connection to /bin/sh (no Python starts on the host: a
module run costs about 0.25 s of the host's CPU, this about 0.02 s); the module runs the same program with
run_command. Both read the answer with ``compare``, so the digest, the stamp and the reasons are the same either way.

The program runs the role's state script with ``sh -c`` (LC_ALL=C, stdin /dev/null, stderr merged into stdout) after
the ``files`` helper, and digests its output and exit status on the host with sha256sum. It prints two lines:

    stamp: <the stamp file's first line, or nothing>
    state: <64 hex digits>

then, for each file it was asked to read, ``read: N <its content in base64>`` (``read: N -`` when it is not a regular
file), and, asked to record, first writes ``KEY DIGEST`` to the stamp (umask 077: the folders it makes are 0700 and the
file 0600; written to a temporary file in the same folder, then renamed over the stamp).
"""

from __future__ import annotations

import base64
import re
import shlex

# files PATH...: "PATH absent" for each missing one, then one stat for all that exist and one sha256sum for the regular
# files among them (two processes per call, not two per file: a rerun's state scripts list about 60 paths).
FILES_HELPER = """files() { ptd_n=$#; for f in "$@"; do if [ -e "$f" ]; then set -- "$@" "$f"; else echo "$f absent"; fi; \
done; shift "$ptd_n"; [ $# -eq 0 ] || stat -c '%n %F %a %U %G' -- "$@"; ptd_n=$#; for f in "$@"; do [ ! -f "$f" ] || \
set -- "$@" "$f"; done; shift "$ptd_n"; [ $# -eq 0 ] || sha256sum -- "$@"; }
"""

KEY_WORD = re.compile(r"^\S+$")
DIGEST = re.compile(r"^[0-9a-f]{64}$")

# Exit codes of the program itself (the state script's own status is part of the digest, never an error).
_NO_SHA256SUM, _NO_WRITE, _NO_BASE64 = 70, 71, 72


def args_problem(key, path, read=()):
    """Why the arguments cannot be used, or None: the key is written to the stamp as one word, and the stamp and the
    files to read are paths on the host, so absolute (the action and the module check the same)."""
    if not isinstance(key, str) or not KEY_WORD.match(key):
        return "state_stamp: key must be one word (a digest), got %r" % (key,)
    return next(("state_stamp: %s must be absolute on the host, got %r" % (what, name)
                 for what, name in [("path", path)] + [("read", name) for name in read] if not name.startswith("/")), None)


def program(script, path, key=None, read=()):
    """The shell program that digests the state `script` prints and reads the stamp at `path`; with `key`, it first
    records `key` and the digest there. Each file in `read` is then printed, base64 on one line ("read: N TEXT"), or
    "read: N -" when it is not a regular file."""
    folder = path.rsplit("/", 1)[0] or "/"
    lines = [
        "{",
        "LC_ALL=C; LANG=C; export LC_ALL LANG",
        "ptd_script=%s" % shlex.quote(FILES_HELPER + script),
        'ptd_digest=$( { sh -c "$ptd_script" </dev/null 2>&1; echo "--- rc $?"; } | sha256sum ) '
        "|| { echo 'state_stamp: sha256sum failed on the host' >&2; exit %d; }" % _NO_SHA256SUM,
        'ptd_digest=${ptd_digest%% *}',
    ]
    if key is not None:
        lines += [
            "umask 077",
            "ptd_tmp=''",
            "mkdir -p %s && ptd_tmp=$(mktemp %s) && printf '%%s %%s\\n' %s \"$ptd_digest\" > \"$ptd_tmp\" "
            "&& mv -f \"$ptd_tmp\" %s || { [ -z \"$ptd_tmp\" ] || rm -f \"$ptd_tmp\"; "
            "echo state_stamp: cannot write the stamp %s >&2; exit %d; }"
            % (shlex.quote(folder), shlex.quote(folder + "/.stamp.XXXXXX"), shlex.quote(key), shlex.quote(path),
               shlex.quote(path), _NO_WRITE),
        ]
    lines += [
        "printf 'stamp: '; head -n 1 %s 2>/dev/null; echo" % shlex.quote(path),
        'printf \'state: %s\\n\' "$ptd_digest"',
    ]
    for number, name in enumerate(read):
        lines.append("if [ -f {0} ]; then printf 'read: {1} '; base64 -w 0 < {0} || exit {2}; echo; else echo 'read: {1} -'; fi"
                     .format(shlex.quote(name), number, _NO_BASE64))
    lines.append("}")
    return "\n".join(lines) + "\n"


def compare(rc, stdout, stderr, key, record=False, read=()):
    """The result (converged, reason, state_digest, the key compared: the role's later record passes it back, and the
    text of each file in `read`, None when it was not there) from the program's answer, or (None, message) when it
    failed."""
    stamp_line, digest, found = None, None, {}
    for line in stdout.splitlines():
        if line.startswith("stamp: ") or line == "stamp:":
            stamp_line = line[len("stamp:"):].strip()
        elif line.startswith("state: "):
            digest = line[len("state: "):].strip()
        elif line.startswith("read: "):
            number, _space, text = line[len("read: "):].partition(" ")
            found[number] = None if text == "-" else base64.b64decode(text).decode("utf-8", "replace")
    if rc != 0 or stamp_line is None or not digest or not DIGEST.match(digest) or len(found) != len(read):
        return None, "state_stamp: the state command failed (rc %s): %s" % (rc, (stderr or stdout).strip()[-2000:])
    contents = {name: found[str(number)] for number, name in enumerate(read)}
    if record:
        return {"converged": False, "reason": "recorded", "state_digest": digest, "key": key, "contents": contents}, None
    stamp = stamp_line.split()
    if len(stamp) != 2:
        reason = "no stamp"
    elif stamp[0] != key:
        reason = "inputs changed"
    elif stamp[1] != digest:
        reason = "state changed"
    else:
        reason = "unchanged"
    return {"converged": reason == "unchanged", "reason": reason, "state_digest": digest, "key": key,
            "state_unchanged": len(stamp) == 2 and stamp[1] == digest, "contents": contents}, None
