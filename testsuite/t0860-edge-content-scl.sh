#!/bin/bash
# smtp-edge's content layer, first stages: the message is spooled (in
# memory, then a file) and parsed once; scl-score's model gives the SCL
# in-process with actions by threshold (deliver, junk, reject) shown in
# X-Postern-SCL / X-Postern-Spam; the recipient's safe senders bypass
# scoring (SCL -1), blocked senders are refused, posternSCLJunkThreshold
# is per mailbox; exempt recipients bypass; outside X-Postern-SCL fields
# are removed; BDAT takes the same path; directory down gives 4xx.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need swaks smtp-sink sha256sum base64

scl_setup || bail "cannot train the test model"
T=$TEST_TMP
smtp_sink_start

blob() {
	for a in "$@"; do
		h=$(printf %s "$a" | sha256sum | cut -c1-8)
		printf "$(echo "$h" | sed 's/../\\x&/g')"
	done | base64 -w0
}
{ cat "$SRCDIR/testsuite/fixtures/dir/users.ldif"; cat <<EOF_LDIF

dn: uid=sclu,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: sclu
cn: SCL User
sn: User
mail: sclu@example.test
posternSafeSenders:: $(blob friend@partner.test)
posternBlockedSenders:: $(blob enemy@bad.test)

dn: uid=sclv,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: sclv
cn: SCL Always Junk
sn: Junk
mail: sclv@example.test
posternSCLJunkThreshold: 0
EOF_LDIF
} >"$T/all.ldif"

edge_conf "$T/edge.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "safelists": true, "spool_memory": "8k",
    "spool_directory": "'"$T"'",
    "bypass": { "exempt_recipients": ["postmaster@example.test"] },
    "scl": { "enabled": true, "model": "'"$SCL_MODEL"'", "reject_threshold": 6 } }' \
  '"directory": { "backend": "file", "file": "'"$T/all.ldif"'" }'
edge_start edge "$T/edge.json"
LOG=$T/edge.log
HAM=$(scl_one ham) SPAM=$(scl_one spam)

