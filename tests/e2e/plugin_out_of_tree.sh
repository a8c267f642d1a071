#!/usr/bin/env bash
# e2e: the installed package builds a plugin out of tree, and `ringflow run` loads it. Installs
# the build tree to a temporary prefix (cmake --install), configures and builds
# stages/examples/upper_case against it (find_package(ringflow), Ninja), runs the installed
# `ringflow` on a generated JSON corpus with the plugin listed in the document, and compares the
# output with an independent transformation of the input (Python: the named string fields with
# their ASCII letters upper-cased, one record per line, in order; jq as a second reader). Also:
# a relative plugin path is taken relative to the document's directory; a missing plugin file, a
# library without the entry points, a plugin registering a name that exists, a plugin of
# another ABI version or build each give exit status 1 and one clear line naming the plugin.
# Arguments: RINGFLOW GEN_CORPUS BUILD_DIR EXAMPLE_DIR CMAKE CXX_COMPILER
source "$(dirname "$0")/lib.sh" "$@"
[[ $# -ge 6 ]] || { echo "usage: $0 RINGFLOW GEN BUILD_DIR EXAMPLE_DIR CMAKE CXX" >&2; exit 2; }
BUILD=$(realpath -- "$3")
EXAMPLE=$(realpath -- "$4")
CMAKE=$5
CXX=$6
# The ABI version this ringflow was built with (the plugin header says it).
PLUGIN_H=$EXAMPLE/../../../framework/run/plugin.h
ABI=$(sed -n 's/.*kPluginAbiVersion = \([0-9][0-9]*\);.*/\1/p' "$PLUGIN_H")
[[ $ABI =~ ^[0-9]+$ ]] || { echo "FAIL: no kPluginAbiVersion in $PLUGIN_H" >&2; exit 1; }
for tool in ninja jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: required tool not found: $tool" >&2; exit 1; }
done

cd "$E2E_TMP"
PREFIX=$E2E_TMP/prefix

check "cmake --install puts the binary, headers, static libraries and the CMake package under the prefix"
if "$CMAKE" --install "$BUILD" --prefix "$PREFIX" >install.log 2>&1; then
  pass "cmake --install $BUILD --prefix $PREFIX"
else
  fail "cmake --install failed:"; tail -20 install.log
fi
for f in bin/ringflow include/ringflow/framework/flow/stage.h include/ringflow/framework/run/plugin.h \
  include/ringflow/framework/run/registry.h lib/libringflow_stages.a lib/cmake/ringflow/ringflowConfig.cmake \
  lib/cmake/ringflow/ringflowConfigVersion.cmake; do
  [[ -e $PREFIX/$f ]] && pass "installed $f" || fail "not installed: $f"
done
RF=$PREFIX/bin/ringflow  # from here on, the installed binary (rf uses $RF)

check "the example builds out of tree against the installed package (find_package(ringflow), Ninja)"
if "$CMAKE" -S "$EXAMPLE" -B ex-build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_CXX_COMPILER="$CXX" >ex-configure.log 2>&1 &&
  "$CMAKE" --build ex-build -j 2 >ex-build.log 2>&1; then
  pass "configured and built"
else
  fail "the example did not build:"; tail -30 ex-configure.log ex-build.log 2>/dev/null || true
fi
PLUGIN=$E2E_TMP/ex-build/libupper_case.so
[[ -f $PLUGIN ]] && pass "ex-build/libupper_case.so" || fail "no ex-build/libupper_case.so"

log "generating a JSON corpus (80 small files + 1 x 2 MiB) and hand-written edge lines"
python3 "$GEN" logs --small 80 --large 1 --large-size 2M --formats json --seed 17 -q
mkdir -p logs/json/zz
# Non-ASCII text stays as it is (only ASCII letters change), escapes round-trip, a non-string
# field named in "fields" is kept, a line that does not parse reaches the sink as an error.
cat >logs/json/zz/edge.log <<'EOF'
{"level":"warn","msg":"Zoë straße \u00e9t\u00e9 déjà vu","service":"a\tb\"c"}
{"level":42,"msg":null,"service":["x"],"other":"keep me lower"}
this line is not json
{"msg":""}
EOF

# The input lines in the walker's order (files sorted by path); records[i] is lines[i].
cat >oracle.py <<'PY'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
fields = sys.argv[3].split(",")
files = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names
               if n.endswith(".log"))
lines = []
for p in files:
    data = open(p, "rb").read()
    parts = data.split(b"\n")
    if parts and parts[-1] == b"": parts.pop()
    lines += [x.decode("utf-8") for x in parts]
records = [json.loads(l) for l in open(out, encoding="utf-8")]
assert len(records) == len(lines), f"{len(records)} records for {len(lines)} input lines"
errors = 0
for i, (rec, line) in enumerate(zip(records, lines)):
    try:
        want = json.loads(line)
    except ValueError:
        assert set(rec) == {"_error", "_raw"} and rec["_raw"] == line, (i, rec, line)
        errors += 1
        continue
    for f in fields:
        if isinstance(want.get(f), str):
            want[f] = want[f].encode("utf-8").upper().decode("utf-8")  # ASCII letters only
    assert rec == want, (i, rec, want)
print(f"  ok: {len(records)} records == {len(lines)} input lines, fields upper-cased, "
      f"{errors} error record(s) in-band")
PY

check "run with the example document (plugin path overridden): output == independent transformation"
rf run.out run.err run "$EXAMPLE/upper_case.json" --set "plugins=[\"$PLUGIN\"]" \
  --set 'source.paths=["logs/json"]' --set sinks[0].path=upper.ndjson
expect_rc "ringflow run upper_case.json" 0 "$RC"
grep -q -E '^ringflow: [0-9]+ files? read, 0 skipped' run.err && pass "summary: $(cat run.err)" ||
  fail "no summary line: $(cat run.err)"
python3 oracle.py logs/json upper.ndjson level,service,msg || fail "output does not match the oracle"
n_in=$(find logs/json -name '*.log' -print0 | xargs -0 cat | wc -l)
n_jq=$(jq -c . upper.ndjson | wc -l)
[[ $n_jq == "$n_in" ]] && pass "jq reads $n_jq records == wc -l $n_in" ||
  fail "jq reads $n_jq records, wc -l says $n_in"
n_lower=$(jq -r 'select(.level | type == "string") | .level' upper.ndjson | grep -c '[a-z]' || true)
[[ $n_lower == 0 ]] && pass "jq: no lower-case letter left in .level" ||
  fail "jq: $n_lower .level values still hold lower-case letters"
jq -r 'select(.msg | type == "string") | .msg' upper.ndjson | grep -qFx 'ZOë STRAßE éTé DéJà VU' &&
  pass "jq: only ASCII letters upper-cased ('ZOë STRAßE éTé DéJà VU')" ||
  fail "the UTF-8 edge line is not as expected: $(grep -a STRA upper.ndjson)"

check "a relative plugin path is relative to the document's directory, not the working directory"
mkdir -p conf work
cp "$PLUGIN" conf/libupper_case.so
cat >conf/upper.json <<'EOF'
{"plugins": ["./libupper_case.so"],
 "source": {"paths": ["../logs/json"]},
 "stages": [{"name": "lines", "type": "lines"},
            {"name": "parsed", "type": "parse", "input": "lines", "format": "json"},
            {"name": "up", "type": "upper_case", "input": "parsed", "fields": ["service"]}],
 "sinks": [{"name": "out", "type": "json", "input": "up", "path": "rel.ndjson"}]}
EOF
cd work
rf ../run.out ../run.err run ../conf/upper.json
expect_rc "run ../conf/upper.json from work/" 0 "$RC"
rf ../val.out ../val.err validate ../conf/upper.json
expect_rc "validate ../conf/upper.json from work/" 0 "$RC"
cd ..
python3 oracle.py logs/json work/rel.ndjson service || fail "relative-path run: output differs"

check "ringflow stages lists a plugin's types with --plugin or --config, and only then"
# has_type OUT: OUT lists the type upper_case with its help and its "fields" parameter.
has_type() { grep -qF 'upper_case: upper-cases (ASCII letters)' "$1" && grep -qE '^  fields \(' "$1"; }
rf st.out st.err stages
expect_rc "stages" 0 "$RC"
if grep -q '^upper_case:' st.out; then fail "stages without plugins lists upper_case"; else pass "stages without plugins: no upper_case"; fi
grep -q '^parse:' st.out && pass "stages lists the built-in parse" || fail "stages does not list parse: $(head -5 st.out)"
rf st.out st.err stages --plugin "$PLUGIN"
expect_rc "stages --plugin" 0 "$RC"
has_type st.out && pass "stages --plugin lists upper_case, its help and its fields parameter" ||
  fail "stages --plugin: upper_case missing or incomplete: $(grep -A4 upper_case st.out | head -5)"
grep -q '^parse:' st.out && pass "stages --plugin still lists parse" || fail "stages --plugin lost the built-ins"
(cd work && rf ../st.out ../st.err stages --config ../conf/upper.json)
expect_rc "stages --config ../conf/upper.json (from work/)" 0 "$RC"
has_type st.out && pass "stages --config: the document's plugin, relative to its directory" ||
  fail "stages --config: upper_case missing: $(cat st.err)"
rf st.out st.err stages --plugin nope/libmissing.so
expect_rc "stages --plugin nope/libmissing.so" 1 "$RC"
[[ $(wc -l <st.err) == 1 ]] && grep -qF "plugin nope/libmissing.so" st.err && pass "one line: $(cat st.err)" ||
  fail "stages with a missing plugin: $(cat st.err)"
rf st.out st.err stages --config nope.json
expect_rc "stages --config nope.json" 1 "$RC"
grep -qF "nope.json" st.err && pass "names the missing document: $(cat st.err)" || fail "stages --config nope.json: $(cat st.err)"

# Plugins that must be refused, built against the package too (and two plain C libraries that
# fake the entry points).
mkdir -p bad
cat >bad/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(bad_plugins LANGUAGES C CXX)
find_package(ringflow REQUIRED)
add_library(dup_parse MODULE dup_parse.cc)
target_link_libraries(dup_parse PRIVATE ringflow::plugin)
add_library(no_entry MODULE no_entry.cc)
add_library(other_abi MODULE other_abi.c)
add_library(other_build MODULE other_build.c)
EOF
cat >bad/dup_parse.cc <<'EOF'
#include "framework/run/plugin.h"
// Registers a type called "parse", which ringflow already has.
ringflow::Status RegisterDuplicate(ringflow::run::StageRegistry& registry) {
  ringflow::config::TypeSpec spec;
  spec.type = "parse";
  return registry.RegisterTransform(std::move(spec), nullptr);
}
RINGFLOW_PLUGIN(RegisterDuplicate);
EOF
echo 'int answer() { return 42; }' >bad/no_entry.cc
cat >bad/other_abi.c <<'EOF'
unsigned ringflow_plugin_abi_version(void) { return 999; }
const char* ringflow_plugin_build_id(void) { return "?"; }
void ringflow_plugin_register(void* registry, void* status) { (void)registry; (void)status; }
EOF
sed -e "s/return 999/return $ABI/" -e 's/"?"/"ringflow 0.0.0, compiler other"/' bad/other_abi.c >bad/other_build.c
if "$CMAKE" -S bad -B bad-build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_CXX_COMPILER="$CXX" >bad-build.log 2>&1 && "$CMAKE" --build bad-build >>bad-build.log 2>&1; then
  pass "built the plugins to refuse"
else
  fail "could not build the plugins to refuse:"; tail -30 bad-build.log
fi

# refused WHAT PLUGIN REGEX [LIST]: `run` with PLUGIN listed (or the JSON list LIST) exits 1 with
# exactly one stderr line, which names PLUGIN and matches REGEX; nothing is written.
refused() {
  local what=$1 plugin=$2 regex=$3 list=${4:-"[\"$2\"]"}
  check "$what: exit 1, one clear line"
  rm -f refused.ndjson
  rf out.txt err.txt run "$EXAMPLE/upper_case.json" --set "plugins=$list" \
    --set 'source.paths=["logs/json"]' --set sinks[0].path=refused.ndjson
  expect_rc "$what" 1 "$RC"
  local lines
  lines=$(wc -l <err.txt)
  [[ $lines == 1 ]] && pass "one line: $(cat err.txt)" || { fail "$lines lines on stderr:"; cat err.txt; }
  grep -qF -- "plugin $plugin" err.txt && pass "names the plugin" || fail "does not name $plugin"
  grep -qE -- "$regex" err.txt && pass "says /$regex/" || fail "no /$regex/ in: $(cat err.txt)"
  [[ ! -e refused.ndjson ]] && pass "no output written" || fail "output written"
}
refused "a missing plugin file" "$E2E_TMP/nope/libmissing.so" 'No such file or directory \(ENOENT\)$'
refused "a library without the entry points" "$E2E_TMP/bad-build/libno_entry.so" \
  'not a ringflow plugin: no ringflow_plugin_abi_version'
refused "a plugin registering a name that exists" "$E2E_TMP/bad-build/libdup_parse.so" \
  'type "parse": already in the catalog'
refused "a plugin of another ABI version" "$E2E_TMP/bad-build/libother_abi.so" \
  "plugin ABI version 999, but this ringflow has $ABI"
refused "a plugin of another build" "$E2E_TMP/bad-build/libother_build.so" \
  'built for "ringflow 0.0.0, compiler other", but this ringflow is "ringflow '
refused "the same plugin listed twice" "$PLUGIN" 'type "upper_case": already in the catalog' \
  "[\"$PLUGIN\", \"$PLUGIN\"]"
e2e_done
