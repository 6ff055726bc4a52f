#!/bin/bash
# smtp-edge against its ceiling and against Postfix: smtp-source -s 20
# -m 20000 -l 2048, once with a connection per message and once with -d
# (1,000 messages over each of 20 connections), (a) straight into
# smtp-sink, (b) through smtp-edge -d to the same smtp-sink with a DNS
# block list, SPF (a record that passes for 127.0.0.1) and recipient
# validation against a 10,000-user LDIF directory, (c) through a private
# Postfix smtpd whose smtpd_proxy_filter is the same smtp-sink, with
# reject_rbl_client on the same zone and the same recipients in
# relay_recipient_maps (no SPF policy daemon: Postfix checks no SPF, so
# it does less work than smtp-edge), and (d), a reference and not a
# target: HAProxy as a TCP relay with one thread between the same
# smtp-source and smtp-sink, which copies bytes and does no SMTP work at
# all (its d/a is the share of the ceiling any relay keeps on this
# machine when its own work is free). Prints messages per second, the
# ratios b/a, b/c and d/a, the number of block-list queries each made, the
# CPU time smtp-edge spent per message (its listener and all its session
# processes: on a shared, loaded machine a steadier figure than the
# rates) and what smtp-source and smtp-sink spent in (a) and (b) (both
# are single event-loop processes that do less per message the busier
# they are: in (a) they batch each other's events), and the peak memory (VmHWM) of the smtp-edge listener and of
# its largest session. Exits 0 when b/c >= 1.2 and b/a >= 0.5 in both modes, 1 when
# a target is missed, 69 when a program is missing, 70 when a run fails.
# smtp-edge runs with a pool of 2 workers of 16 sessions each
# ("sessions_per_worker": each session a fiber on its worker's epoll
# loop, so that one wake-up serves several sessions' events; 1 is a
# session a process: EDGE_BENCH_WORKERS=20 EDGE_BENCH_SPW=1 measures
# that; EDGE_BENCH_WORKERS=0 measures fork per connection; Postfix
# reuses its smtpd processes too):
# forking a process per connection costs 10 to 20 times the CPU per
# message (each process makes its own resolver context and has an empty
# DNS answer cache, and cannot keep its next-hop session for the next
# client).
#
# Postfix's reject_rbl_client asks the system resolver (/etc/resolv.conf,
# port 53), so the whole benchmark runs in private mount and network
# namespaces: its own loopback, unbound on 127.0.0.1:53 (the one DNS
# server of both), /etc/resolv.conf bind-mounted to point there. Needs
# root and unshare(1).
# Usage: [BUILD=build] bench/smtp-edge.sh
# Env: EDGE_BENCH_MESSAGES (20000), EDGE_BENCH_SESSIONS (20),
#      EDGE_BENCH_ROUNDS (3: rounds of a, b, c, d in turn, medians),
#      EDGE_BENCH_WORKERS (2; 0: a process forked per connection),
#      EDGE_BENCH_SPW (sessions_per_worker, 16),
#      EDGE_BENCH_EDGE_CONF='"key": value, ...' more smtp-edge keys,
#      EDGE_BENCH_MODES ("conn reuse"), KEEP_TMP=1 keeps the logs,
#      EDGE_BENCH_TRACE=M: M messages a mode more under strace (below).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

if [ -z "${EDGE_BENCH_NETNS:-}" ]; then
	command -v unshare >/dev/null && command -v ip >/dev/null ||
		{ echo "bench: unshare and ip are missing (packages util-linux, iproute2)" >&2; exit 69; }
	[ "$(id -u)" = 0 ] || { echo "bench: needs root for private namespaces" >&2; exit 69; }
	EDGE_BENCH_NETNS=1 exec unshare --mount --net --propagation private bash "$0" "$@"
