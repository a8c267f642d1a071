# shellcheck shell=bash
# Shared by the benchmark scripts (sourced; needs WORK, the work directory, and GEN, the corpus
# generator, set by the caller).

die() { echo "$(basename "$0"): error: $*" >&2; exit 1; }
note() { echo "$(basename "$0"): $*" >&2; }

# ensure_corpus NAME GEN-ARGS...: generate WORK/NAME unless a previous generation with the same
# arguments and generator is there intact (same MANIFEST.tsv, same file count and total size).
# Both scripts use the same stamps, so either reuses the other's corpora.
ensure_corpus() {
  local name=$1; shift
  local dir="$WORK/$name" stamp="$WORK/$name.stamp" want
  want="args: $* | generator: $(sha256sum "$GEN" | cut -d' ' -f1)"
  if [[ -f $dir/MANIFEST.tsv && -f $stamp ]] && [[ $(sed -n 1p "$stamp") == "$want" ]] &&
     [[ $(sed -n 2p "$stamp") == "$(sha256sum "$dir/MANIFEST.tsv" | cut -d' ' -f1)" ]] &&
     [[ $(awk -F'\t' 'NR > 1 { n++; s += $2 } END { printf "%d %.0f\n", n, s }' "$dir/MANIFEST.tsv") == \
        $(find "$dir" -type f ! -name MANIFEST.tsv -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %.0f\n", n, s }') ]]; then
    note "reusing $dir (matches its MANIFEST.tsv)"
  else
    note "generating $dir: gen_corpus.py $*"
    rm -rf -- "$dir" "$stamp"
    python3 "$GEN" "$dir" "$@" >&2
    { echo "$want"; sha256sum "$dir/MANIFEST.tsv" | cut -d' ' -f1; } >"$stamp"
  fi
}

# time_command WHAT CMD...: runs CMD (stdin closed, stdout dropped, stderr kept in TMP/cmd.err)
# and sets T_WALL (s, from bash's $EPOCHREALTIME: µs, where %e has only 10 ms), T_USER, T_SYS
# and T_RSS (KiB) from /usr/bin/time (user+sys include every child, e.g. what xargs starts).
# Dies naming WHAT when CMD fails. Needs TMP.
time_command() {
  local what=$1; shift
  local t0 t1
  t0=$EPOCHREALTIME
  if ! /usr/bin/time -f '%e %U %S %M' -o "$TMP/time.out" "$@" </dev/null >/dev/null 2>"$TMP/cmd.err"; then
    tail -n 20 "$TMP/cmd.err" >&2
    die "'$what' failed: $*"
  fi
  t1=$EPOCHREALTIME
  # shellcheck disable=SC2034  # T_*: results for the caller
  read -r _ T_USER T_SYS T_RSS < <(tail -n 1 "$TMP/time.out")
  # shellcheck disable=SC2034
  T_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
}

# start_timing: sets START_DATE (now) and START_LOAD (the load averages) for the results, and
# warns when the load is above half the CPUs: other work will add noise.
start_timing() {
  # shellcheck disable=SC2034  # START_*: results for the caller
  START_DATE=$(date '+%Y-%m-%d %H:%M:%S %z')
  START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
  if awk -v l="${START_LOAD%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    note "warning: load average is $START_LOAD on $(nproc) CPUs: other work will add noise"
  fi
}

# shuffle_indexes N: sets SHUFFLED to 0..N-1 in a random order (Fisher-Yates), so that commands
# run interleaved in a new order each round.
shuffle_indexes() {
  local n=$1 k j t
  SHUFFLED=()
  for ((k = 0; k < n; k++)); do SHUFFLED+=("$k"); done
  for ((k = n - 1; k > 0; k--)); do
    j=$((RANDOM % (k + 1))); t=${SHUFFLED[k]}; SHUFFLED[k]=${SHUFFLED[j]}; SHUFFLED[j]=$t
  done
}
