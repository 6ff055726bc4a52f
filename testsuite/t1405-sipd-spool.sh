#!/bin/bash
# um-sipd's spool: the recording is a complete mail on disk before any
# delivery; with the MTA down it stays and is retried with backoff, and
# goes out once the MTA is back; a 451 at the end of data keeps it; kill
# -9 in the middle of a delivery loses nothing and a restart sends it
# once; "flush" says 75 while mail remains and 0 when the spool is empty.
. "$(dirname "$0")/lib.sh"
need sipp sox smtp-sink python3

SMTP_PORT=$(free_ports 1)
sipd_conf "$TEST_TMP/c.json" '' "$SMTP_PORT"
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.ul" 1 600 ul
sipd_scenario uac-voicemail "$TEST_TMP/call.xml" AUDIO="$TEST_TMP/tone.ul" HOLD=1100

# A fake MTA on $SMTP_PORT: MODE tempfail answers 451 after the data,
# stall never answers it (and touches $TEST_TMP/stalled).
fake_mta() {
	cat >"$TEST_TMP/mta.py" <<-'PY'
	import socket, sys, os, time
	mode, port, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(("127.0.0.1", port)); ls.listen(5)
	def serve(c):
	    f = c.makefile("rb")
	    c.sendall(b"220 fake ESMTP\r\n"); data = False
	    for line in f:
	        if data:
	            if line == b".\r\n":
	                data = False
	                if mode == "stall":
	                    open(mark, "w").close(); time.sleep(3600)
	                c.sendall(b"451 4.3.0 try later\r\n")
	            continue
	        cmd = line[:4].upper()
	        if cmd == b"DATA":
	            data = True; c.sendall(b"354 go\r\n")
	        elif cmd == b"QUIT":
	            c.sendall(b"221 bye\r\n"); break
	        else:
	            c.sendall(b"250 ok\r\n")
	while True:
	    c, _ = ls.accept()
	    try:
	        serve(c)
	    except OSError:
	        pass
	    c.close()
	PY
	bg_start "mta-$1" python3 "$TEST_TMP/mta.py" "$1" "$SMTP_PORT" "$TEST_TMP/stalled"
	wait_port "$SMTP_PORT"
}

test_expect_success 'with the MTA down the voicemail is spooled as a complete mail and retried' '
	sipd_sipp "$TEST_TMP/call.xml" 1001 &&
	serve_wait_log sipd "voicemail spooled" &&
	f=$(ls "$SIPD_SPOOL"/*.msg) &&
	test_grep "^POSTERN-UM 1 voicemail@example.test alice@example.test" "$f" &&
	test_grep "^Content-Type: audio/wav; name=" "$f" &&
	serve_wait_log sipd "voicemail delivery failed, will retry .*attempt=2 retry_in_ms=600" &&
	ls "$SIPD_SPOOL"/*.msg
'

test_expect_success 'flush exits 75 while the MTA is down' '
	test_expect_code_75() { um-sipd -c "$TEST_TMP/c.json" flush 2>flush.err; test $? = 75; } &&
	test_expect_code_75 &&
	test_grep "voicemail still spooled files=1" flush.err
'

fake_mta tempfail
test_expect_success 'a 451 after the data keeps the file' '
	serve_wait_log sipd "will retry .*reason=\"451 4.3.0 try later" &&
	ls "$SIPD_SPOOL"/*.msg
'
kill "$(cat "$TEST_TMP/mta-tempfail.pid")"; sleep 0.3

smtp_sink_start_on() {
	mkdir -p "$TEST_TMP/sink.d"
	bg_start sink smtp-sink -u root -h sink.example.test -d "$TEST_TMP/sink.d/%Y%m%d%H%M%S." \
		"127.0.0.1:$SMTP_PORT" 16
	wait_port "$SMTP_PORT"
	SINK_DIR=$TEST_TMP/sink.d
}
smtp_sink_start_on
test_expect_success 'once the MTA is back the mail goes out and the file is removed' '
	serve_wait_log sipd "voicemail delivered " &&
	smtp_sink_wait 1 &&
	! ls "$SIPD_SPOOL"/*.msg 2>/dev/null &&
	um-sipd -c "$TEST_TMP/c.json" flush
'
kill "$(cat "$TEST_TMP/sink.pid")"; sleep 0.3

fake_mta stall
test_expect_success 'kill -9 in the middle of a delivery loses nothing' '
	sipd_sipp "$TEST_TMP/call.xml" 1001 &&
	n=0; while [ ! -e stalled ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done &&
	test -e stalled &&
	pid=$(serve_pid sipd) &&
	kids=$(cat /proc/$pid/task/*/children) &&
	kill -9 $pid $kids &&
	ls "$SIPD_SPOOL"/*.msg >left &&
	test "$(wc -l <left)" = 1
'
kill "$(cat "$TEST_TMP/mta-stall.pid")"; sleep 0.3

smtp_sink_start_on
sipd_start sipd2 "$TEST_TMP/c.json"
test_expect_success 'after a restart it is delivered, once' '
	serve_wait_log sipd2 "voicemail delivered " &&
	smtp_sink_wait 2 &&
	sleep 1 &&
	test "$(ls "$SINK_DIR" | wc -l)" = 2 &&
	test "$(grep -c "voicemail delivered" sipd2.log)" = 1 &&
	! ls "$SIPD_SPOOL"/*.msg 2>/dev/null
'

test_done