fi
ip link set lo up || { echo "bench: cannot bring up loopback in the namespace" >&2; exit 69; }
# 80,000 connections in a few minutes on one loopback: more ephemeral
# ports, and TIME_WAIT ones reused (this namespace only).
sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
	net.core.somaxconn=1024 2>/dev/null

. "$(dirname "$0")/lib.sh"

N=${EDGE_BENCH_MESSAGES:-20000}
S=${EDGE_BENCH_SESSIONS:-20}
L=2048
USERS=10000
MODES=${EDGE_BENCH_MODES:-conn reuse}
# Rounds of the four in turn, each figure the median of its rounds: a
# change in the machine's load between two runs minutes apart moved b/a
# by 0.2 where one round each was taken (see smtp-edge(8) BENCHMARK).
ROUNDS=${EDGE_BENCH_ROUNDS:-3}
case $ROUNDS in ''|*[!0-9]*|0) bench_fail "EDGE_BENCH_ROUNDS: a number of rounds, not '$ROUNDS'" 64 ;; esac
# two workers (one per CPU here) of SPW sessions each, fibers on each
# worker's epoll loop (sessions_per_worker; see smtp-edge(8)): room for
# more than the S sessions, so that none waits for a worker's "free"
WORKERS=${EDGE_BENCH_WORKERS:-2}
SPW=${EDGE_BENCH_SPW:-16}
EDGE=$BIN/smtp-edge
for t in smtp-source smtp-sink postfix postconf postmap unbound python3 socat haproxy; do
	command -v "$t" >/dev/null || bench_fail "$t is missing (make bench installs it)"
done
[ -x "$EDGE" ] || bench_fail "smtp-edge is not built: $EDGE is missing (build it: make O=$BUILD)"
W=$TEST_TMP
cd "$W" || exit 70

# The sampler, unbound, the sink, smtp-edge and Postfix are registered for
# the kill at exit (lib.sh's trap), whatever ends the run.

# The directory: user N has mail Nu@example.test and the alias
# (N+10000)u@example.test, so that smtp-source -N (recipients 1u@, 2u@,
# ... N u@) spreads over every user, each hit once per alias. Postfix's
# map holds the same 20,000 addresses.
awk -v n="$USERS" 'BEGIN {
	print "version: 1\n"
	print "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Bench\n"
	print "dn: ou=people,dc=example,dc=test\nobjectClass: organizationalUnit\nou: people\n"
	for (i = 1; i <= n; i++)
		printf "dn: uid=u%d,ou=people,dc=example,dc=test\nobjectClass: inetOrgPerson\n" \
			"objectClass: posternUser\nuid: u%d\ncn: User %d\nsn: %d\n" \
			"mail: %du@example.test\nposternMailAlias: %du@example.test\n\n", i, i, i, i, i, i + n
}' >users.ldif
awk -v n="$USERS" 'BEGIN { for (i = 1; i <= 2 * n; i++) printf "%du@example.test OK\n", i }' >recipients
mkdir -p postmap && : >postmap/main.cf	# postmap wants one; there is no /etc/postfix
postmap -c "$W/postmap" hash:recipients || bench_fail "postmap cannot build the recipient map" 70

# DNS: the block list (127.0.0.2 listed, the client 127.0.0.1 not), the
# sender domain's SPF record, nothing else (the style of
# testsuite/lib/dns.sh, on port 53 of this namespace's loopback).
mkdir -p unbound
cat >unbound/unbound.conf <<EOF
server:
	interface: 127.0.0.1
	port: 53
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$W/unbound"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	log-queries: yes
	num-threads: 1
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "." refuse
	local-zone: "dnsbl.bench.test." static
	local-data: "dnsbl.bench.test. 3600 IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60"
	local-data: "2.0.0.127.dnsbl.bench.test. 3600 IN A 127.0.0.2"
	local-data: '2.0.0.127.dnsbl.bench.test. 3600 IN TXT "listed: bench entry"'
	local-zone: "sender.test." static
	local-data: "sender.test. 3600 IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60"
	local-data: 'sender.test. 3600 IN TXT "v=spf1 ip4:127.0.0.1 -all"'
	local-data: "sender.test. 3600 IN MX 10 mx.sender.test."
	local-data: "mx.sender.test. 3600 IN A 127.0.0.1"
	local-zone: "example.test." static
	local-data: "example.test. 3600 IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60"
	local-data: "example.test. 3600 IN MX 10 mail.example.test."
	local-data: "mail.example.test. 3600 IN A 127.0.0.1"
