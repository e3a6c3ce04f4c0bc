#!/usr/bin/env bash
# What trace export costs a warm point query, counted in instructions rather than time:
#
#   bench/instructions.sh                      # the release build in target/release
#   MAJORDOMO_BIN=/path/to/majordomo bench/instructions.sh
#
# Throughput on a shared VM moves by 20% from one minute to the next (steal time), more
# than the few percent this measures; instructions do not. The gateway runs under
# valgrind's callgrind (installed from Debian if missing, as bench/run.sh installs wrk),
# once with export off and once exporting every request's span over OTLP/HTTP to a
# collector stand-in; each is warmed with 200 queries, its counters zeroed, then sent N
# (default 1000) point queries one after the other, then left idle 6 s so the batch
# exporter's scheduled export runs, and its instructions (every thread) are read. Prints
# instructions per query and the ratio on ÷ off, and how much of it the export takes.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000}
BIN=${MAJORDOMO_BIN:-target/release/majordomo}
SIM=${JENKINS_SIM_BIN:-target/release/jenkins-sim}
SIM_PORT=${SIM_PORT:-18091}
GW_PORT=${GW_PORT:-18110}
COLLECTOR_PORT=${COLLECTOR_PORT:-4319}

for tool in valgrind python3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "instructions: installing $tool (Debian package)" >&2
        apt-get install -y "$tool" >/dev/null 2>&1 || {
            apt-get update >/dev/null && apt-get install -y "$tool" >/dev/null
        }
    fi
done
[ -x "$BIN" ] && [ -x "$SIM" ] || cargo build --release --workspace

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/collector.py" <<EOF
import http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", $COLLECTOR_PORT), H).serve_forever()
EOF
cat >"$work/client.py" <<EOF
import http.client, json, sys
body = json.dumps({"query": '{ job(connection: "ci-prod", fullName: "release/deploy-production") { status lastBuild { number result } } }'})
c = http.client.HTTPConnection("127.0.0.1", $GW_PORT, timeout=300)
for _ in range(int(sys.argv[1])):
    c.request("POST", "/graphql", body, {"content-type": "application/json"})
    r = c.getresponse(); data = r.read()
    if r.status != 200 or b'"errors"' in data:
        sys.exit(f"unexpected answer {r.status}: {data[:300]!r}")
EOF

"$SIM" --world demo --seed 42 --listen "127.0.0.1:$SIM_PORT" --token admin=bench-token >/dev/null 2>&1 &
pids+=($!)
python3 "$work/collector.py" &
pids+=($!)
sleep 0.5

declare -A total
for variant in off on; do
    cat >"$work/$variant.toml" <<EOF
listen = "127.0.0.1:$GW_PORT"

[[connections]]
name = "ci-prod"
url = "http://127.0.0.1:$SIM_PORT/"
username = "admin"
token = "bench-token"
EOF
    if [ "$variant" = on ]; then
        printf '\n[telemetry]\nendpoint = "http://127.0.0.1:%s"\nsampling_ratio = 1.0\n' \
            "$COLLECTOR_PORT" >>"$work/$variant.toml"
    fi
    valgrind --tool=callgrind --callgrind-out-file="$work/$variant.out" \
        "$BIN" serve --config "$work/$variant.toml" >"$work/$variant.log" 2>&1 &
    gw=$!
    pids+=($gw)
    for _ in $(seq 300); do
        curl -sf -o /dev/null "http://127.0.0.1:$GW_PORT/healthz" && break
        sleep 0.2
    done
    python3 "$work/client.py" 200
    sleep 6
    callgrind_control -z "$gw" >/dev/null 2>&1
    python3 "$work/client.py" "$N"
    sleep 6
    callgrind_control -d "$gw" >/dev/null 2>&1
    sleep 1
    total[$variant]=$(awk '/^summary:/ {print $2}' "$work/$variant.out.1")
    export_ir=$(callgrind_annotate --inclusive=yes "$work/$variant.out.1" 2>/dev/null |
        awk '/BatchSpanProcessor::get_spans_and_export/ && !n++ {gsub(",", "", $1); print $1}')
    printf "export %-3s %12d instructions per query%s\n" "$variant" "$((total[$variant] / N))" \
        "${export_ir:+ (the batch export: $((export_ir / N)) per query)}"
    kill "$gw"
    wait "$gw" 2>/dev/null || true
done
awk -v on="${total[on]}" -v off="${total[off]}" \
    'BEGIN { printf "export on ÷ export off: %.3f× the instructions per query\n", on / off }'
