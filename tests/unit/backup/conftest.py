# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the ptd-backup tests: a PyTrackDat-shaped SQLite site in a temp dir, the tool run as a
command (as systemd and Ansible run it), and a moto S3 server on loopback."""

import hashlib
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys

import pytest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "pytrackdat_backup", "files", "ptd_backup.py")
TOOL = os.path.abspath(TOOL)
ROWS = 250


def load_tool():
    if os.path.dirname(TOOL) not in sys.path:  # its modules beside it, as on the server
        sys.path.insert(0, os.path.dirname(TOOL))
    spec = importlib.util.spec_from_file_location("ptd_backup", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def canonical_dump(db_path):
    con = sqlite3.connect(db_path)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def make_site_db(path, rows=ROWS):
    """A database shaped like a generated PyTrackDat site: core_site <- core_sample (foreign key)."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE core_site (site_name varchar(255) PRIMARY KEY, latitude decimal NOT NULL);
        CREATE TABLE core_sample (id integer PRIMARY KEY AUTOINCREMENT, date date NOT NULL, sex varchar(1) NULL,
                                  site_id varchar(255) NOT NULL REFERENCES core_site (site_name));
        CREATE TABLE auth_user (id integer PRIMARY KEY AUTOINCREMENT, username varchar(150) UNIQUE NOT NULL);
        INSERT INTO auth_user (username) VALUES ('admin');
    """)
    con.executemany("INSERT INTO core_site VALUES (?, ?)", [("site%02d" % i, 45.0 + i / 7.0) for i in range(10)])
    con.executemany("INSERT INTO core_sample (date, sex, site_id) VALUES (?, ?, ?)",
                    [("2026-%02d-%02d" % (1 + i % 12, 1 + i % 28), "FMU"[i % 3], "site%02d" % (i % 10)) for i in range(rows)])
    con.commit()
    con.close()


class Site:
    """A site's files and a runner for `ptd-backup` against them."""

    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "opt", "site", "data")
        self.db = os.path.join(self.data, "db.sqlite3")
        self.snapshots = os.path.join(self.data, "snapshots")
        self.backups = os.path.join(root, "backups")
        self.bundle = os.path.join(root, "opt", "site", "bundle.zip")
        os.makedirs(self.snapshots)
        make_site_db(self.db)
        with open(os.path.join(self.snapshots, "snapshot_1.json"), "w", encoding="utf-8") as handle:
            json.dump({"rows": ROWS}, handle)
        with open(self.bundle, "wb") as handle:
            handle.write(b"PK fake bundle")
        self.config = os.path.join(root, "backup.ini")
        self.write_config()

    def write_config(self, extra="", mode=0o600, keep_daily=7, keep_weekly=4):
        with open(self.config, "w", encoding="utf-8") as handle:
            handle.write("[backup]\nsite = demo\ndb = %s\nsnapshots = %s\nbackup_dir = %s\nextra_paths = %s\n"
                         "owner_uid = 1000\nowner_gid = 2000\nkeep_daily = %d\nkeep_weekly = %d\n%s"
                         % (self.db, self.snapshots, self.backups, self.bundle, keep_daily, keep_weekly, extra))
        os.chmod(self.config, mode)

    def run(self, *args, env=None, check=True):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PTD_BACKUP_"))}
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, TOOL, "--config", self.config, "--json"] + list(args),
                              capture_output=True, text=True, env=full_env, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("ptd-backup %s failed (%d): %s" % (" ".join(args), proc.returncode, proc.stderr))
        proc.result = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
        return proc


@pytest.fixture
def site(tmp_path):
    return Site(str(tmp_path))


@pytest.fixture
def tool():
    return load_tool()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 on 127.0.0.1, an ephemeral port; yields the endpoint URL."""
    from moto.server import ThreadedMotoServer  # pylint: disable=import-outside-toplevel
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield "http://%s:%d" % (host, port)
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, request):
    """A fresh bucket in the moto server and the env the tool needs to reach it (keys via env, never argv)."""
    import boto3  # pylint: disable=import-outside-toplevel
    name = "ptd-" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=name)
    env = {"PTD_BACKUP_S3_ENDPOINT": s3_server, "PTD_BACKUP_S3_BUCKET": name, "PTD_BACKUP_S3_REGION": "us-east-1",
           "PTD_BACKUP_S3_ACCESS_KEY": "testing", "PTD_BACKUP_S3_SECRET_KEY": "testing"}
    return client, name, env