remote-control:
	control-enable: no
EOF
unbound-checkconf unbound/unbound.conf >unbound/check.log 2>&1 ||
	bench_fail "bad unbound config: $(tail -n 3 unbound/check.log)" 70
bg_start unbound timeout 1800 unbound -d -c "$W/unbound/unbound.conf"
python3 "$SRCDIR/testsuite/fixtures/dns/probe.py" 53 10 ||
	bench_fail "unbound does not answer on 127.0.0.1:53: $(tail -n 5 unbound.log)" 70
DNS_LOG=$W/unbound.log
printf 'nameserver 127.0.0.1\noptions attempts:2 timeout:2\n' >resolv.conf
mount --bind "$W/resolv.conf" /etc/resolv.conf ||
	bench_fail "cannot bind-mount a resolv.conf in the private namespace" 70

# The next hop of all three, as fast as it goes: no transcript, nothing
# saved; -c counts the messages (a line per event, read at the end).
SINK_PORT=$(free_ports 1) || bench_fail "no free port" 70
bg_start sink smtp-sink -c -u root -h sink.example.test "127.0.0.1:$SINK_PORT" 1024
wait_port "$SINK_PORT" || bench_fail "smtp-sink does not listen: $(cat sink.log)" 70

# (d) the zero-work reference: HAProxy in TCP mode, one thread.
HAP_PORT=$(free_ports 1) || bench_fail "no free port" 70
cat >haproxy.cfg <<EOF_HAP
global
	nbthread 1
	maxconn 4000
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
listen relay
	bind 127.0.0.1:$HAP_PORT
	server sink 127.0.0.1:$SINK_PORT
EOF_HAP
bg_start haproxy haproxy -db -f "$W/haproxy.cfg"
wait_port "$HAP_PORT" || bench_fail "haproxy did not start: $(cat haproxy.log)" 70

# (b) smtp-edge.
EDGE_PORT=$(free_ports 1) || bench_fail "no free port" 70
cat >edge.json <<EOF
{
  "log": { "target": "stderr" },
  "dns": { "resolver": ["127.0.0.1"], "timeout": "3s" },
  "directory": { "backend": "file", "file": "$W/users.ldif" },
  "smtp-edge": {
    "listen": ["127.0.0.1:$EDGE_PORT"],
    "hostname": "edge.example.test",
    "max_connections": 100,
    "backlog": 1024,
    "workers": $WORKERS,
    "sessions_per_worker": $SPW,
    "dnsbl": [ { "zone": "dnsbl.bench.test" } ],
    "local_domains": ["example.test"],
    "validate_recipients": true,
    "spf": { "enabled": true, "pass": "tag", "fail": "reject" },
    "routes": { "example.test": { "host": "127.0.0.1:$SINK_PORT", "tls": "none" } }${EDGE_BENCH_EDGE_CONF:+,
    $EDGE_BENCH_EDGE_CONF}
  }
}
EOF
"$EDGE" -n -c edge.json >edge-check.log 2>&1 || bench_fail "bad smtp-edge config: $(tail -n 5 edge-check.log)" 70
serve_standalone edge "$EDGE_PORT" "$EDGE" -c "$W/edge.json" -d >/dev/null ||
	bench_fail "smtp-edge did not start: $(tail -n 5 edge.log)" 70
EDGE_PID=$(serve_pid edge)

