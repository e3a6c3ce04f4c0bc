#!/usr/bin/env bash
# The Majordomo benchmark, in one command:
#
#   bench/run.sh                  # the full run (about 10 minutes on 2 cores)
#   BENCH_QUICK=1 bench/run.sh    # a short run (a couple of minutes)
#
# It installs `wrk` if missing (Debian's package; the driver reads wrk's output only),
# builds the release binaries, starts simulated controllers (jenkins-sim, 20 ms per request
# unless BENCH_LATENCY_MS says otherwise) and the gateway as its own process, prints the
# figures and writes them to bench/results/latest.{json,txt}. Other knobs: see bench/src/config.rs
# (BENCH_ONLY=demo,large,scaling,steady,live,soak,telemetry,replicas,memory, BENCH_LIVE_SUBSCRIBERS,
# BENCH_LOAD_SECS, BENCH_COLD_SAMPLES, …). BENCH_BASELINE_BIN=PATH runs another gateway build
# side by side with this one in the memory scenario (e.g. the commit before a change).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v "${BENCH_WRK:-wrk}" >/dev/null 2>&1; then
    echo "bench: installing wrk (Debian package)" >&2
    if ! apt-get install -y wrk >/dev/null 2>&1; then
        apt-get update >/dev/null
        apt-get install -y wrk >/dev/null || {
            echo "bench: cannot install wrk; install it (or point BENCH_WRK at one) and rerun" >&2
            exit 1
        }
    fi
fi

echo "bench: building release binaries" >&2
cargo build --release --workspace

echo "bench: machine is $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
exec "${target_dir:-target}/release/majordomo-bench" "$@"
