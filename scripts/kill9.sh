#!/usr/bin/env bash
# kill9.sh: kill -9 safety of the escalation ladder (issue 6).
#
#   scripts/kill9.sh [RUNS=100] [PARALLEL=5]
#
# Each run uses its own data directory and a copy of paybot.example.yaml
# whose ladder waits are 1-2 s. It starts `paybot chat --json`, feeds a storm
# of escalations (incidents opened, intake answered, /payissue escalate, one
# after another), SIGKILLs the process at a random moment 0.2-3 s in,
# restarts it, and lets it run until the ladders are done (the job and outbox
# leases of the killed process are 15 s, so that long at least). Then it
# compares the direct messages printed ("dm":true lines of both processes)
# with the engagements recorded in each incident's timeline
# (`paybot incidents show REF --json`): an engagement without its DM is lost,
# a DM printed twice is a duplicate. Needs go and python3. Local only.
set -euo pipefail
RUNS=${1:-100}
PAR=${2:-5}
RESTART_WAIT=${RESTART_WAIT:-20}
STORM=${STORM:-6}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/paybot-kill9.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

(cd "$ROOT" && go build -o "$WORK/paybot" ./cmd/paybot)
BIN=$WORK/paybot
# Ladder waits: 1 s and 2 s alternating instead of 20 s.
awk '/wait: 20s/ { n++; sub(/wait: 20s/, (n % 2 ? "wait: 1s" : "wait: 2s")) } { print }' \
	"$ROOT/paybot.example.yaml" >"$WORK/config.yaml"
"$BIN" config check "$WORK/config.yaml" >/dev/null

storm() { # the input: STORM incidents, each answered and escalated
	local i
	for ((i = 1; i <= STORM; i++)); do
		for line in "/payissue card payments failing at checkout $i" "failed transactions" "Stripe" "production" \
			"10 min ago" "all" "declined with do_not_honor" "ch_3PqRsT123, pi_3PqRsT456" "1, 2" \
			"retried, checked the Stripe status page" "yes" "/payissue escalate gateway returns 5xx ($i)"; do
			printf '{"user":"ana","text":"%s"}\n' "$line"
		done
		sleep 0.$((RANDOM % 4 + 1))
	done
	sleep 30
}

run_one() { # run_one N
	local n=$1 d=$WORK/run$1 pid fpid kill_ms
	mkdir -p "$d"
	mkfifo "$d/in"
	storm >"$d/in" &
	fpid=$!
	"$BIN" --data "$d/data" --config "$WORK/config.yaml" chat --json --user ana <"$d/in" >"$d/out1.jsonl" 2>"$d/err1" &
	pid=$!
	kill_ms=$((200 + RANDOM % 2801))
	sleep "$((kill_ms / 1000)).$(printf %03d $((kill_ms % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	kill "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
	echo "$kill_ms" >"$d/kill_ms"
	# Restart with no input; keep stdin open until the ladders are done.
	sleep "$RESTART_WAIT" | "$BIN" --data "$d/data" --config "$WORK/config.yaml" chat --json --user ana >"$d/out2.jsonl" 2>"$d/err2" || true
	for ref in $("$BIN" --data "$d/data" incidents list --json 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("incidents",[])
print(" ".join(i["ref"] for i in d))' || true); do
		"$BIN" --data "$d/data" incidents show "$ref" --json >"$d/show-$ref.json"
	done
}

active=0
for ((n = 1; n <= RUNS; n++)); do
	run_one "$n" &
	PIDS+=($!)
	active=$((active + 1))
	if ((active >= PAR)); then
		wait -n || true
		active=$((active - 1))
	fi
done
wait || true

python3 - "$WORK" "$RUNS" <<'PY'
import glob, json, os, re, sys, collections
work, runs = sys.argv[1], int(sys.argv[2])
tot = collections.Counter()
bad = []
for n in range(1, runs + 1):
    d = f"{work}/run{n}"
    got = collections.Counter()
    for f in ("out1.jsonl", "out2.jsonl"):
        p = os.path.join(d, f)
        if not os.path.exists(p):
            continue
        for line in open(p, errors="replace"):
            try:
                o = json.loads(line)
            except ValueError:
                continue  # a line cut by the kill
            if o.get("dm"):
                got[(o.get("incident"), o.get("to"))] += 1
    want = collections.Counter()
    refs = 0
    for p in glob.glob(f"{d}/show-*.json"):
        inc = json.load(open(p))
        refs += 1
        for e in inc.get("timeline") or []:
            if e.get("kind") != "escalation":
                continue
            data = e.get("data") or {}
            to = data.get("handle") or re.match(r"engaged (.*) \(level", e.get("text", "")).group(1)
            want[(inc["ref"], to)] += 1
    lost = sum(max(0, want[k] - got[k]) for k in want)
    dup = sum(max(0, got[k] - want[k]) for k in got)
    tot.update(runs=1, incidents=refs, expected=sum(want.values()), delivered=sum(got.values()), lost=lost, dup=dup)
    if lost or dup > 1:
        bad.append((n, lost, dup))
    print(f"run {n:3d}: kill at {open(d + '/kill_ms').read().strip():>4} ms, {refs} incidents, "
          f"{sum(want.values())} engagements, {sum(got.values())} DMs, lost {lost}, duplicates {dup}")
print(f"TOTAL runs={tot['runs']} kills={tot['runs']} incidents={tot['incidents']} expected_dms={tot['expected']} "
      f"dms_printed={tot['delivered']} lost={tot['lost']} duplicates={tot['dup']}")
ok = tot["lost"] == 0 and all(d <= 1 for _, _, d in bad)
print("RESULT", "PASS" if ok else "FAIL", "(zero lost, at most one duplicate per kill)")
sys.exit(0 if ok else 1)
PY
