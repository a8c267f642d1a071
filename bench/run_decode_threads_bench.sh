#!/usr/bin/env bash
# Decoder threads (source.decode_threads) on a compressed tree: a replay to JSON (lines -> parse
# -> json sink to /dev/null, what `ringflow replay DIR --out /dev/null` runs) and a decode-bound
# `lines -> null` document, each with 0 (decode on the I/O thread), 1 and 2 decoder threads,
# interleaved in a new order each round, the input read with cat right before each run.
# Usage: bench/run_decode_threads_bench.sh RINGFLOW DIR [ROUNDS]   (e.g. bench/.corpus/large-gz6)
# Prints the median wall time (s), user+sys CPU (s) and peak RSS (MiB) of each variant.
set -euo pipefail
ringflow=$(realpath "${1:?usage: run_decode_threads_bench.sh RINGFLOW DIR [ROUNDS]}")
dir=$(realpath "${2:?usage: run_decode_threads_bench.sh RINGFLOW DIR [ROUNDS]}")
rounds=${3:-3}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ringflow-decode-bench.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT
cat >"$TMP/replay.json" <<'DOC'
{"source": {"paths": ["."]},
 "stages": [{"name": "lines", "type": "lines"}, {"name": "p", "type": "parse", "input": "lines"}],
 "sinks": [{"name": "out", "type": "json", "input": "p", "path": "/dev/null"}]}
DOC
cat >"$TMP/lines.json" <<'DOC'
{"source": {"paths": ["."]},
 "stages": [{"name": "lines", "type": "lines"}],
 "sinks": [{"name": "n", "type": "null", "input": "lines"}]}
DOC
variants=()
for doc in replay lines; do for t in 0 1 2; do variants+=("$doc $t"); done; done
start_timing
echo "# $(date -u '+%F %T') UTC, load $START_LOAD, $(nproc) CPUs, $dir"
for ((r = 0; r < rounds; r++)); do
  shuffle_indexes ${#variants[@]}
  for i in "${SHUFFLED[@]}"; do
    read -r doc t <<<"${variants[$i]}"
    find "$dir" -type f -exec cat {} + >/dev/null
    time_command "$doc $t" "$ringflow" run "$TMP/$doc.json" --set "source.paths=[\"$dir\"]" \
      --set "source.decode_threads=$t"
    echo "$doc $t $T_WALL $(awk -v u="$T_USER" -v s="$T_SYS" 'BEGIN { print u + s }') $T_RSS" \
      >>"$TMP/results"
    note "round $r: $doc decode_threads=$t: ${T_WALL}s"
  done
done
echo "# variant decode_threads median_wall_s median_cpu_s median_rss_mib"
for v in "${variants[@]}"; do
  read -r doc t <<<"$v"
  awk -v d="$doc" -v t="$t" 'BEGIN { n = 0 } $1 == d && $2 == t { w[n] = $3; c[n] = $4; m[n] = $5; n++ }
    function med(a, k,   i, j, x) { for (i = 0; i < k; i++) for (j = i + 1; j < k; j++)
      if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }; return a[int(k / 2)] }
    END { printf "%s %s %.2f %.2f %.0f\n", d, t, med(w, n), med(c, n), med(m, n) / 1024 }' \
    "$TMP/results"
done
