# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upload action's one shell program, and how its answer is read (see the upload module's docs).

The file travels inside the program, base64 in a here-document, on the program's standard input: never on a command
line (where `ps` shows it) nor in a log. The program compares the host's copy with the file's SHA-256 first; it writes
only when they differ, through a private temporary file in the destination folder that it checks and renames into
place. It prints one line: ``written``, ``attributes`` (content right, mode or owner put back) or ``unchanged``; in
check mode (no file sent) ``would write``, ``would set attributes`` or ``unchanged``.
"""

from __future__ import annotations

import base64
import re
import shlex

MODE = re.compile(r"^0?[0-7]{3,4}$")
END = "PTD_UPLOAD_DATA_END"  # base64 lines never hold an underscore
ANSWERS = {"written": (True, True), "attributes": (True, False), "unchanged": (False, False),
           "would write": (True, True), "would set attributes": (True, False)}
_DAMAGED, _NO_WRITE = 76, 77


def program(dest, digest, mode, owner=None, group=None, data=None):
    """The shell program that puts `data` (bytes, whose SHA-256 is `digest`) at `dest` with `mode`, `owner` and
    `group`; without data (check mode) it only says what it would do."""
    wanted = "%s %s %s" % (oct(int(mode, 8))[2:], owner or "-", group or "-")
    shown = "%a " + ("%U" if owner else "-") + " " + ("%G" if group else "-")  # stat's format for the same three
    # What puts the mode, owner and group on a file: chown and chgrp only for what the task sets.
    setters = [("chown", owner), ("chgrp", group)]
    fix = " && ".join(['chmod %s "$1"' % mode] + ['%s %s "$1"' % (cmd, shlex.quote(name)) for cmd, name in setters if name])
    folder = dest.rsplit("/", 1)[0] or "/"
    lines = [
        "{",
        "LC_ALL=C; export LC_ALL; umask 077",
        "ptd_dest=%s; ptd_sum=%s" % (shlex.quote(dest), digest),
        # What the host has: the content's digest (a regular file, not a link) and its mode, owner and group (the last
        # two as '-' when the task does not set them).
        'ptd_have=""; ptd_attrs=""',
        'if [ -f "$ptd_dest" ] && [ ! -L "$ptd_dest" ]; then ptd_have=$(sha256sum < "$ptd_dest") || exit 1; '
        'ptd_have=${ptd_have%% *}; ptd_attrs=$(stat -c ' + shlex.quote(shown) + ' -- "$ptd_dest") || exit 1; fi',
        "ptd_fix() { %s; }" % fix,
    ]
    if data is None:
        lines += [
            'if [ "$ptd_have" != "$ptd_sum" ]; then echo "would write"; '
            'elif [ "$ptd_attrs" != %s ]; then echo "would set attributes"; else echo unchanged; fi' % shlex.quote(wanted),
        ]
    else:
        encoded = base64.encodebytes(data).decode("ascii")
        lines += [
            'if [ "$ptd_have" != "$ptd_sum" ]; then',
            "mkdir -p %s || exit %d" % (shlex.quote(folder), _NO_WRITE),
            "ptd_tmp=$(mktemp %s) || exit %d" % (shlex.quote(folder + "/.upload.XXXXXX"), _NO_WRITE),
            'base64 -d > "$ptd_tmp" <<\'%s\'' % END,
            encoded + END,
            'ptd_got=$(sha256sum < "$ptd_tmp"); ptd_got=${ptd_got%% *}',
            'if [ "$ptd_got" != "$ptd_sum" ]; then rm -f "$ptd_tmp"; '
            'echo "upload: the file arrived with SHA-256 $ptd_got, not $ptd_sum" >&2; exit %d; fi' % _DAMAGED,
            'ptd_fix "$ptd_tmp" && mv -f "$ptd_tmp" "$ptd_dest" || { rm -f "$ptd_tmp"; '
            'echo "upload: cannot put the file at $ptd_dest" >&2; exit %d; }' % _NO_WRITE,
            "echo written",
            'elif [ "$ptd_attrs" != %s ]; then ptd_fix "$ptd_dest" || exit %d; echo attributes; '
            "else echo unchanged; fi" % (shlex.quote(wanted), _NO_WRITE),
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def outcome(rc, stdout, stderr):
    """(changed, written) from the program's answer, or raise ValueError with what went wrong."""
    said = stdout.strip().splitlines()[-1:] or [""]
    if rc != 0 or said[0] not in ANSWERS:
        raise ValueError("upload failed on the host (rc %s): %s" % (rc, (stderr or stdout).strip()[-2000:]))
    return ANSWERS[said[0]]