# (c) Postfix, the same checks but SPF, before-queue into the same sink.
postfix_start --no-tls \
	--set "relay_domains = example.test" \
	--set "relay_recipient_maps = hash:$W/recipients" \
	--set "smtpd_reject_unlisted_recipient = yes" \
	--set "smtpd_recipient_restrictions = reject_rbl_client dnsbl.bench.test, permit_mynetworks, reject_unauth_destination" \
	--set "smtpd_proxy_filter = 127.0.0.1:$SINK_PORT" \
	--set "smtpd_client_connection_count_limit = 0"

# Both refuse an unknown recipient and take a known one, before any
# timing: otherwise the comparison is void.
probe() {
	printf 'EHLO client.bench.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<7u@example.test>\r\nRCPT TO:<10007u@example.test>\r\nQUIT\r\n' |
		CHAT_TIMEOUT=10 tcp_chat "$1" 2>&1 | tr -d '\r'
}
for v in edge:$EDGE_PORT postfix:$POSTFIX_PORT; do
	probe "${v#*:}" >"probe-${v%%:*}.out"
	grep -q '^550 5\.1\.1 ' "probe-${v%%:*}.out" && [ "$(grep -c '^250 2\.1\.5 ' "probe-${v%%:*}.out")" = 2 ] ||
		{ cat "probe-${v%%:*}.out" >&2; bench_fail "${v%%:*} does not validate recipients as expected" 70; }
done

# The sampler: VmHWM of the listener and of each of its sessions, the
# largest kept, every 200 ms, in bash alone (no fork per sample).
hwm_of() {
	local k v u
	while read -r k v u; do
		[ "$k" = VmHWM: ] && { echo "$v"; return; }
	done <"/proc/$1/status" 2>/dev/null
	echo 0
}
sampler() {
	local kids k h max=0
	while kill -0 "$EDGE_PID" 2>/dev/null; do
		read -r kids <"/proc/$EDGE_PID/task/$EDGE_PID/children" 2>/dev/null
		for k in $kids; do
			h=$(hwm_of "$k")
			[ "$h" -gt "$max" ] && { max=$h; echo "$max" >"$W/session-hwm"; }
		done
		sleep 0.2
	done
}
echo 0 >session-hwm
bg_start sampler sampler

