# Starting a daemon in each of the three serving modes (standalone,
# inetd, systemd socket activation) and talking to it over loopback.
# NAME names the run: its output is in $TEST_TMP/NAME.log, its pid in
# $TEST_TMP/NAME.dpid, its exit code (once it ends) in $TEST_TMP/NAME.rc.
# Start daemons at the top level of a test file, not inside a
# test_expect_success body: a body runs in a subshell, whose cleanups
# (the kill at exit) would be lost.

# The daemon runs under a small wrapper that records its pid and exit
# code, so a test body (a subshell, which cannot `wait`) can read both.
_serve_wrap() {
	local name=$1; shift
	"$@" &
	echo $! >"$TEST_TMP/$name.dpid"
	wait $!
	echo $? >"$TEST_TMP/$name.rc"
}

_serve_kill() {
	local pid
	pid=$(cat "$TEST_TMP/$1.dpid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && sleep 0.1
	kill -9 "$pid" 2>/dev/null
	return 0
}

_serve_bg() {
	local name=$1; shift
	rm -f "$TEST_TMP/$name.rc" "$TEST_TMP/$name.dpid"
	bg_start "$name" _serve_wrap "$name" "$@"
	cleanup_push "_serve_kill $name"
}

# serve_wait_log NAME PATTERN [TRIES]: waits until NAME.log matches the
# extended regex PATTERN (every 50 ms, 200 tries by default).
serve_wait_log() {
	local name=$1 pat=$2 tries=${3:-200}
	while [ "$tries" -gt 0 ]; do
		grep -Eq -- "$pat" "$TEST_TMP/$name.log" 2>/dev/null && return 0
		[ -e "$TEST_TMP/$name.rc" ] && break
		sleep 0.05; tries=$((tries - 1))
	done
	echo "no line matching '$pat' in $name.log:" >&2
	sed 's/^/  | /' "$TEST_TMP/$name.log" >&2
	return 1
}

# serve_wait_count NAME PATTERN N: waits until at least N lines of
# NAME.log match PATTERN (for a line like earlier ones: take the count
# before the request, wait for one more).
serve_wait_count() {
	local name=$1 pat=$2 n=$3 tries=200
	while [ "$tries" -gt 0 ]; do
		[ "$(grep -Ec -- "$pat" "$TEST_TMP/$name.log" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.05; tries=$((tries - 1))
	done
	echo "fewer than $n lines matching '$pat' in $name.log" >&2
	return 1
}

# serve_standalone NAME PORT CMD...: CMD is a daemon in standalone mode
# (-d) whose config listens on 127.0.0.1:PORT (or *:PORT); returns once it says it
# listens there (no probe connection, so logs hold only the test's).
serve_standalone() {
	local name=$1 port=$2; shift 2
	_serve_bg "$name" "$@"
	serve_wait_log "$name" "listening addr=(127\.0\.0\.1|0\.0\.0\.0):$port( |$)"
}

# serve_inetd NAME PORT CMD...: systemd-socket-activate plays inetd: one
# CMD (with --inetd) per connection, the socket on its stdin and stdout.
serve_inetd() {
	local name=$1 port=$2; shift 2
	need systemd-socket-activate
	_serve_bg "$name" systemd-socket-activate --inetd -a -l "127.0.0.1:$port" "$@"
	serve_wait_log "$name" "Listening on 127\.0\.0\.1:$port "
}

# serve_systemd NAME PORT accept|noaccept CMD...: socket activation with
# the listening socket named NAME (LISTEN_FDNAMES). accept is Accept=yes
# (one CMD per connection, the connection on fd 3); noaccept is Accept=no
# (CMD gets the listening socket; it is started at the first connection,
# as systemd-socket-activate does, and keeps its pid).
serve_systemd() {
	local name=$1 port=$2 mode=$3 a=; shift 3
	need systemd-socket-activate
	case $mode in
	accept) a=-a ;;
	noaccept) ;;
	*) echo "serve_systemd: mode is accept or noaccept, not '$mode'" >&2; return 1 ;;
	esac
	_serve_bg "$name" systemd-socket-activate $a -l "127.0.0.1:$port" --fdname="$name" "$@"
	serve_wait_log "$name" "Listening on 127\.0\.0\.1:$port "
}

# serve_pid NAME: the daemon's pid (under systemd-socket-activate without
# accept, the daemon's own, since it is exec'd in place).
serve_pid() {
	local tries=100
	while [ ! -s "$TEST_TMP/$1.dpid" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	cat "$TEST_TMP/$1.dpid"
}

# serve_exit NAME [SECONDS]: waits for the daemon to end and prints its
# exit code; fails after SECONDS (10).
serve_exit() {
	local tries=$(( ${2:-10} * 20 ))
	while [ ! -e "$TEST_TMP/$1.rc" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	cat "$TEST_TMP/$1.rc" 2>/dev/null || { echo "$1 still runs" >&2; return 1; }
}

# serve_fds PID: how many descriptors the process holds.
serve_fds() { ls "/proc/$1/fd" | wc -l; }

# tcp_chat PORT [OPTS]: a scripted client. Waits for the server's first bytes
# (the greeting: an SMTP server may refuse early talkers), then sends
# stdin, half-closes, and prints all the server sends until it closes.
# CHAT_TIMEOUT (30 s) bounds the whole exchange. tcp_chat_crlf sends
# lines ending in CRLF and shows the replies without the CR. OPTS are
# more socat address options, e.g. ",sourceport=N,reuseaddr" to know
# which peer port the server should see.
_tcp_chat() {
	local port=$1 opts=$2 out rc n=0
	need socat
	out=$(mktemp "$TEST_TMP/chat.XXXXXX")
	{
		while [ ! -s "$out" ] && [ "$n" -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
		cat
	} | timeout "${CHAT_TIMEOUT:-30}" socat -t "${CHAT_TIMEOUT:-30}" - \
		"TCP:127.0.0.1:$port$opts" | tee "$out"
	rc=${PIPESTATUS[1]}
	rm -f "$out"
	return "$rc"
}
tcp_chat() { _tcp_chat "$1" "${2:-}"; }
tcp_chat_crlf() { _tcp_chat "$1" ",crnl${2:-}"; }

# tcp_chat_now PORT: the same without waiting for a greeting.
tcp_chat_now() {
	need socat
	timeout "${CHAT_TIMEOUT:-30}" socat -t "${CHAT_TIMEOUT:-30}" - "TCP:127.0.0.1:$1"
}
