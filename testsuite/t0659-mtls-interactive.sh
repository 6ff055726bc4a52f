#!/bin/bash
# mtls-probe -i on a real terminal (tmux): after the verified handshake a
# readline session on the secured channel; commands go out with CRLF, the
# server's answers are shown, the Up arrow recalls history.
. "$(dirname "$0")/lib.sh"
need tmux posttls-finger

postfix_start
sock=$TEST_TMP/tmux.sock
cleanup_push "tmux -S $sock kill-server"
export HOME=$TEST_TMP

screen() { tmux -S "$sock" capture-pane -p -t probe; }
wait_screen() {
	local i
	for i in $(seq 1 100); do
		screen | grep -q "$1" && return 0
		sleep 0.1
	done
	screen
	return 1
}

test_expect_success 'the session opens after the verified handshake' '
	tmux -S "$sock" new-session -d -s probe -x 200 -y 50 \
		"$BIN/mtls-probe -i --ca $PKI/ca.pem --name mail.example.test 127.0.0.1:$POSTFIX_PORT; sleep 30" &&
	wait_screen "verdict: Verified" && wait_screen "mtls-probe>"
'

test_expect_success 'a command typed at the prompt reaches the server over TLS' '
	tmux -S "$sock" send-keys -t probe "NOOP" Enter &&
	wait_screen "250 2.0.0 Ok"
'

test_expect_success 'the Up arrow recalls the last command from history' '
	tmux -S "$sock" send-keys -t probe Up Enter &&
	for i in $(seq 1 100); do
		test "$(screen | grep -c "250 2.0.0 Ok")" -ge 2 && break
		sleep 0.1
	done &&
	test "$(screen | grep -c "250 2.0.0 Ok")" -ge 2
'

test_expect_success 'the server saw both commands in one TLS session' '
	tmux -S "$sock" send-keys -t probe "QUIT" Enter &&
	wait_screen "221 2.0.0" &&
	for i in $(seq 1 50); do
		grep -q "disconnect from .*noop=2" "$POSTFIX_LOG" && break
		sleep 0.1
	done &&
	test_grep -q "disconnect from .*starttls=1 noop=2 quit=1" "$POSTFIX_LOG"
'

test_done