sink_count() {
	# -c prints "sess=N quit=N mesg=N" at each event, CR-separated.
	tr '\r' '\n' <sink.log | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo 0
}
dnsbl_count() { grep -c 'info: 127\.0\.0\.1 1\.0\.0\.127\.dnsbl\.bench\.test\. A IN' "$DNS_LOG"; }
# CPU ticks smtp-edge spends (the listener, the session processes alive,
# those reaped): edge_cpu_mark notes each process's ticks so far,
# edge_cpu_since prints the ticks spent since. A process that was alive at
# the mark and has been reaped since went into the listener's children's
# time whole: what it had spent before the mark is taken out again.
declare -A cpu_mark
edge_cpu_read() {	# prints "PID TICKS" for the listener (children's
	local kids k u	# time included) and each live session
	read -r kids <"/proc/$EDGE_PID/task/$EDGE_PID/children" 2>/dev/null
	for k in $EDGE_PID $kids; do
		read -r -a u <"/proc/$k/stat" 2>/dev/null || continue
		if [ "$k" = "$EDGE_PID" ]; then
			echo "$k $((u[13] + u[14] + u[15] + u[16]))"
		else
			echo "$k $((u[13] + u[14]))"
		fi
	done
}
edge_cpu_mark() {
	local p t
	cpu_mark=()
	while read -r p t; do cpu_mark[$p]=$t; done < <(edge_cpu_read)
}
edge_cpu_since() {
	local p t sum=0
	declare -A now=()
	while read -r p t; do now[$p]=$t; done < <(edge_cpu_read)
	for p in "${!now[@]}"; do sum=$((sum + now[$p] - ${cpu_mark[$p]:-0})); done
	for p in "${!cpu_mark[@]}"; do
		[ -n "${now[$p]:-}" ] || sum=$((sum - cpu_mark[$p]))
	done
	echo "$sum"
}
# Voluntary context switches of smtp-edge's sessions (each a sleep in a
# read, a poll or a write that had to wait, and the wake-up after it):
# edge_wakeups prints the sum over the live session processes. Pooled
# workers live through a run, so the difference is the run's (with
# EDGE_BENCH_WORKERS=0 the forked sessions are gone: no figure).
edge_wakeups() {
	local kids k key v sum=0
	read -r kids <"/proc/$EDGE_PID/task/$EDGE_PID/children" 2>/dev/null
	for k in $kids; do
		while read -r key v; do
			[ "$key" = voluntary_ctxt_switches: ] && sum=$((sum + v))
		done <"/proc/$k/status" 2>/dev/null
	done
	echo "$sum"
}
TICKS=$(getconf CLK_TCK)
SINK_PID=$(cat sink.pid)
HAP_PID=$(cat haproxy.pid)
# CPU of smtp-sink or HAProxy (ticks) and of this shell's children so far
# (ms: the smtp-source just run, and bench_time's awk), so that each line
# can say what a message cost the client, the sink and the relay as well.
pid_ticks() {
	local u
	read -r -a u <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
	echo $((u[13] + u[14]))
}
sink_ticks() { pid_ticks "$SINK_PID"; }
# times_ms FILE: the children's user and system time in the output of
# bash's times (run in the shell itself, not in a command substitution).
times_ms() { awk 'NR == 2 { n = 0
	for (i = 1; i <= 2; i++) { split($i, t, "m"); n += t[1] * 60000 + t[2] * 1000 }
	printf "%d\n", n }' "$1"; }

# run WHAT PORT MODE: one timed smtp-source run; prints messages/second
# and records the sink and DNS list counts for it.
run() {
	local what=$1 port=$2 mode=$3 d='' ms sink0 dns0 got k0 h0 w0
	[ "$mode" = reuse ] && d=-d
	sink0=$(sink_count)
	dns0=$(dnsbl_count)
	edge_cpu_mark
	w0=$(edge_wakeups)
	k0=$(sink_ticks)
	h0=$(pid_ticks "$HAP_PID")
	times >"times0-$what-$mode"
	bench_time "source-$what-$mode.out" smtp-source -s "$S" -m "$N" -l "$L" $d -N \
		-M client.bench.test -f bob@sender.test -t u@example.test "127.0.0.1:$port" \
		>"ms-$what-$mode"
	times >"times1-$what-$mode"
	echo $(( ($(times_ms "times1-$what-$mode") - $(times_ms "times0-$what-$mode")) * 1000 / N )) \
		>"cpu-source-$what-$mode"
	echo $(( ($(sink_ticks) - k0) * 1000000 / TICKS / N )) >"cpu-sink-$what-$mode"
	echo $(( ($(pid_ticks "$HAP_PID") - h0) * 1000000 / TICKS / N )) >"cpu-relay-$what-$mode"
	ms=$(cat "ms-$what-$mode")
	[ "$bench_rc" -eq 0 ] && ! grep -qi 'error\|fatal\|warning' "source-$what-$mode.out" ||
		{ tail -n 5 "source-$what-$mode.out" >&2; bench_fail "smtp-source into $what ($mode) failed" 70; }
	sleep 0.3
	got=$(( $(sink_count) - sink0 ))
	[ "$got" -eq "$N" ] || bench_fail "$what ($mode): the sink got $got messages, not $N" 70
	echo $(( $(dnsbl_count) - dns0 )) >"dns-$what-$mode"
	[ "$what" = edge ] &&
		echo $(( $(edge_cpu_since) * 1000000 / TICKS / N )) >"cpu-edge-$mode" &&
		awk -v a="$w0" -v b="$(edge_wakeups)" -v n="$N" \
			'BEGIN { printf "%.1f\n", (b > a ? (b - a) / n : 0) }' >"wake-edge-$mode"
	awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%.1f\n", n / (ms / 1000) }'
}

