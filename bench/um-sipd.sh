#!/bin/bash
# um-sipd under load: sipp over TCP places 2-second voicemail calls (a
# 2 s tone as RTP, then BYE) at rising rates until a step has failures,
# against um-sipd and against sipp's own uas scenario (the ceiling: a UAS
# that records nothing and echoes the RTP back, -rtp_echo). Prints for each the highest rate (calls per
# second) whose step had no failed call and kept its rate, and the ratio, which must be
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
# -rtp_echo: the uas sends the caller's RTP back, as um-sipd sends its
# own stream, so that sipp's caller side carries the same media load in
# both runs
bg_start uas sipp -t tn -sn uas -i 127.0.0.1 -p "$UAS_PORT" -mp "$(free_ports 1)" -rtp_echo \
	-nostdin -max_socket 5000
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
# "good peak_calls peak_pss_kb seconds ok failed": good is 1 when every
# call succeeded and sipp kept the rate (the run took at most 1.5 s more
# than the calls need).
step() {
	local port=$1 rate=$2 n=$(($2 * STEP)) peak=0 peakmem=0 c spid t0 t1
	spid=$(serve_pid sipd)
	rm -f sipp.stat
	t0=$EPOCHREALTIME
	timeout $((STEP + 40)) sipp -t tn -sf "$W/call.xml" -s 1001 -i 127.0.0.1 \
		-p "$(free_ports 1)" -mp "$(free_ports 1)" -r "$rate" -m "$n" -l $((rate * 4 + 10)) \
		-nostdin -timeout $((STEP + 30))s -timeout_error -max_socket 5000 \
		-trace_stat -stf sipp.stat -fd 1 "127.0.0.1:$port" >sipp.out 2>&1 &
	local sp=$!
	while kill -0 "$sp" 2>/dev/null; do
		if [ "$port" = "$SIPD_PORT" ]; then
			# the session processes (one per call with -t tn), less
			# the spool process; PSS (costly to read for hundreds
			# of processes) only at the steady rates
			c=$(($(cat /proc/"$spid"/task/*/children 2>/dev/null | wc -w) - 1))
			if [ "$c" -gt "$peak" ]; then
				peak=$c
				[ "$rate" -le 80 ] && peakmem=$(pss "$spid")
			fi
		fi
		sleep 0.2
	done
	wait "$sp"
	t1=$EPOCHREALTIME
	awk -F';' -v n="$n" -v t0="$t0" -v t1="$t1" -v lim=$(( (STEP + 2) * 1000 + 1500 )) \
		-v peak="$peak" -v mem="$peakmem" '
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "FailedCall(C)") f = i;
			if ($i == "SuccessfulCall(C)") s = i } }
		END { good = (f && s && $f == 0 && $s == n && (t1 - t0) * 1000 <= lim)
			printf "%d %d %d %.1f %d %d\n", good, peak, mem, t1 - t0, s ? $s : 0, f ? $f : 0 }' \
		sipp.stat 2>/dev/null || echo "0 $peak $peakmem 0 0 0"
}

# ceilings: for each rate a step against um-sipd, then the same against
# sipp's uas right after it (the machine may be shared: both sides see
# the same load), until both have had a bad step; sets SIPD_RATE and
# UAS_RATE to the highest good rate of each.
ceilings() {
	local r out sd=1 ud=1
	SIPD_RATE=0 UAS_RATE=0
	for r in $RATES; do
		if [ $sd = 1 ]; then
			out=$(step "$SIPD_PORT" "$r")
			set -- $out
			echo "# um-sipd: $r calls/s for ${STEP}s: good=$1 took=${4}s ok=$5 failed=$6 peak_calls=$2 peak_pss_kb=$3" >&2
			if [ "$1" = 1 ]; then
				SIPD_RATE=$r
				[ "$2" -gt 0 ] && echo "$2 $3" >"$W/mem.$r"
			else
				sd=0
			fi
		fi
		if [ $ud = 1 ]; then
			out=$(step "$UAS_PORT" "$r")
			set -- $out
			echo "# sipp-uas: $r calls/s for ${STEP}s: good=$1 took=${4}s ok=$5 failed=$6" >&2
			[ "$1" = 1 ] && UAS_RATE=$r || ud=0
		fi
		[ $sd = 1 ] || [ $ud = 1 ] || break
	done
}

# held: steps up to the sustained rate again, each under a capture; the
# largest peak of calls whose RTP streams towards um-sipd's ports all
# show 0 lost.
held() {
	local r out tsh streams lossy best=0
	for r in $RATES; do
		[ "$r" -le "$SIPD_RATE" ] || break
		tshark -i lo -f "udp dst portrange 20000-29999" -w "$W/rtp.pcapng" -q >/dev/null 2>&1 &
		tsh=$!
		sleep 1
		out=$(step "$SIPD_PORT" "$r")
		set -- $out
		sleep 0.5
		kill "$tsh"; wait "$tsh" 2>/dev/null
		tshark -r "$W/rtp.pcapng" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams \
			2>/dev/null >"$W/streams.txt"
		# columns: start end src port dst port ssrc payload packets lost
		streams=$(awk '$6 >= 20000 && $6 <= 29999 && $8 ~ /g711/ { n++ } END { print n + 0 }' "$W/streams.txt")
		lossy=$(awk '$6 >= 20000 && $6 <= 29999 && $8 ~ /g711/ && $10 + 0 != 0 { n++ } END { print n + 0 }' "$W/streams.txt")
		echo "# loss: $r calls/s: peak_calls=$2 rtp_streams=$streams with_loss=$lossy" >&2
		[ "$lossy" = 0 ] && [ "$streams" -gt 0 ] || break
		[ "$2" -gt "$best" ] && best=$2
	done
	echo "$best"
}

ceilings
[ "$UAS_RATE" -gt 0 ] || bench_fail "sipp's uas took no step without failures"
RATIO=$(bench_ratio "$SIPD_RATE" "$UAS_RATE")
HELD=$(held)

# memory per call from a steady step (the fork storm of the fastest
# steps makes PSS samples noisy): the highest rate up to 80
MEM=
for f in $(ls "$W"/mem.* 2>/dev/null | sort -t. -k2 -n); do
	[ "${f##*.}" -le 80 ] && MEM=$f
done
PER_CALL=0
[ -n "$MEM" ] && PER_CALL=$(awk '{ if ($1 > 0) printf "%d", $2 / $1 }' "$MEM")

echo "um-sipd: $SIPD_RATE calls/s sustained, zero failures (2 s calls, sipp TCP)"
echo "sipp uas: $UAS_RATE calls/s sustained (the ceiling)"
echo "ratio: $RATIO (target >= 0.5)"
echo "simultaneous recordings without RTP loss: $HELD (tshark -z rtp,streams)"
echo "memory per call: ${PER_CALL} kB PSS"
bench_le 0.5 "$RATIO" || { echo "bench: um-sipd below half of sipp's uas"; exit 1; }
