#!/bin/bash
# Dropping privileges: started as root with "user": "nobody", the
# listener binds, then becomes nobody, and so do its sessions; under
# inetd the session drops too; an unknown user is a config error.
. "$(dirname "$0")/lib.sh"
need socat
[ "$(id -u)" = 0 ] || bail "this test drops root, so it must run as root"

NOBODY="uid=$(id -u nobody) gid=$(id -g nobody)"
P=$(free_ports 1)
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ], "user": "nobody" } }
EOF
cat >"$TEST_TMP/bad.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ], "user": "no-such-user-x" } }
EOF
# The config must stay readable once we are nobody (SIGHUP re-reads it).
chmod 755 "$TEST_TMP" && chmod 644 "$TEST_TMP/c.json"
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"

test_expect_success 'the session runs as nobody' '
	echo UID | tcp_chat $P >actual &&
	test_grep "^$NOBODY$" actual
'

test_expect_success 'the listener itself runs as nobody, with no way back' '
	pid=$(serve_pid d) &&
	uid=$(id -u nobody) &&
	grep -E "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" /proc/$pid/status &&
	grep -E "^Groups:\s+$(id -g nobody)\s*$" /proc/$pid/status
'

test_expect_success 'after the drop, SIGHUP still reloads' '
	kill -HUP $(serve_pid d) &&
	serve_wait_log d "reloaded greeting=" &&
	echo UID | tcp_chat $P >actual &&
	test_grep "^$NOBODY$" actual
'

test_expect_success 'inetd: the session drops too' '
	echo UID | postern-testd -c c.json serve --inetd >actual 2>log &&
	test_grep "^$NOBODY$" actual
'

test_expect_code 78 'an unknown user is a config error' '
	postern-testd -c bad.json serve --inetd </dev/null 2>log; rc=$?;
	test_grep "cannot drop privileges: unknown user .no-such-user-x." log && exit $rc
'

test_done
