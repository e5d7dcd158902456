# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size limits a maintainer can read by (docs/DEVELOPING.md): no file over 500 lines, no Python function over
60 lines outside the test fixtures' file generators. Vendored, generated and licence texts are not ours to split."""
import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
NOT_OURS = ("COPYING", "CHANGELOG.rst", "changelogs/", "benchmarks/results/", "tests/do_emulator/openapi/")


def tracked(pattern=None):
    args = ["git", "ls-files", "-z"] + ([pattern] if pattern else [])
    out = subprocess.run(args, cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return [name for name in out.split("\0") if name and not name.startswith(NOT_OURS) and (ROOT / name).is_file()]


def test_no_file_is_over_500_lines():
    long_files = []
    for name in tracked():
        try:
            lines = (ROOT / name).read_text(encoding="utf-8").count("\n")
        except UnicodeDecodeError:
            continue  # binary (screenshots, gzipped spec)
        if lines > MAX_FILE_LINES:
            long_files.append((name, lines))
    assert not long_files, f"split these files (over {MAX_FILE_LINES} lines): {long_files}"


def test_no_python_function_is_over_60_lines():
    long_functions = []
    for name in tracked("*.py"):
        if name.startswith("tests/fixtures/"):
            continue
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"), filename=name)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append((name, node.name, length))
    assert not long_functions, f"split these functions (over {MAX_FUNCTION_LINES} lines): {long_functions}"
