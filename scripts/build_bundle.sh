#!/usr/bin/env bash
# Builds the one-folder installer bundle (dist/tumorpredict/) with the venv's PyInstaller, then
# checks it the way a clinic computer would run it: `tumorpredict self-test` from a bare
# environment with no Python on PATH. Prints the bundle size, the self-test time and the cold
# start to the sign-in window. Exits non-zero when the self-test fails or the bundle is too big.
#
#   bash scripts/build_bundle.sh            (CI calls it after the tests; needs .venv with the dev extra)
#   PYTHON=/path/to/python bash scripts/build_bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_MB=350
PYTHON="${PYTHON:-.venv/bin/python}"
BUNDLE_DIR=dist/tumorpredict
PROGRAM="$BUNDLE_DIR/tumorpredict"

say() { printf '[build_bundle] %s\n' "$*"; }
now_ms() { "$PYTHON" -c 'import time; print(int(time.time() * 1000))'; }  # BSD date has no %N
fail() { printf '[build_bundle] FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$PYTHON" ] || fail "no Python at $PYTHON (run: python3 bootstrap.py test, or set PYTHON)"
"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 \
  || fail "PyInstaller is not installed in $PYTHON's environment (pip install -e '.[dev]')"

# Qt's xcb platform plugin links these; without them PyInstaller cannot bundle what it needs and
# the bundle would only run offscreen. Installed only where we may (root on Debian/Ubuntu CI).
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ "${TUMORPREDICT_SKIP_APT:-0}" != 1 ]; then
  xcb_libs="libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0"
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $xcb_libs \
      </dev/null >/dev/null 2>&1
  }
  apt_install || { apt-get update -qq </dev/null >/dev/null 2>&1 && apt_install; } \
    || say "note: the xcb libraries could not be installed; the bundle may then need them on the target"
fi

say "building $BUNDLE_DIR with $("$PYTHON" -m PyInstaller --version 2>/dev/null | tail -1)"
build_started=$(date +%s)
rm -rf "$BUNDLE_DIR"
nice -n 5 "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build_installer.spec </dev/null \
  || fail "PyInstaller could not build the bundle"
say "built in $(( $(date +%s) - build_started )) s"
[ -x "$PROGRAM" ] || fail "$PROGRAM was not produced"

size_mb=$(du -sm "$BUNDLE_DIR" | cut -f1)

# A bare environment: no Python, no venv, no PYTHONPATH, no display, a fresh HOME and data dir.
check_home=$(mktemp -d "${TMPDIR:-/tmp}/tumorpredict-selftest-XXXXXX")
trap 'rm -rf "$check_home"' EXIT
say "self-test from a clean environment (env -i, HOME=$check_home)"
selftest_started=$(now_ms)
set +e
selftest_output=$(env -i PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen HOME="$check_home" \
  "$PROGRAM" self-test </dev/null 2>"$check_home/selftest.err")
selftest_code=$?
set -e
selftest_ms=$(( $(now_ms) - selftest_started ))
printf '%s\n' "$selftest_output"
if [ "$selftest_code" != 0 ]; then
  cat "$check_home/selftest.err" >&2
  fail "the bundled self-test exited with $selftest_code"
fi
case "$selftest_output" in
  *"self-test passed"*) ;;
  *) fail "the bundled self-test did not report success" ;;
esac

say "cold start to the sign-in window (bundle, 3 runs, bare environment)"
set +e
start_report=$("$PYTHON" benchmarks/bench_startup.py --only bundle --runs 3 --bundle "$PROGRAM" </dev/null 2>&1)
start_code=$?
set -e
printf '%s\n' "$start_report"
case "$start_code" in
  0) ;;
  2) say "note: the cold start is above the 3 s target" ;;
  *) fail "the bundle did not reach its sign-in window" ;;
esac

say "bundle size:       ${size_mb} MB (limit ${MAX_MB} MB)"
say "self-test:         $(( selftest_ms / 1000 )).$(( (selftest_ms % 1000) / 100 )) s wall (target 10 s)"
say "cold start median: $(printf '%s\n' "$start_report" | sed -n 's/^ *bundle *median \([0-9.]*\) s.*/\1/p') s (target 3 s)"
[ "$size_mb" -le "$MAX_MB" ] || fail "the bundle is ${size_mb} MB, over the ${MAX_MB} MB limit"
say "ok"
