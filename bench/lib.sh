#!/usr/bin/env bash
# What the bench scripts share; sourced (`. bench/lib.sh`) once a script
# has gone to the repository's root, never run (it is not executable, so
# bench/run does not take it for a bench). Messages name the script that
# sourced it (bench/NAME).

# need_root: exits 2 unless run as root (the benches build namespaces).
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/${0##*/}: needs root (it builds network namespaces)" >&2
    exit 2
  fi
}

# need_tools TOOL...: exits 2 naming the first TOOL not on the PATH.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || {
      echo "bench/${0##*/}: $tool is missing (scripts/deps installs it)" >&2
      exit 2
    }
  done
}

# build_bench BIN: release builds of the agent and of the lab's binary BIN
# (target/release/mpwan and target/release/BIN).
build_bench() {
  export PATH="$HOME/.cargo/bin:$PATH"
  cargo build --release --locked -q -p mpwan
  cargo build --release --locked -q -p mpwan-lab --bin "$1"
}

# summary KEY VALUE UNIT: appends the figure to the file MPWAN_BENCH_SUMMARY
# names, as a key<TAB>value<TAB>unit line (for bench/run); nothing without it.
summary() {
  [ -z "${MPWAN_BENCH_SUMMARY:-}" ] || printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$MPWAN_BENCH_SUMMARY"
}

# mib VALUE [PER]: VALUE in MiB with two decimals; VALUE is in bytes, or in
# units of which PER make one MiB (1024 for KiB).
mib() {
  awk -v v="$1" -v per="${2:-1048576}" 'BEGIN { printf "%.2f", v / per }'
}
