#!/usr/bin/env bash
# e2e: ringflow as a library. The installed package (cmake --install to a temporary prefix) holds
# the public headers only (no internal/ directory), and they compile against the installed tree
# alone; apps/etl_example builds out of tree against it (find_package(ringflow)),
# and so does it in the build itself. Both programs run a pipeline document and must write
# byte for byte what `ringflow run` writes for the same document; the records are checked
# against the input lines (Python: one record per line, in the walker's order, each with the
# line's fields as the access-log grammar splits them); a file that cannot be read is reported
# on stderr and gives exit status 1.
# Arguments: RINGFLOW GEN_CORPUS BUILD_DIR EXAMPLE_DIR CMAKE CXX_COMPILER ETL_EXAMPLE
source "$(dirname "$0")/lib.sh" "$@"
[[ $# -ge 7 ]] || { echo "usage: $0 RINGFLOW GEN BUILD_DIR EXAMPLE_DIR CMAKE CXX ETL" >&2; exit 2; }
BUILD=$(realpath -- "$3")
EXAMPLE=$(realpath -- "$4")
CMAKE=$5
CXX=$6
ETL_IN_TREE=$(realpath -- "$7")
command -v ninja >/dev/null || { echo "FAIL: required tool not found: ninja" >&2; exit 1; }

cd "$E2E_TMP"
PREFIX=$E2E_TMP/prefix

check "cmake --install installs the public headers only, which compile against it alone"
if "$CMAKE" --install "$BUILD" --prefix "$PREFIX" >install.log 2>&1; then
  pass "cmake --install $BUILD --prefix $PREFIX"
else
  fail "cmake --install failed:"; tail -20 install.log
fi
for f in include/ringflow/framework/run/run.h include/ringflow/framework/run/registry.h \
  include/ringflow/stages/builtins.h lib/libringflow_run.a lib/libringflow_stages.a; do
  [[ -e $PREFIX/$f ]] && pass "installed $f" || fail "not installed: $f"
done
internal=$(find "$PREFIX/include" -path '*/internal/*' | head -5)
[[ -z $internal ]] && pass "no internal/ header installed" || fail "internal headers installed: $internal"
# Every installed header in one translation unit, with the installed tree as the only ringflow
# include root: none of them may need a header that is not installed.
(cd "$PREFIX/include/ringflow" && find . -name '*.h' | sed 's|^\./||' | sort) >headers.txt
n=$(wc -l <headers.txt)
sed 's|.*|#include "&"|' headers.txt >all_headers.cc
if "$CXX" -std=c++20 -fsyntax-only -DRINGFLOW_VERSION='"x"' -I "$PREFIX/include/ringflow" \
  all_headers.cc 2>headers.log && ((n > 20)); then
  pass "the $n installed headers compile against the installed tree alone"
else
  fail "the $n installed headers do not compile against the installed tree alone:"; head -20 headers.log
fi

check "apps/etl_example builds out of tree against the installed package (find_package(ringflow))"
# The installed libraries of a sanitizer build need the sanitizers' runtime in the program too.
sanitize=()
if ((SANITIZED)); then
  flags=$([[ $(ldd "$RF") =~ libtsan ]] && echo -fsanitize=thread || echo -fsanitize=address,undefined)
  sanitize=(-DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags")
fi
if "$CMAKE" -S "$EXAMPLE" -B ex-build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_CXX_COMPILER="$CXX" "${sanitize[@]}" >ex-configure.log 2>&1 &&
  "$CMAKE" --build ex-build -j 2 >ex-build.log 2>&1; then
  pass "configured and built"
else
  fail "etl_example did not build out of tree:"; tail -30 ex-configure.log ex-build.log 2>/dev/null || true
fi
ETL=$E2E_TMP/ex-build/etl_example
[[ -x $ETL ]] && pass "ex-build/etl_example" || fail "no ex-build/etl_example"

log "generating an access-log corpus (40 small files + 1 x 1 MiB) and one unreadable file"
python3 "$GEN" logs --small 40 --large 1 --large-size 1M --formats access --seed 5 -q
mkdir -p logs/access/zz
printf '%s\n' '127.0.0.1 - - [05/Dec/2026:21:27:01 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8"' \
  'not an access line' >logs/access/zz/edge.log
cat >doc.json <<'JSON'
{
  "source": {"paths": ["logs"], "include": ["*.log"]},
  "stages": [
    {"name": "lines", "type": "lines"},
    {"name": "parsed", "type": "parse", "input": "lines", "format": "access"}
  ],
  "sinks": [{"name": "out", "type": "json", "input": "parsed", "path": "OUT"}]
}
JSON
run_doc() {  # run_doc NAME PROGRAM [ARGS...]: runs the document with sinks[0].path = NAME.ndjson
  local name=$1; shift
  sed "s|\"OUT\"|\"$name.ndjson\"|" doc.json >"$name.json"
  RC=0
  timeout 120 "$@" "$name.json" >"$name.out" 2>"$name.err" </dev/null || RC=$?
}
run_doc reference "$RF" run
expect_rc "ringflow run" 0 "$RC"
for etl in "$ETL" "$ETL_IN_TREE"; do
  what="etl_example ($([[ $etl == "$ETL" ]] && echo out of tree || echo in the build))"
  check "$what writes what ringflow run writes"
  run_doc etl "$etl"
  expect_rc "$what" 0 "$RC"
  same_file "$what: output" reference.ndjson etl.ndjson
  if grep -qE '^etl_example: [0-9]+ of [0-9]+ files read, [0-9]+ records, 1 parse errors$' etl.err; then
    pass "$what: totals line: $(tail -1 etl.err)"
  else
    fail "$what: no totals line:"; sed 's/^/    /' etl.err | head -5
  fi
done

check "the records are the input lines (an independent reader)"
cat >oracle.py <<'PY'
import json, os, re, sys
files = sorted(os.path.join(d, n) for d, _, ns in os.walk("logs") for n in ns if n.endswith(".log"))
lines = [l for p in files for l in open(p, "rb").read().decode("utf-8").split("\n")[:-1]]
records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(records) == len(lines), f"{len(records)} records for {len(lines)} lines"
access = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-)')
bad = 0
for rec, line in zip(records, lines):
    m = access.match(line)
    if m is None:
        bad += 1
        assert "_error" in rec, (line, rec)
    else:
        assert rec.get("status") == int(m.group(8)) and rec.get("path") == m.group(6), (line, rec)
assert bad == 1, bad
print(f"{len(records)} records, {bad} unparsed, as the input lines")
PY
if python3 oracle.py etl.ndjson >oracle.out 2>&1; then pass "$(cat oracle.out)"; else
  fail "oracle:"; tail -5 oracle.out; fi

check "a file that cannot be read: reported once, exit status 1, the run goes on"
chmod 000 logs/access/zz/edge.log
if [[ $(id -u) == 0 ]]; then
  pass "running as root: permissions do not apply (skipped)"
else
  run_doc denied "$ETL"
  expect_rc "etl_example, one unreadable file" 1 "$RC"
  if grep -qF "etl_example: logs/access/zz/edge.log: Permission denied" denied.err; then
    pass "reported: $(grep -F edge.log denied.err)"; else fail "not reported:"; cat denied.err; fi
fi
chmod 644 logs/access/zz/edge.log
e2e_done
