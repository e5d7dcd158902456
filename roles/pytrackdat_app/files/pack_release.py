"""Repack a checked PyTrackDat bundle into the release archive the server receives (control node).

Usage: pack_release.py BUNDLE SITE OUT_ZIP

Leaves out what the server never uses: the build machine's virtualenv (``<site>/site_env/``, ~40 MB and ~8,700
files in PyTrackDat 0.2.1 zips) and compiled Python (``__pycache__/``, ``*.pyc``, built for the build machine's
Python). Every other entry is copied byte for byte. The archive is deterministic (sorted entries, fixed
timestamps), so the same bundle always gives the same release checksum and a rerun ships nothing.
Prints {"sha256", "bytes", "entries", "dropped", "requirements_sha256"} as JSON.
"""

import hashlib
import json
import os
import sys
import zipfile

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def dropped(rel):
    parts = rel.split("/")
    return parts[0] == "site_env" or "__pycache__" in parts or rel.endswith(".pyc")


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    bundle, site, out_zip = sys.argv[1:4]
    kept, skipped, requirements = [], 0, b""
    with zipfile.ZipFile(bundle) as source:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            rel = info.filename[len(site) + 1:]
            if rel and dropped(rel):
                skipped += 1
                continue
            kept.append(info)
        partial = out_zip + ".part"
        os.makedirs(os.path.dirname(os.path.abspath(out_zip)), mode=0o700, exist_ok=True)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for info in kept:
                entry = zipfile.ZipInfo(info.filename, FIXED_TIME)
                entry.external_attr = info.external_attr
                entry.compress_type = zipfile.ZIP_STORED if info.is_dir() else zipfile.ZIP_DEFLATED
                data = b"" if info.is_dir() else source.read(info)
                if info.filename == site + "/requirements.txt":
                    requirements = data
                target.writestr(entry, data)
    os.chmod(partial, 0o600)
    os.replace(partial, out_zip)
    print(json.dumps({"sha256": sha256_file(out_zip), "bytes": os.path.getsize(out_zip), "entries": len(kept),
                      "dropped": skipped, "requirements_sha256": hashlib.sha256(requirements).hexdigest()}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        main()
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        sys.stderr.write("pack_release.py: %s\n" % exc)
        sys.exit(1)
