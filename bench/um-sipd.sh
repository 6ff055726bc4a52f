#!/bin/bash
# um-sipd under load: sipp over TCP places 2-second voicemail calls (a
# 2 s tone as RTP, then BYE) at rising rates until a step has failures,
# against um-sipd and against sipp's own uas scenario (the ceiling: a UAS
# that records nothing). Prints for each the highest rate (calls per
# second) whose step had zero failed calls, and the ratio, which must be
# at least 0.5. Then the largest number of simultaneous recordings held
# without RTP loss (tshark -z rtp,streams on the loopback capture: every
# stream towards um-sipd with 0 lost), and the memory per call (PSS of
# um-sipd's processes at the peak of a step over the calls up then).
. "$(dirname "$0")/lib.sh"
need sipp sox tshark smtp-sink

STEP=${BENCH_SECONDS:-4}
RATES=${BENCH_RATES:-10 20 40 80 160 240 320 480 640}
W=$TEST_TMP
cd "$W" || exit 70

smtp_sink_start
sipd_conf "$W/c.json" '"max_connections": 2000, "rtp_port_min": 20000, "rtp_port_max": 29999,
	"max_length": "10s"'
sipd_start sipd "$W/c.json"
sipd_tone "$W/tone.ul" 2 440 ul
sipd_scenario uac-voicemail "$W/call.xml" AUDIO="$W/tone.ul" HOLD=2000
# the same call without the checks of um-sipd's own headers, so that
# sipp's uas (no Record-Route copied) passes too
python3 - "$W/call.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"\s*<action>\s*(<ereg[^>]*/>\s*)+</action>", "", s)
s = re.sub(r'\s*<Reference variables="[^"]*"/>', "", s)
open(sys.argv[1], "w").write(s)
PY

UAS_PORT=$(free_ports 1)
bg_start uas sipp -t tn -sn uas -i 127.0.0.1 -p "$UAS_PORT" -mp "$(free_ports 1)" -bg -nostdin \
	-max_socket 5000
sleep 0.5

# pss PID...: the summed PSS in kB of the processes and their children.
pss() {
	local total=0 p kids v
	for p in "$@"; do
		kids=$(cat /proc/"$p"/task/*/children 2>/dev/null)
		for k in $p $kids; do
			v=$(awk '/^Pss:/ { print $2 }' /proc/"$k"/smaps_rollup 2>/dev/null)
			total=$((total + ${v:-0}))
		done
	done
	echo "$total"
}

# step TARGET-PORT RATE: RATE calls a second for STEP seconds; prints
# "failed peak_calls peak_pss_kb".
step() {
	local port=$1 rate=$2 n=$(($2 * STEP)) peak=0 peakmem=0 c m spid
	spid=$(serve_pid sipd)
	rm -f sipp.stat
	timeout $((STEP + 40)) sipp -t tn -sf "$W/call.xml" -s 1001 -i 127.0.0.1 \
		-p "$(free_ports 1)" -mp "$(free_ports 1)" -r "$rate" -m "$n" -l $((rate * 4 + 10)) \
		-nostdin -timeout $((STEP + 30))s -timeout_error -max_socket 5000 \
		-trace_stat -stf sipp.stat -fd 1 "127.0.0.1:$port" >sipp.out 2>&1 &
	local sp=$!
	while kill -0 "$sp" 2>/dev/null; do
		if [ "$port" = "$SIPD_PORT" ]; then
			c=$(cat /proc/"$spid"/task/*/children 2>/dev/null | wc -w)
			if [ "$c" -gt "$peak" ]; then
				peak=$c
				peakmem=$(pss "$spid")
			fi
		fi
		sleep 0.2
	done
	wait "$sp"
	local failed
	failed=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "FailedCall(C)") col = i }
		END { print (col ? $col : -1) }' sipp.stat)
	[ "$failed" = -1 ] && failed=$n
	echo "$failed $peak $peakmem"
}

# ceiling NAME PORT: the highest zero-failure rate.
ceiling() {
	local name=$1 port=$2 best=0 r out
	for r in $RATES; do
		out=$(step "$port" "$r")
		set -- $out
		echo "# $name: $r calls/s for ${STEP}s: failed=$1 peak_sessions=$2 peak_pss_kb=$3" >&2
		[ "$1" = 0 ] || break
		best=$r
		[ "$name" = um-sipd ] && [ "$2" -gt 0 ] && echo "$2 $3" >"$W/mem.$r"
	done
	echo "$best"
}

SIPD_RATE=$(ceiling um-sipd "$SIPD_PORT")
UAS_RATE=$(ceiling sipp-uas "$UAS_PORT")
[ "$UAS_RATE" -gt 0 ] || bench_fail "sipp's uas took no step without failures"
RATIO=$(bench_ratio "$SIPD_RATE" "$UAS_RATE")

# Recordings held without loss: a step at the sustained rate under a
# capture; every RTP stream sent to um-sipd's RTP ports must show 0 lost.
tshark -i lo -f "udp dst portrange 20000-29999" -w "$W/rtp.pcapng" -q >/dev/null 2>&1 &
TSHARK=$!
sleep 1
out=$(step "$SIPD_PORT" "$SIPD_RATE")
sleep 0.5
kill "$TSHARK"; wait "$TSHARK" 2>/dev/null
tshark -r "$W/rtp.pcapng" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams 2>/dev/null >"$W/streams.txt"
# columns: start end src port dst port ssrc payload packets lost ...
STREAMS=$(awk '$6 >= 20000 && $6 <= 29999 && $8 ~ /g711/ { n++ } END { print n + 0 }' "$W/streams.txt")
LOSSY=$(awk '$6 >= 20000 && $6 <= 29999 && $8 ~ /g711/ && $10 + 0 != 0 { n++ } END { print n + 0 }' "$W/streams.txt")
set -- $out
HELD=$(($2 - 1))	# the spool process is a child too
[ "$LOSSY" = 0 ] || HELD=0

MEM=$(ls "$W"/mem.* 2>/dev/null | sort -t. -k2 -n | tail -n 1)
PER_CALL=0
[ -n "$MEM" ] && PER_CALL=$(awk '{ if ($1 > 1) printf "%d", $2 / ($1 - 1) }' "$MEM")

echo "um-sipd: $SIPD_RATE calls/s sustained, zero failures (2 s calls, sipp TCP)"
echo "sipp uas: $UAS_RATE calls/s sustained (the ceiling)"
echo "ratio: $RATIO (target >= 0.5)"
echo "simultaneous recordings without RTP loss: $HELD ($STREAMS streams captured, $LOSSY with loss)"
echo "memory per call: ${PER_CALL} kB PSS"
bench_le 0.5 "$RATIO" || { echo "bench: um-sipd below half of sipp's uas"; exit 1; }