st=0
for mode in $MODES; do
	case $mode in
	conn) desc="a connection per message" ;;
	reuse) desc="smtp-source -d, $((N / S)) messages a connection" ;;
	*) bench_fail "EDGE_BENCH_MODES: conn or reuse, not '$mode'" 64 ;;
	esac
	for r in $(seq "$ROUNDS"); do
		for v in sink:$SINK_PORT edge:$EDGE_PORT postfix:$POSTFIX_PORT haproxy:$HAP_PORT; do
			run "${v%%:*}" "${v#*:}" "$mode" >"rate-${v%%:*}-$mode" || exit $?
			# each figure of the round kept for the medians
			for f in rate cpu-source cpu-sink cpu-relay dns; do
				cat "$f-${v%%:*}-$mode" >>"$f-${v%%:*}-$mode.rounds"
			done
		done
		cat "cpu-edge-$mode" >>"cpu-edge-$mode.rounds"
		cat "wake-edge-$mode" >>"wake-edge-$mode.rounds"
		[ "$ROUNDS" -gt 1 ] && printf '%s round %d: a %s, b %s, c %s, d %s msg/s; b/a %s, d/a %s\n' \
			"$mode" "$r" "$(cat "rate-sink-$mode")" "$(cat "rate-edge-$mode")" \
			"$(cat "rate-postfix-$mode")" "$(cat "rate-haproxy-$mode")" \
			"$(bench_ratio "$(cat "rate-edge-$mode")" "$(cat "rate-sink-$mode")")" \
			"$(bench_ratio "$(cat "rate-haproxy-$mode")" "$(cat "rate-sink-$mode")")"
	done
	# the medians in place of the last round's figures; the DNS list
	# queries summed over the rounds (the answers are cached)
	for f in *-"$mode".rounds; do
		case $f in
		dns-*) awk '{ n += $1 } END { print n + 0 }' "$f" >"${f%.rounds}" ;;
		*) bench_median "$f" | awk '{ v = $1 + 0; print (v == int(v) ? int(v) : v) }' >"${f%.rounds}" ;;
		esac
	done
	a=$(cat "rate-sink-$mode") b=$(cat "rate-edge-$mode")
	c=$(cat "rate-postfix-$mode") d=$(cat "rate-haproxy-$mode")
	ba=$(bench_ratio "$b" "$a")
	bc=$(bench_ratio "$b" "$c")
	da=$(bench_ratio "$d" "$a")
	printf '%s (%s, %d messages of %d bytes, %d sessions%s):\n' "$mode" "$desc" "$N" "$L" "$S" \
		"$([ "$ROUNDS" -gt 1 ] && echo ", medians of $ROUNDS rounds")"
	printf '  (a) smtp-sink:           %9.1f msg/s  (CPU us/message: smtp-source %s, smtp-sink %s)\n' \
		"$a" "$(cat "cpu-source-sink-$mode")" "$(cat "cpu-sink-sink-$mode")"
	printf '  (b) smtp-edge:           %9.1f msg/s  (DNS list queries%s: %s; CPU %s us/message;\n' \
		"$b" "$([ "$ROUNDS" -gt 1 ] && echo ", all rounds")" \
		"$(cat "dns-edge-$mode")" "$(cat "cpu-edge-$mode")"
	printf '                                          smtp-source %s, smtp-sink %s;\n' \
		"$(cat "cpu-source-edge-$mode")" "$(cat "cpu-sink-edge-$mode")"
	printf '                                          session sleeps a message: %s)\n' \
		"$(cat "wake-edge-$mode")"
	printf '  (c) Postfix proxy:       %9.1f msg/s  (DNS list queries%s: %s)\n' "$c" \
		"$([ "$ROUNDS" -gt 1 ] && echo ", all rounds")" "$(cat "dns-postfix-$mode")"
	printf '  (d) HAProxy TCP relay:   %9.1f msg/s  (a reference, no SMTP work; CPU %s us/message;\n' \
		"$d" "$(cat "cpu-relay-haproxy-$mode")"
	printf '                                          smtp-source %s, smtp-sink %s)\n' \
		"$(cat "cpu-source-haproxy-$mode")" "$(cat "cpu-sink-haproxy-$mode")"
	printf '  b/a: %s (target >= 0.5)  b/c: %s (target >= 1.2)  d/a: %s (reference)\n' "$ba" "$bc" "$da"
	bench_le 0.5 "$ba" || { echo "  smtp-edge is below half the ceiling ($mode)"; st=1; }
	bench_le 1.2 "$bc" || { echo "  smtp-edge does not beat Postfix by 20% ($mode)"; st=1; }
