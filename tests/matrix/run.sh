#!/usr/bin/env bash
# make matrix: the collection on the ends of its supported ansible-core range (requirements.txt, meta/runtime.yml,
# README "Tested with"); 2.19, in between, is the main venv's and runs in `make sanity` and `make unit`.
#   oldest: ansible-core OLDEST_CORE on this machine's Python 3.11 (a venv in build/matrix): ansible-test sanity and
#           the plugins' unit tests;
#   newest: ansible-core NEWEST_CORE as the control node in a Debian 13 container (python3.13): ansible-test sanity,
#           the plugins' unit tests, and provision + setup run by ansible-runner from an AWX-style folder against the
#           emulator (tests/matrix/newest_core.py);
# plus `ansible-builder create` of execution-environment.yml (tests/matrix/test_execution_environment.py).
# The two lanes run side by side. Wheels are downloaded once into build/matrix/wheels-*; later runs are offline
# (containers here cannot reach PyPI at all).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=$top/build/matrix
OLDEST_CORE=2.17.14
NEWEST_CORE=2.21.5
NEWEST_PIP=25.2   # the pip ansible-test NEWEST_CORE bootstraps in its venvs (get_pip_25_2.py)
# Not run on the matrix's cores: it installs the oldest python-digitalocean and requests from PyPI (unreachable from the
# container) and tests those libraries, not ansible-core. `make unit` runs it.
export LIBRARY_RANGE_TEST="tests/unit/plugins/test_do_api_requests_range.py::test_client_works_on_the_oldest_and_newest_allowed_libraries[oldest]"
PY313=(--python-version 3.13 --only-binary=:all: --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
       --platform manylinux_2_28_x86_64 --platform any)
mkdir -p "$out"
t0=$(date +%s)

# download DIR CORE [pip options...]: ansible-core, the collection's and the tests' requirements, ansible-test's
# sanity requirements of that core (read from its wheel); once per DIR and CORE.
download() {
    local dir=$1 core=$2 reqs
    shift 2
    [ -e "$dir/.complete-$core" ] && return
    mkdir -p "$dir"
    pip download -q --disable-pip-version-check -d "$dir" "$@" "ansible-core==$core" -r requirements.txt \
        -r tests/matrix/requirements-test.txt
    reqs=$(mktemp -d)
    python - "$dir/ansible_core-$core-py3-none-any.whl" "$reqs" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith("ansible_test/_data/requirements/sanity.") and name.endswith(".txt"):
            with open(sys.argv[2] + "/" + name.rsplit("/", 1)[1], "wb") as out:
                out.write(wheel.read(name))
PY
    for req in "$reqs"/*.txt; do
        pip download -q --disable-pip-version-check -d "$dir" "$@" -r "$req"
    done
    rm -rf "$reqs"
    touch "$dir/.complete-$core"
}

# The oldest core's venv, installed from its wheels only. ansible-test's own venvs (in ~/.ansible/test/venv) install
# their requirements from PyPI once and are reused after.
oldest_venv() {
    local venv=$out/core-$OLDEST_CORE
    [ -e "$venv/.installed" ] && return
    rm -rf "$venv"
    python3.11 -m venv "$venv"
    "$venv/bin/pip" install -q --no-index --find-links "$out/wheels-311" "ansible-core==$OLDEST_CORE" -r requirements.txt \
        -r tests/matrix/requirements-test.txt
    # community.general, community.docker and ansible.posix: the main venv's (from the `ansible` package).
    ln -sfn "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections" \
        "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections"
    touch "$venv/.installed"
}

lane_oldest() {
    local copy=$out/oldest/ansible_collections/pytrackdat/deploy rc=0
    PATH=$out/core-$OLDEST_CORE/bin:$PATH PTD_SANITY_ROOT=$out/oldest bash tests/sanity/run.sh || rc=1
    rm -rf "$copy/tests/output" "$copy/.git"
    mkdir -p "$copy/.collections/ansible_collections/pytrackdat"
    ln -sfn ../../.. "$copy/.collections/ansible_collections/pytrackdat/deploy"
    (cd "$copy" && "$out/core-$OLDEST_CORE/bin/python" -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup \
        --deselect "$LIBRARY_RANGE_TEST" tests/unit/plugins) || rc=1
    return $rc
}

lane_newest() {
    bash scripts/clean-copy.sh "$out/newest/src/ansible_collections/pytrackdat/deploy"
    python tests/matrix/newest_core.py --core "$NEWEST_CORE" --wheels "$out/wheels-313" --src "$out/newest/src" \
        --state "$out/newest/state"
}

# lane NAME: runs lane_NAME with its output prefixed, and its seconds and exit code in $out/NAME.result
lane() {
    local start rc=0
    start=$(date +%s)
    "lane_$1" > >(sed -u "s/^/[$1] /") 2>&1 || rc=$?
    echo "$rc $(( $(date +%s) - start ))" > "$out/$1.result"
}

download "$out/wheels-311" "$OLDEST_CORE"
download "$out/wheels-313" "$NEWEST_CORE" "${PY313[@]}" ansible-runner==2.4.3 "pip==$NEWEST_PIP"
oldest_venv
echo "--- matrix: downloads and venv ready after $(( $(date +%s) - t0 )) s"
rm -f "$out"/*.result
lane oldest &
lane newest &
ee_rc=0
pytest -q -p no:cacheprovider tests/matrix/test_execution_environment.py || ee_rc=$?
wait
read -r oldest_rc oldest_s < "$out/oldest.result"
read -r newest_rc newest_s < "$out/newest.result"
echo "--- matrix: ansible-core $OLDEST_CORE (Python 3.11): rc $oldest_rc in ${oldest_s} s;" \
     "ansible-core $NEWEST_CORE (Debian 13, Python 3.13, ansible-runner): rc $newest_rc in ${newest_s} s;" \
     "execution environment: rc $ee_rc; total $(( $(date +%s) - t0 )) s"
[ "$oldest_rc" = 0 ] && [ "$newest_rc" = 0 ] && [ "$ee_rc" = 0 ]
