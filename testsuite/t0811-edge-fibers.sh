#!/bin/bash
# sessions_per_worker: one pooled worker ("workers": 1) serves several
# sessions at once, each a fiber. 20 concurrent clients all relayed by
# that one process, each message at the sink once; every log line of a
# session carries that session's own id and client (no line of one
# session with another's fields); a client that dawdles in the middle of
# DATA holds up nobody else; the command timeout still fires; smtp-source
# at concurrency 20 arrives whole and leaves the listener's descriptors
# as they were; kill -9 of the worker in the middle of several sessions'
# DATA: none of their clients got 250 and the sink got nothing from them;
# the harvest tarpit's delay holds up its own session only; sessions
# waiting on the resolver's one descriptor each time out by itself and
# all at once; worker_max_use
# replaces the worker; SIGTERM lets the worker's sessions finish before
# the listener exits.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink smtp-source python3

smtp_sink_start
edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test"],
  "workers": 1, "sessions_per_worker": 25, "max_connections": 100,
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
# a command timeout short enough to watch
sed -i 's/"timeout": "20s"/"timeout": "3s"/' "$TEST_TMP/edge.json"
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log
EDGE_PID=$(serve_pid edge)
FDS_BEFORE=$(serve_fds "$EDGE_PID")
# the pids that served connections, one a line, as the listener logged them
pids() { sed -n 's/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p' "$LOG"; }

test_expect_success 'smtp-edge -n takes sessions_per_worker' '
	smtp-edge -n -c "$TEST_TMP/edge.json" &&
	test_grep -q "listening addr=127.0.0.1:$EDGE_PORT .* workers=1$" "$LOG"
'

test_expect_success '20 concurrent clients: all relayed by the one worker, each once' '
	for i in $(seq 20); do
		swaks --server 127.0.0.1:$EDGE_PORT --from "bob$i@sender.test" \
			--to alice@example.test --helo "client$i.test" \
			--header "Subject: fiber-$i" --body "body $i" >out.$i 2>&1 &
	done &&
	wait &&
	for i in $(seq 20); do test_grep -q "<-  250 2.0.0 Ok" out.$i || exit 1; done &&
	smtp_sink_wait 20 &&
	test "$(edge_sink_count)" = 20 &&
	for i in $(seq 20); do
		test "$(grep -l "^Subject: fiber-$i\$" "$SINK_DIR"/* | wc -l)" = 1 || exit 1
	done &&
	pids >pids.all &&
	test "$(wc -l <pids.all)" = 20 &&
	test "$(sort -u pids.all | wc -l)" = 1
'

# The sessions ran interleaved: each session id's lines carry one peer
# and one client, each field once (a line that names the client itself
# does not get it again from the session's fields), and its message line
# the sender its client sent.
test_expect_success 'each session logs with its own fields only' '
	grep -o "session=[0-9A-F]*" "$LOG" | sort -u >ids &&
	test "$(wc -l <ids)" = 20 &&
	while read -r id; do
		grep "$id\( \|\$\)" "$LOG" >lines &&
		test "$(wc -l <lines)" -ge 5 &&
		test "$(grep -o "peer=[0-9.:]*" lines | sort -u | wc -l)" = 1 &&
		test "$(grep -c " client=127.0.0.1 .*policy=default\$" lines)" = "$(wc -l <lines)" &&
		test "$(grep -c -e " client=.* client=" -e " peer=.* peer=" -e " session=.* session=" lines)" = 0 &&
		grep -o "from=<*bob[0-9]*@" lines | tr -d "<" | sort -u >froms &&
		test "$(wc -l <froms)" = 1 || exit 1
	done <ids &&
	cat ids | while read -r id; do grep "$id" "$LOG" | grep -o "from=<*bob[0-9]*@" |
		tr -d "<" | sort -u; done | sort | uniq -d >shared &&
	test ! -s shared
'

test_expect_success 'the sessions overlapped in the worker (the listener counted them)' '
	max=$(sed -n "s/.*connection peer=.* sessions=\([0-9]*\)\$/\1/p" "$LOG" | sort -n | tail -n 1) &&
	say "at most $max sessions at once, all in one process" &&
	test "$max" -ge 2
'

cat >"$TEST_TMP/slow-client.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.recv(1000)
s.sendall(b"EHLO slow.test\r\nMAIL FROM:<slow@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
buf = b""
while b"354" not in buf:
    buf += s.recv(1000)
s.sendall(b"Subject: slow\r\n\r\nthe first line\r\n")
open("slow-started", "w").close()
time.sleep(float(sys.argv[2]))
s.sendall(b"the last line\r\n.\r\nQUIT\r\n")
while True:
    d = s.recv(1000)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode().replace("\r", ""))
PY