done
# EDGE_BENCH_TRACE=M: after the timed runs, M more messages a mode (not
# timed: strace slows everything) with strace attached to the listener
# and every session process, and the system calls a message by name (strace-MODE is the
# whole trace, kept with KEEP_TMP).
trace_mode() {
	local mode=$1 m=$EDGE_BENCH_TRACE d='' kids k spid pids=()
	[ "$mode" = reuse ] && d=-d
	read -r kids <"/proc/$EDGE_PID/task/$EDGE_PID/children"
	# the listener too (it forks a process for a connection no worker
	# takes), and with -f the workers it forks meanwhile
	for k in $EDGE_PID $kids; do pids+=(-p "$k"); done
	strace -f -qq -tt -o "strace-$mode" "${pids[@]}" 2>/dev/null &
	spid=$!
	sleep 1
	smtp-source -s "$S" -m "$m" -l "$L" $d -N -M client.bench.test -f bob@sender.test \
		-t u@example.test "127.0.0.1:$EDGE_PORT" >"source-trace-$mode.out" 2>&1 ||
		bench_fail "smtp-source under strace ($mode) failed" 70
	sleep 0.5
	kill -INT "$spid"
	wait "$spid"
	printf '%s, under strace, %d messages: system calls a message in the listener and the sessions\n' "$mode" "$m"
	awk -v m="$m" '/resumed>/ || $3 !~ /^[a-z_0-9]+\(/ { next }
		{ sub(/\(.*/, "", $3); n[$3]++; t++ }
		END { printf "  all %.1f:", t / m
			for (k in n) if (n[k] / m >= 0.05) printf " %s %.2f", k, n[k] / m
			printf "\n" }' "strace-$mode"
}
if [ -n "${EDGE_BENCH_TRACE:-}" ]; then
	command -v strace >/dev/null || bench_fail "EDGE_BENCH_TRACE: strace is missing"
	[ "$WORKERS" -gt 0 ] || bench_fail "EDGE_BENCH_TRACE needs a pool of workers"
	for mode in $MODES; do trace_mode "$mode"; done
fi
# Both cache answers (Postfix in each smtpd process, smtp-edge in each
# session process), so a run may need none; but both must have asked.
for what in edge postfix; do
	[ "$(cat dns-$what-*.rounds | awk '{ n += $1 } END { print n + 0 }')" -gt 0 ] ||
		bench_fail "no DNS list query from $what seen at unbound: the comparison is void" 70
done
printf 'smtp-edge: "workers": %s, "sessions_per_worker": %s (%s)\n' "$WORKERS" "$SPW" \
	"$([ "$WORKERS" -gt 0 ] && echo "a pool of reused session processes" || echo "a process forked per connection")"
printf 'smtp-edge memory: listener VmHWM %s kB, largest session VmHWM %s kB\n' \
	"$(hwm_of "$EDGE_PID")" "$(cat session-hwm)"
[ "$st" -eq 0 ] && echo "targets hold" || echo "targets missed"
exit "$st"
