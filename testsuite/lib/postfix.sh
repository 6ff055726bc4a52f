# Postfix as a test peer: a private smtpd with STARTTLS on a free loopback
# port, and smtp-sink as a next hop that saves what it receives.
#
# The instance lives in $TEST_TMP/postfix (postfix2... for more): its own
# main.cf and master.cf, queue and data directories, and its log file; the
# system's /etc/postfix is never read (it may not even exist). Its master
# runs in the foreground (master -d) and is killed at exit. Start these at
# the top level of a test file, not inside a test body (a subshell, whose
# cleanups are lost).
#
# posttls-finger and postconf need a main.cf: run them with
# MAIL_CONFIG=$POSTFIX_DIR (postfix_finger does).

_postfix_servers=0
_sink_servers=0

# The root-owned temp dir must be traversable for Postfix's unprivileged
# daemons, which reopen files under it as user postfix.
_postfix_traverse() { chmod o+x "$TEST_TMP"; }

_postfix_master_cf() {
	local port=$1
	cat <<-CF
	# service type private unpriv chroot wakeup maxproc command
	127.0.0.1:$port inet n - n - - smtpd
	pickup    unix  n - n 60 1 pickup
	cleanup   unix  n - n - 0 cleanup
	qmgr      unix  n - n 300 1 qmgr
	tlsmgr    unix  - - n 1000? 1 tlsmgr
	rewrite   unix  - - n - - trivial-rewrite
	bounce    unix  - - n - 0 bounce
	defer     unix  - - n - 0 bounce
	trace     unix  - - n - 0 bounce
	verify    unix  - - n - 1 verify
	flush     unix  n - n 1000? 0 flush
	proxymap  unix  - - n - - proxymap
	smtp      unix  - - n - - smtp
	relay     unix  - - n - - smtp
	showq     unix  n - n - - showq
	error     unix  - - n - - error
	retry     unix  - - n - - error
	discard   unix  - - n - - discard
	anvil     unix  - - n - 1 anvil
	scache    unix  - - n - 1 scache
	postlog   unix-dgram n - n - 1 postlogd
	CF
}

# postfix_start [OPTIONS]: a Postfix smtpd on 127.0.0.1:$POSTFIX_PORT,
# myhostname mail.example.test, offering STARTTLS with the fixture server
# certificate ($PKI/server-chain.pem, server.key), asking for a client
# certificate (smtpd_tls_ask_ccert) and sending the acceptable CA names of
# $PKI/ca.pem. Clients from 127.0.0.0/8 may relay; mail is discarded
# unless --relay or --sink says where it goes. Options:
#   --cert NAME        server certificate NAME (see pki_files) instead
#   --require-ccert    TLS required and a verified client certificate too
#                      (smtpd_tls_req_ccert; "encrypt" level)
#   --relay-ccert      only a client with a verified certificate may relay
#                      (permit_tls_all_clientcerts; loopback is not
#                      mynetworks then): others get "554 5.7.1 ... Relay
#                      access denied"
#   --no-tls           no STARTTLS at all
#   --relay PORT       deliver everything to 127.0.0.1:PORT over SMTP
#   --sink             the same to smtp-sink ($SINK_PORT; one is started
#                      with smtp_sink_start if none runs yet)
#   --set 'p = v'      one more main.cf line (last one wins), repeatable
# Exports POSTFIX_PORT, POSTFIX_DIR (the config directory: main.cf,
# master.cf), POSTFIX_LOG (its maillog_file). Returns once the master listens.
postfix_start() {
	need postfix postconf
	local cert=server relay='' tls=may reqcc=no relaycc=no extra='' name dir port
	local files chain key
	while [ $# -gt 0 ]; do
		case $1 in
		--cert) cert=$2; shift ;;
		--require-ccert) tls=encrypt reqcc=yes ;;
		--relay-ccert) relaycc=yes ;;
		--no-tls) tls=none ;;
		--relay) relay=$2; shift ;;
		--sink)
			[ -n "${SINK_PORT:-}" ] || smtp_sink_start
			relay=$SINK_PORT ;;
		--set) extra="$extra$2
" ; shift ;;
		*) bail "postfix_start: unknown option '$1'" ;;
		esac
		shift
	done
	_postfix_servers=$((_postfix_servers + 1))
	name=postfix; [ "$_postfix_servers" -eq 1 ] || name=postfix$_postfix_servers
	dir=$TEST_TMP/$name
	files=$(pki_files "$cert") || bail "postfix_start: no certificate '$cert'"
	read -r chain key <<-EOF
	$files
	EOF
	port=$(free_ports 1) || bail "no free port for postfix"
	_postfix_traverse
	_postfix_queue "$dir"
	_postfix_main_cf >"$dir/main.cf"
	_postfix_master_cf "$port" >"$dir/master.cf"
	printf '%s' "$extra" >>"$dir/main.cf"
	# Postfix waits (seconds) for a main.cf changed this very moment to
	# settle; it is complete, so say so.
	touch -d '-10 seconds' "$dir/main.cf" "$dir/master.cf"
	# postconf warns about unknown parameters and bad values.
	postconf -c "$dir" >/dev/null 2>"$dir/check.log"
	[ ! -s "$dir/check.log" ] || bail "bad postfix config: $(tail -n 5 "$dir/check.log")"
	bg_start "$name" "$(postconf -c "$dir" -h daemon_directory)/master" -c "$dir" -d
	cleanup_push "_postfix_kill '$dir'"
	export POSTFIX_PORT=$port POSTFIX_DIR=$dir POSTFIX_LOG=$dir/maillog
	# The master listens before it logs this; no probe connection, so the
	# log holds only the test's.
	postfix_log_wait "postfix/master.* daemon started" 2>/dev/null ||
		bail "postfix did not start: $(tail -n 5 "$dir/maillog" "$TEST_TMP/$name.log" 2>&1)"
}