test_expect_success 'a client dawdling in DATA holds up none of the others' '
	n=$(edge_sink_count) &&
	rm -f slow-started
	python3 "$TEST_TMP/slow-client.py" $EDGE_PORT 4 >slow.out 2>&1 &
	slow=$!
	for i in $(seq 100); do [ -e slow-started ] && break; sleep 0.05; done &&
	start=$(date +%s%N) &&
	for i in 1 2 3 4 5; do
		swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
			--header "Subject: beside-$i" >beside.$i 2>&1 &&
		test_grep -q "<-  250 2.0.0 Ok" beside.$i || exit 1
	done &&
	took=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "5 clients one after another beside the slow one: $took ms" &&
	test "$took" -lt 3000 &&
	for i in 1 2 3 4 5; do
		test "$(grep -l "^Subject: beside-$i\$" "$SINK_DIR"/* | wc -l)" = 1 || exit 1
	done &&
	wait $slow &&
	test_grep "^250 2.0.0 Ok" slow.out &&
	smtp_sink_wait $((n + 6)) &&
	grep -q "^the last line" $(grep -l "^Subject: slow" "$SINK_DIR"/*) &&
	test "$(pids | sort -u | wc -l)" = 1
'

test_expect_success 'the command timeout fires while other sessions go on' '
	start=$(date +%s%N) &&
	printf "EHLO idle.test\r\n" >idle.in
	smtp_raw $EDGE_PORT idle.in >idle.out &
	idle=$!
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: during-idle" >during 2>&1 &&
	test_grep -q "<-  250 2.0.0 Ok" during &&
	wait $idle &&
	took=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "the idle session closed after $took ms (timeout 3s)" &&
	test_grep "^421 4.4.2 edge.example.test Error: timeout exceeded" idle.out &&
	test "$took" -ge 2900 && test "$took" -lt 8000 &&
	test_grep "disconnect: timeout layer=2 check=timeout client=127.0.0.1" "$LOG"
'

test_expect_success 'smtp-source -s 20, 2000 messages: all arrive once, descriptors as before' '
	n=$(edge_sink_count) &&
	smtp-source -s 20 -m 2000 -l 1024 -f bob@sender.test -t alice@example.test \
		127.0.0.1:$EDGE_PORT >source.out 2>&1 &&
	! grep -i "error\|fatal\|warning" source.out &&
	smtp_sink_wait $((n + 2000)) 60 &&
	test "$(edge_sink_count)" = $((n + 2000)) &&
	cat "$SINK_DIR"/* | sed -n "s/.*(postern smtp-edge) with E*SMTP id \([^ ]*\).*/\1/p" |
		sort | uniq -d >dups &&
	test ! -s dups &&
	sleep 1 &&
	test "$(serve_fds "$EDGE_PID")" = "$FDS_BEFORE" &&
	test "$(pids | sort -u | wc -l)" = 1
'

test_expect_success 'kill -9 of the worker mid-DATA of 3 sessions: no 250, nothing at the sink' '
	n=$(edge_sink_count) &&
	rm -f sent.*
	for k in 1 2 3; do
		edge_midata_client $EDGE_PORT sent.$k >killed.$k 2>&1 &
	done
	for i in $(seq 100); do [ -e sent.1 ] && [ -e sent.2 ] && [ -e sent.3 ] && break; sleep 0.05; done &&
	sleep 0.3 &&
	worker=$(pids | tail -n 1) &&
	echo "$worker" >killed.pid &&
	test "$(pids | tail -n 3 | sort -u)" = "$worker" &&
	kill -9 "$worker" &&
	wait &&
	for k in 1 2 3; do
		test_grep -q "^354 " killed.$k && ! grep "^250 2.0.0" killed.$k || exit 1
	done &&
	sleep 1 &&
	test "$(edge_sink_count)" = "$n" &&
	! grep -l "Subject: killed" "$SINK_DIR"/*
'

test_expect_success 'the listener logs the kill, a new worker serves the next client' '
	test_grep "warning: session killed: Killed pid=[0-9]* signal=9" "$LOG" &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test "$(pids | tail -n 1)" != "$(cat killed.pid)"
'

EDGE_PORT=
cat >"$TEST_TMP/users.ldif" <<'LDIF'
version: 1

dn: uid=alice,dc=example,dc=test
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A
mail: alice@example.test
LDIF
edge_conf "$TEST_TMP/tarpit.json" '"relay_domains": ["example.test"],
  "workers": 1, "sessions_per_worker": 4,
  "local_domains": ["example.test"], "validate_recipients": true,
  "harvest_limit": 1, "harvest_delay": "1500ms", "harvest_disconnect": 2,
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }' \
	'"directory": { "backend": "file", "file": "'"$TEST_TMP/users.ldif"'" }'
edge_start tarpit "$TEST_TMP/tarpit.json"

test_expect_success 'the harvest tarpit delays its own session only' '
	printf "EHLO h.test\r\nMAIL FROM:<h@sender.test>\r\n" >harvest.in &&
	for i in 1 2 3 4; do printf "RCPT TO:<nobody$i@example.test>\r\n" >>harvest.in; done &&
	printf "QUIT\r\n" >>harvest.in &&
	start=$(date +%s%N)
	smtp_raw $EDGE_PORT harvest.in >harvest.out &
	harvester=$!
	sleep 0.5 &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: beside-tarpit" >beside-tarpit 2>&1 &&
	took=$(( ($(date +%s%N) - start) / 1000000 )) &&
	test_grep -q "<-  250 2.0.0 Ok" beside-tarpit &&
	wait $harvester &&
	all=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "a client beside the tarpit done after $took ms; the harvester after $all ms" &&
	test_grep "tarpit: directory harvest unknown=2 delay_ms=1500 layer=2 check=harvest" \
		"$TEST_TMP/tarpit.log" &&
	test_grep "^421 4.7.0" harvest.out &&
	test "$all" -ge 3000 &&
	test "$took" -lt 1500 &&
	test "$(sed -n "s/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p" "$TEST_TMP/tarpit.log" |
		sort -u | wc -l)" = 1
'

# A resolver that never answers: every session's block-list lookup waits
# on the one resolver descriptor of the worker until its own deadline.
dns_start_silent
EDGE_PORT=
edge_conf "$TEST_TMP/dnswait.json" '"relay_domains": ["example.test"],
  "workers": 1, "sessions_per_worker": 12,
  "dnsbl": [ { "zone": "bl1.test" } ], "dnsbl_timeout": "1500ms",
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }' \
	'"dns": { "resolver": ["'"$DNS_SILENT_RESOLVER"'"], "timeout": "1500ms" }'
edge_start dnswait "$TEST_TMP/dnswait.json"

test_expect_success '10 sessions waiting on the resolver at once: each times out by itself, in parallel' '
	start=$(date +%s%N)
	for i in $(seq 10); do
		swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
			--header "Subject: dnswait-$i" >dnswait.$i 2>&1 &
	done
	wait &&
	took=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "10 sessions with a 1.5 s block-list timeout each: $took ms" &&
	for i in $(seq 10); do test_grep -q "<-  250 2.0.0 Ok" dnswait.$i || exit 1; done &&
	test "$took" -ge 1500 && test "$took" -lt 6000 &&
	test "$(grep -c "warning: DNS list lookup failed, not counted as a listing: TEMPFAIL timeout layer=1 client=127.0.0.1 list=bl1.test" "$TEST_TMP/dnswait.log")" = 10 &&
	test "$(sed -n "s/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p" "$TEST_TMP/dnswait.log" |
		sort -u | wc -l)" = 1
'

EDGE_PORT=
edge_conf "$TEST_TMP/use.json" '"relay_domains": ["example.test"],
  "workers": 1, "sessions_per_worker": 4, "worker_max_use": 5,
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
sed -i 's/"timeout": "20s"/"timeout": "3s"/' "$TEST_TMP/use.json"
edge_start use "$TEST_TMP/use.json"

test_expect_success 'worker_max_use: 12 clients 4 at a time, the worker replaced, all relayed' '
	n=$(edge_sink_count)
	for round in 1 2 3; do
		for i in 1 2 3 4; do
			swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test \
				--to alice@example.test >mu.$round.$i 2>&1 &
		done
		wait
	done &&
	for f in mu.*; do test_grep -q "<-  250 2.0.0 Ok" $f || exit 1; done &&
	smtp_sink_wait $((n + 12)) &&
	sed -n "s/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p" "$TEST_TMP/use.log" |
		sort | uniq -c >use.pids &&
	cat use.pids &&
	test "$(wc -l <use.pids)" -ge 3 &&
	awk "\$1 > 5 { bad = 1 } END { exit bad }" use.pids
'

test_expect_success 'SIGTERM: the worker'"'"'s sessions finish (one mid-DATA), then the listener exits 0' '
	rm -f slow-started
	python3 "$TEST_TMP/slow-client.py" $EDGE_PORT 2 >drain-slow.out 2>&1 &
	slow=$!
	printf "EHLO other.test\r\n" >other.in
	smtp_raw $EDGE_PORT other.in >drain-other.out &
	other=$!
	for i in $(seq 100); do [ -e slow-started ] && break; sleep 0.05; done &&
	sleep 0.2 &&
	kill -TERM $(serve_pid use) &&
	serve_wait_log use "stopping: no new connections sessions=[0-9]* drain_timeout=30000ms" &&
	wait $slow &&
	test_grep "^250 2.0.0 Ok" drain-slow.out &&
	test_grep "^221 2.0.0 Bye" drain-slow.out &&
	wait $other &&
	test_grep "^421 4.4.2 edge.example.test Error: timeout exceeded" drain-other.out &&
	serve_wait_log use "stopped$" 300 &&
	test "$(serve_exit use)" = 0 &&
	! grep "terminating sessions" "$TEST_TMP/use.log"
'

test_done