send() { swaks --server 127.0.0.1:$EDGE_PORT --helo client.test "$@"; }
# newest: the sink's file holding a Subject
sunk() { grep -l "$1" "$SINK_DIR"/* | head -n 1; }

test_expect_success 'smtp-edge -n accepts the content config' '
	smtp-edge -n -c "$T/edge.json"
'

test_expect_success 'ham: scored in-process, delivered with X-Postern-SCL and X-Postern-Spam' '
	sed "s/^Subject: .*/Subject: ham one/" "$HAM" >ham1 &&
	send --from carol@sender.test --to alice@example.test --data @ham1 >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 && f=$(sunk "ham one") &&
	test_grep "^X-Postern-SCL: [0-4]" "$f" &&
	test_grep "^X-Postern-Spam: p=0\.[0-9]*; action=deliver; reason=model" "$f" &&
	test_grep "^Received: from client.test" "$f" &&
	test_grep "deliver: scl=[0-4] p=0\.[0-9]* reason=model layer=3 check=scl" "$LOG"
'

test_expect_success 'spam: 550 5.7.1 at the end of DATA, nothing reaches the next hop' '
	n=$(edge_sink_count) &&
	sed "s/^Subject: .*/Subject: spam one/" "$SPAM" >spam1 &&
	! send --from win@lottery.invalid --to alice@example.test --data @spam1 >out 2>&1 &&
	test_grep -E "<\*\* 550 5.7.1 Message rejected as spam by content filtering \(SCL [6-9]\)" out &&
	test_grep -E "reject: scl=[6-9] p=0\.9[0-9]* reason=model layer=3 check=scl" "$LOG" &&
	sleep 0.3 && test "$(edge_sink_count)" = "$n"
'

test_expect_success 'junk: posternSCLJunkThreshold 0 makes ham junk for that mailbox only' '
	{ sed -n "1,/^\$/p" "$HAM" | sed "s/^Subject: .*/Subject: ham junk/"
	  echo "the and of to you your from as our"; } >ham2 &&
	scl-score -c "$SCL_CONF" check <ham2 | test_grep -q "^scl=[1-4] action=deliver " &&
	send --from carol@sender.test --to sclv@example.test --data @ham2 >out 2>&1 &&
	test_grep "<-  250 " out &&
	n=$(edge_sink_count) && smtp_sink_wait $n && f=$(sunk "ham junk") &&
	test_grep "^X-Postern-Spam: p=.*; action=junk; reason=model" "$f"
'

test_expect_success 'safe sender of the recipient: SCL -1, spam content delivered' '
	sed "s/^Subject: .*/Subject: spam from a friend/" "$SPAM" >spam2 &&
	send --from friend@partner.test --to sclu@example.test --data @spam2 >out 2>&1 &&
	test_grep "<-  250 " out &&
	sleep 0.2 && f=$(sunk "spam from a friend") &&
	test_grep "^X-Postern-SCL: -1" "$f" &&
	test_grep "^X-Postern-Spam: p=0.0000; action=deliver; reason=safe-sender" "$f" &&
	test_grep "bypass: safe sender of every recipient layer=3 check=safelist" "$LOG"
'

test_expect_success 'blocked sender of the recipient: 550 5.7.1' '
	! send --from enemy@bad.test --to sclu@example.test --data @ham1 >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Message rejected: the sender is blocked by a recipient" out &&
	test_grep "reject: sender blocked by recipient to=sclu@example.test layer=3 check=blocked_sender" "$LOG"
'

test_expect_success 'exempt recipient: not scored (SCL -1, reason exempt-recipient)' '
	sed "s/^Subject: .*/Subject: spam to postmaster/" "$SPAM" >spam3 &&
	send --from win@lottery.invalid --to postmaster@example.test --data @spam3 >out 2>&1 &&
	test_grep "<-  250 " out &&
	sleep 0.2 && f=$(sunk "spam to postmaster") &&
	test_grep "^X-Postern-Spam: p=0.0000; action=deliver; reason=exempt-recipient" "$f"
'

test_expect_success 'an outside X-Postern-SCL: -1 is removed and the message scored' '
	{ printf "X-Postern-SCL: -1\r\nX-Postern-Spam: p=0; action=deliver\r\n"; cat "$SPAM"; } |
		sed "s/^Subject: .*/Subject: forged scl/" >spam4 &&
	! send --from win@lottery.invalid --to alice@example.test --data @spam4 >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Message rejected as spam" out &&
	test_grep "strip: internal header fields removed count=2 origin=outside layer=3 check=organisation" "$LOG"
'

test_expect_success 'a forged field on ham: only our own reaches the next hop' '
	{ printf "X-Postern-SCL: -1\r\n"; cat "$HAM"; } | sed "s/^Subject: .*/Subject: forged ham/" >ham3 &&
	send --from carol@sender.test --to alice@example.test --data @ham3 >out 2>&1 &&
	sleep 0.2 && f=$(sunk "forged ham") &&
	test "$(grep -c "^X-Postern-SCL:" "$f")" = 1 &&
	! grep "^X-Postern-SCL: -1" "$f"
'

test_expect_success 'more header fields than the parser keeps: 554 5.6.0 (a forged field could hide past them)' '
	{ for i in $(seq 1 1001); do echo "X-Filler-$i: x"; done; echo "X-Postern-SCL: -1"; cat "$HAM"; } >many &&
	! send --from carol@sender.test --to alice@example.test --data @many >out 2>&1 &&
	test_grep "<\*\* 554 5.6.0 Message header too large" out
'

test_expect_success 'a message larger than spool_memory goes through a file, unchanged' '
	{ sed "s/^Subject: .*/Subject: big one/" "$HAM"; for i in $(seq 1 3000); do
		echo "line $i of a long message that needs the spool file on disk"; done; } >big &&
	send --from carol@sender.test --to alice@example.test --data @big >out 2>&1 &&
	test_grep "<-  250 " out &&
	sleep 0.3 && f=$(sunk "big one") &&
	test_grep "^line 3000 of a long message" "$f" &&
	test "$(grep -c "^line [0-9]* of a long" "$f")" = 3000 &&
	! ls "$T"/postern-spool.* 2>/dev/null
'

test_expect_success 'BDAT (CHUNKING): the same content path' '
	{ printf "EHLO c.test\r\nMAIL FROM:<carol@sender.test>\r\nRCPT TO:<alice@example.test>\r\n";
	  sed "s/^Subject: .*/Subject: chunked ham/" "$HAM" | sed "s/\$/\r/" >body;
	  printf "BDAT %d LAST\r\n" $(wc -c <body); cat body; printf "QUIT\r\n"; } >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^250 2.0.0 Ok" out &&
	sleep 0.2 && f=$(sunk "chunked ham") &&
	test_grep "^X-Postern-SCL: [0-4]" "$f"
'

# Another edge that deletes spam instead.
EDGE_PORT=$(free_ports 1)
edge_conf "$T/edge-del.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "scl": { "enabled": true, "model": "'"$SCL_MODEL"'", "delete_enabled": true,
      "delete_threshold": 6 } }'