# The queue and data directories as "postfix check" would make them (it
# takes seconds, mostly logging its warnings to a postlogd not yet there).
_postfix_queue() {
	local q=$1/queue d
	mkdir -p "$q" "$1/data"
	chown postfix "$1/data"
	for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		install -d -o postfix -m 700 "$q/$d"
	done
	install -d -o postfix -g postdrop -m 730 "$q/maildrop"
	install -d -o postfix -g postdrop -m 710 "$q/public"
	install -d -m 755 "$q/pid"
}

# main.cf from the variables of postfix_start.
_postfix_main_cf() {
	cat <<-CF
	compatibility_level = 3.6
	queue_directory = $dir/queue
	data_directory = $dir/data
	mail_owner = postfix
	setgid_group = postdrop
	maillog_file = $dir/maillog
	maillog_file_prefixes = $dir
	myhostname = mail.example.test
	mydomain = example.test
	myorigin = \$mydomain
	mydestination =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	alias_maps =
	alias_database =
	local_recipient_maps =
	smtp_dns_support_level = disabled
	smtp_tls_security_level = none
	smtpd_tls_security_level = $tls
	smtpd_tls_chain_files = $key, $chain
	smtpd_tls_CAfile = $PKI/ca.pem
	smtpd_tls_ask_ccert = yes
	smtpd_tls_req_ccert = $reqcc
	smtpd_tls_loglevel = 1
	smtpd_tls_received_header = yes
	CF
	if [ "$relaycc" = yes ]; then
		echo "mynetworks = 192.0.2.1/32"
		echo "smtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination"
	else
		echo "mynetworks = 127.0.0.0/8"
		echo "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
	fi
	if [ -n "$relay" ]; then
		echo "relayhost = [127.0.0.1]:$relay"
		echo "default_transport = smtp"
	else
		echo "default_transport = discard"
	fi
}

_postfix_kill() {
	local pid tries=50
	pid=$(tr -d ' ' 2>/dev/null <"$1/queue/pid/master.pid") || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.1; tries=$((tries - 1))
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

# postfix_stop: stops the last Postfix started (also done at exit).
postfix_stop() { _postfix_kill "$POSTFIX_DIR"; }

# postfix_log_wait PATTERN [TRIES]: waits until $POSTFIX_LOG matches the
# extended regex (postlogd writes it a moment after the event; every
# 50 ms, 200 tries by default).
postfix_log_wait() {
	local tries=${2:-200}
	while [ "$tries" -gt 0 ]; do
		grep -Eq -- "$1" "$POSTFIX_LOG" 2>/dev/null && return 0
		sleep 0.05; tries=$((tries - 1))
	done
	echo "no line matching '$1' in $POSTFIX_LOG:" >&2
	sed 's/^/  | /' "$POSTFIX_LOG" >&2
	return 1
}

# postfix_finger [posttls-finger args...]: posttls-finger with the private
# main.cf (it reads one for its defaults), e.g.
#   postfix_finger -c -l verify -F "$PKI/ca.pem" "[127.0.0.1]:$POSTFIX_PORT" mail.example.test
postfix_finger() {
	need posttls-finger
	MAIL_CONFIG=$POSTFIX_DIR posttls-finger "$@"
}

# smtp_sink_start: Postfix's smtp-sink on 127.0.0.1:$SINK_PORT, saving
# each mail transaction as one file in $SINK_DIR (the envelope as
# X-Client-Addr:, X-Helo-Args:, X-Mail-Args:, X-Rcpt-Args: lines, then the
# message). Exports SINK_PORT, SINK_DIR and SINK_LOG (its -v transcript).
smtp_sink_start() {
	need smtp-sink
	local name port dir
	_sink_servers=$((_sink_servers + 1))
	name=smtp-sink; [ "$_sink_servers" -eq 1 ] || name=smtp-sink$_sink_servers
	dir=$TEST_TMP/$name.d
	mkdir -p "$dir"
	port=$(free_ports 1) || bail "no free port for smtp-sink"
	bg_start "$name" smtp-sink -v -u root -h sink.example.test \
		-d "$dir/%Y%m%d%H%M%S." "127.0.0.1:$port" 16
	wait_port "$port" || bail "smtp-sink does not listen: $(cat "$TEST_TMP/$name.log")"
	export SINK_PORT=$port SINK_DIR=$dir SINK_LOG=$TEST_TMP/$name.log
}

# smtp_sink_wait N [SECONDS]: waits until $SINK_DIR holds N messages
# (10 s by default).
smtp_sink_wait() {
	local want=$1 tries=$(( ${2:-10} * 20 ))
	while [ "$(find "$SINK_DIR" -type f | wc -l)" -lt "$want" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	[ "$(find "$SINK_DIR" -type f | wc -l)" -ge "$want" ] ||
		{ echo "smtp-sink got fewer than $want messages" >&2; return 1; }
}
