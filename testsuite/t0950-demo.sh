#!/bin/bash
# make demo's script, run as a person runs it: in a terminal (tmux), on
# free ports. It comes up with every program, the four commands it
# prints work as printed (a mail through smtp-edge, the web mail, a phone
# provisioned through eas-policy, a voicemail left with sipp that owa-cas
# then lists), and Ctrl-C stops everything and removes what it made.
. "$(dirname "$0")/lib.sh"
need tmux swaks sipp curl openssl /usr/bin/python3 pgrep

log=$TEST_TMP/demo.log
mkdir -p "$TEST_TMP/demo"
sock=$TEST_TMP/tmux.sock
cleanup_push "tmux -S '$sock' kill-server"
# Other tests take ports too: when one of ours went meanwhile, again.
for try in 1 2 3; do
	base=$(demo_base) || bail "no 14 free ports in a row"
	rm -f "$log"
	tmux -S "$sock" new-session -d -s demo -x 200 -y 50 \
		"DEMO_PORT=$base TMPDIR=$TEST_TMP/demo sh '$SRCDIR/share/demo.sh' '$POSTERN_BUILD' >'$log' 2>&1" ||
		bail "tmux did not start"
	for i in $(seq 1 1200); do grep -q "^demo: \(ready\|stopped\)" "$log" 2>/dev/null && break; sleep 0.05; done
	grep -q "^demo: ready" "$log" && break
	grep -q "in use" "$log" || break
	for i in $(seq 1 50); do tmux -S "$sock" has-session -t demo 2>/dev/null || break; sleep 0.1; done
done
work=$(sed -n 's/^postern demo is up (files in \(.*\))$/\1/p' "$log")

test_expect_success 'the demo comes up with every program and says what to try' '
	test_grep -q "^demo: ready" "$log" &&
	test -d "$work" &&
	for p in smtp-edge owa-cas autodiscover-gen eas-policy um-sipd; do
		test_grep -q "^  $p  " "$log" || return 1
	done &&
	test_grep -q "alice@demo.test  password alice-Demo-1  phone 1001" "$log" &&
	for i in 0 2 3 4 6; do "$TOOLS/freeport" --probe $((base + i)) || return 1; done
'

# The lines under "Try:", as printed, one a line.
sed -n "/^Try:/,/^\$/p" "$log" | sed -n "s/^  //p" >"$TEST_TMP/try"

test_expect_success 'four commands are printed' '
	test "$(wc -l <try)" = 4 &&
	test_grep -q "^swaks --server 127.0.0.1:$base --tls " try &&
	test_grep -q "^curl .*http://127.0.0.1:$((base + 2))/login" try &&
	test_grep -q "phone.sh .*/tools/eas-client http://127.0.0.1:$((base + 4)) alice:" try &&
	test_grep -q "^sipp -sf .* 127.0.0.1:$((base + 6))$" try
'

test_expect_success 'the swaks command delivers over STARTTLS into the Maildir' '
	cmd=$(sed -n 1p try) && eval "$cmd" >out 2>&1 &&
	test_grep -q "<~  250 2.0.0 Ok: delivered" out &&
	for i in $(seq 1 50); do ls "$work/mail/alice/new" | grep -q . && break; sleep 0.1; done &&
	f=$(ls "$work"/mail/alice/new/* | head -n 1) &&
	test_grep -q "^Subject: Hello from the demo" "$f" &&
	test_grep -q "by mail.demo.test (postern smtp-edge) with ESMTPS" "$f" &&
	test_grep -q "^X-Postern-Spam: .*action=deliver" "$f"
'

test_expect_success 'the web mail command signs in and lists the message' '
	cmd=$(sed -n 2p try) && eval "$cmd" >out &&
	test_grep -q "<td class=\"subject\"><a href=\"/read?[^\"]*\">Hello from the demo" out
'

test_expect_success 'the phone command provisions through eas-policy and syncs' '
	cmd=$(sed -n 3p try) && eval "$cmd" >out 2>&1 &&
	test_grep -q "^  MinDevicePasswordLength = 6" out &&
	test_grep -q "^phone: provisioned, policy key [0-9]*" out &&
	test_grep -q "^phone: FolderSync through eas-policy to the backend: ok" out &&
	"$BIN/eas-policy" -c "$work/postern.json" devices >list &&
	test_grep -q "^alice  *DEMOPHONE1  *Android  *Demo Phone .* default  *provisioned  *none$" list &&
	test_grep -q "^backend: POST /Microsoft-Server-ActiveSync?Cmd=FolderSync" "$work/eas-backend.log"
'

test_expect_success 'without the test tools the phone speaks through curl and eas-policy' '
	sh "$SRCDIR/share/demo/phone.sh" "$BIN/eas-policy" "http://127.0.0.1:$((base + 4))" \
		bob:bob-Demo-2 DEMOPHONE2 >out 2>&1 &&
	test_grep -q "^  AlphanumericDevicePasswordRequired = 1" out &&
	test_grep -q "^  MinDevicePasswordLength = 8" out &&
	test_grep -q "^phone: FolderSync through eas-policy to the backend: ok" out &&
	"$BIN/eas-policy" -c "$work/postern.json" devices >list &&
	test_grep -q "^bob  *DEMOPHONE2  *Android  *Demo Phone .* executives  *provisioned  *none$" list
'

test_expect_success 'the sipp command leaves a voicemail that the web mail lists' '
	cmd=$(sed -n 4p try) && eval "$cmd" >out 2>&1 &&
	for i in $(seq 1 200); do grep -ql "^Content-Type: audio/wav" "$work"/mail/alice/new/* 2>/dev/null && break; sleep 0.1; done &&
	f=$(grep -l "^Content-Type: audio/wav" "$work"/mail/alice/new/*) &&
	test_grep -q "^Subject: Voicemail from Demo Caller" "$f" &&
	cmd=$(sed -n 2p try) && eval "$cmd" >out &&
	test_grep -q ">Voicemail from Demo Caller" out
'

test_expect_success 'Ctrl-C stops every program and removes what the demo made' '
	tmux -S "$sock" send-keys -t demo C-c &&
	for i in $(seq 1 100); do test -d "$work" || break; sleep 0.1; done &&
	! test -d "$work" &&
	test_grep -q "^demo: stopped, $work removed" "$log" &&
	! pgrep -f "$work" >/dev/null &&
	for i in 0 1 2 3 4 5 6; do ! "$TOOLS/freeport" --probe $((base + i)) || return 1; done &&
	test -z "$(ls "$TEST_TMP/demo")"
'

test_done
