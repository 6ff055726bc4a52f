#!/bin/bash
# Load: smtp-source at concurrency 20 through smtp-edge into smtp-sink.
# Every message the client had accepted is at the sink, once; the
# listener holds as many descriptors afterwards as before. (10,000
# messages, about 20 s here; bench/smtp-edge.sh runs 20,000.)
. "$(dirname "$0")/lib.sh"
need smtp-source smtp-sink

N=${EDGE_LOAD_MESSAGES:-10000}
smtp_sink_start
edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test"],
  "max_connections": 100,
  "routes": { "*": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log
EDGE_PID=$(serve_pid edge)
FDS_BEFORE=$(serve_fds "$EDGE_PID")

test_expect_success "$N messages from smtp-source -s 20 all arrive, once each" '
	smtp-source -s 20 -m $N -l 1024 -f bob@sender.test -t alice@example.test \
		127.0.0.1:$EDGE_PORT >source.out 2>&1 &&
	! grep -i "error\|fatal\|warning" source.out &&
	smtp_sink_wait $N 60 &&
	test "$(edge_sink_count)" = "$N" &&
	test "$(grep -c "accept: message passed on" "$LOG")" = "$N" &&
	cat "$SINK_DIR"/* | sed -n "s/.*(postern smtp-edge) with E*SMTP id \([^ ]*\).*/\1/p" |
		sort | uniq -d >dups &&
	test ! -s dups &&
	test "$(cat "$SINK_DIR"/* | grep -c "(postern smtp-edge) with E*SMTP id")" = "$N"
'

test_expect_success 'the listener holds the descriptors it held before' '
	sleep 1 &&
	test "$(serve_fds "$EDGE_PID")" = "$FDS_BEFORE"
'

test_done