edge_start edge-del "$T/edge-del.json"

test_expect_success 'delete threshold: spam accepted with 250 and dropped, logged' '
	n=$(edge_sink_count) &&
	sed "s/^Subject: .*/Subject: spam to delete/" "$SPAM" >spam5 &&
	send --from win@lottery.invalid --to alice@example.test --data @spam5 >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep -E "delete: scl=[6-9] p=0\.9[0-9]* reason=model layer=3 check=scl" "$T/edge-del.log" &&
	test_grep "delete: message dropped size=[0-9]* rcpts=1 layer=3 check=scl" "$T/edge-del.log" &&
	sleep 0.3 && test "$(edge_sink_count)" = "$n"
'

# An edge whose next hop goes away while the client sends the data.
lost_port=$(free_ports 1)
bg_start sink-lost smtp-sink -u root "127.0.0.1:$lost_port" 16
wait_port "$lost_port" || bail "smtp-sink (lost) does not listen"
EDGE_PORT=$(free_ports 1)
edge_conf "$T/edge-lost.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$lost_port"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'" }'
edge_start edge-lost "$T/edge-lost.json"

test_expect_success 'the next hop gone before the end of the data: 4xx, the client keeps the message' '
	python3 - $EDGE_PORT "$T/sink-lost.pid" >out <<-PY
	import os, signal, socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline().decode()
	        if l[3:4] != "-":
	            return l.strip()
	reply()
	for c in ("EHLO c.test", "MAIL FROM:<carol@sender.test>", "RCPT TO:<alice@example.test>", "DATA"):
	    s.sendall((c + "\r\n").encode()); reply()
	os.kill(int(open(sys.argv[2]).read()), signal.SIGKILL)
	time.sleep(0.3)
	s.sendall(b"Subject: lost hop\r\n\r\nbody\r\n.\r\n")
	print(reply())
	PY
	test_grep "^4[0-9][0-9] 4\.[0-9.]* " out
'

# A second edge whose directory (LDAP) is down.
dead=$(free_ports 1)
EDGE_PORT=$(free_ports 1)
edge_conf "$T/edge-down.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "safelists": true, "spool_directory": "'"$T"'" }' \
  '"directory": { "backend": "ldap", "ldap": { "uri": "ldap://127.0.0.1:'"$dead"'",
    "base": "dc=example,dc=test", "timeout": "1s", "connect_timeout": "1s" } }'
edge_start edge-down "$T/edge-down.json"

test_expect_success 'directory down for safelists: 451 4.3.0 at the end of DATA, not a bounce' '
	n=$(edge_sink_count) &&
	! send --from carol@sender.test --to alice@example.test --data @ham1 >out 2>&1 &&
	test_grep "<\*\* 451 4.3.0 Directory unavailable, try again later" out &&
	test_grep "tempfail: message refused .* check=safelist" "$T/edge-down.log" &&
	sleep 0.2 && test "$(edge_sink_count)" = "$n"
'

test_done
