# um-sipd test helpers: a config on free ports with a file directory of
# two users, starting the daemon standalone, scenarios from
# testsuite/sipp/ with their @KEY@ placeholders filled, test audio made
# with sox, and the voicemail taken back out of a mail.

# sipd_ldif FILE: alice (1001) and bob (+33 1 23 45 10 02, dialled as
# +33123451002).
sipd_ldif() {
	cat >"$1" <<-'EOF'
	dn: uid=alice,ou=people,dc=example,dc=test
	objectClass: inetOrgPerson
	uid: alice
	cn: Alice Example
	sn: Example
	mail: alice@example.test
	telephoneNumber: 1001

	dn: uid=bob,ou=people,dc=example,dc=test
	objectClass: inetOrgPerson
	uid: bob
	cn: Bob Example
	sn: Example
	mail: bob@example.test
	telephoneNumber: +33 1 23 45 10 02
	EOF
}

# sipd_conf FILE 'EXTRA' ['SMTP_PORT']: um-sipd listening for SIP on
# 127.0.0.1:$SIPD_PORT (listener "sip") and SIPS on $SIPS_PORT (listener
# "sips", certificate $PKI/server, CA $PKI/ca.pem), the directory from
# sipd_ldif, the spool in $SIPD_SPOOL, mail to 127.0.0.1:SMTP_PORT
# (default $SINK_PORT), no greeting and no beep so recordings start right
# at the ACK, short retries. EXTRA is more members of the
# um-sipd object.
sipd_conf() {
	local file=$1 extra=${2:+, $2} smtp=${3:-${SINK_PORT:-25}} ports
	if [ -z "${SIPD_PORT:-}" ]; then
		ports=$(free_ports 2)
		read -r SIPD_PORT SIPS_PORT <<-EOF
		$(echo $ports)
		EOF
	fi
	SIPD_SPOOL=${SIPD_SPOOL:-$TEST_TMP/spool}
	mkdir -p "$SIPD_SPOOL"
	[ -e "$TEST_TMP/users.ldif" ] || sipd_ldif "$TEST_TMP/users.ldif"
	cat >"$file" <<-EOF
	{
	  "log": { "target": "stderr" },
	  "directory": { "backend": "file", "file": "$TEST_TMP/users.ldif" },
	  "um-sipd": {
	    "listen": ["sip=127.0.0.1:$SIPD_PORT", "sips=127.0.0.1:$SIPS_PORT"],
	    "hostname": "um.example.test",
	    "tls": { "cert": "$PKI/server-chain.pem", "key": "$PKI/server.key",
	             "ca": "$PKI/ca.pem" },
	    "greeting": "none",
	    "beep": false,
	    "min_length": "500ms",
	    "spool_dir": "$SIPD_SPOOL",
	    "spool_scan": "1s",
	    "smtp": { "host": "127.0.0.1", "port": $smtp, "from": "voicemail@example.test",
	              "retry_min": "300ms", "retry_max": "1s", "timeout": "5s" }$extra
	  }
	}
	EOF
	export SIPD_PORT SIPS_PORT SIPD_SPOOL
}

# sipd_start NAME CONFIG [ARGS...]: um-sipd -d, returns once it listens
# on $SIPD_PORT; its log is $TEST_TMP/NAME.log.
sipd_start() {
	local name=$1 conf=$2; shift 2
	need um-sipd
	serve_standalone "$name" "$SIPD_PORT" um-sipd -c "$conf" -d "$@" ||
		bail "um-sipd did not start: $(tail -n 5 "$TEST_TMP/$name.log")"
}

# sipd_tone FILE SECONDS FREQ [TYPE]: a sine made with sox at 8 kHz mono;
# TYPE wav (16-bit, default), ul or al (raw mu-law or A-law, what
# sipp's rtp_stream sends).
sipd_tone() {
	need sox
	local t=${4:-wav}
	if [ "$t" = ul ] || [ "$t" = al ]; then
		sox -n -r 8000 -c 1 -t "$t" "$1" synth "$2" sine "$3" vol 0.5
	else
		sox -n -r 8000 -c 1 -b 16 "$1" synth "$2" sine "$3" vol 0.5
	fi
}

# sipd_scenario NAME OUT KEY=VALUE...: testsuite/sipp/NAME.xml with each
# @KEY@ replaced, written to OUT; @SCHEME@ is sip unless given.
sipd_scenario() {
	local src=$SRCDIR/testsuite/sipp/$1.xml out=$2 kv k v
	shift 2
	cp "$src" "$out"
	for kv; do
		k=${kv%%=*} v=${kv#*=}
		sed -i "s|@$k@|$v|g" "$out"
	done
	sed -i "s|@SCHEME@|sip|g" "$out"
}

# sipd_tls_front NAME [CERT]: socat on 127.0.0.1:$SIPD_FRONT_PORT taking
# plain TCP from sipp and speaking TLS to um-sipd's $SIPS_PORT with the
# fixture certificate CERT (see pki_files; none: no client certificate).
# sipd_sipp then dials it when SIPD_TARGET=$SIPD_FRONT_PORT.
sipd_tls_front() {
	local name=$1 files chain key c=''
	need socat
	if [ -n "${2:-}" ]; then
		files=$(pki_files "$2") || return 1
		read -r chain key <<-EOF
		$files
		EOF
		c=",cert=$chain,key=$key"
	fi
	SIPD_FRONT_PORT=$(free_ports 1)
	bg_start "$name" socat "TCP-LISTEN:$SIPD_FRONT_PORT,bind=127.0.0.1,fork,reuseaddr" \
		"OPENSSL:127.0.0.1:$SIPS_PORT,verify=0$c"
	wait_port "$SIPD_FRONT_PORT"
	export SIPD_FRONT_PORT
}

# sipd_sipp SCENARIO-FILE SERVICE [SIPP-ARGS...]: one call from sipp over
# TCP (SIPD_TRANSPORT=u1: UDP) to um-sipd; its output and the message trace go to
# $TEST_TMP/sipp.* (sipp.log: -trace_msg). Returns sipp's exit code.
sipd_sipp() {
	local sf=$1 service=$2 lp mp
	shift 2
	need sipp
	lp=$(free_ports 1)
	mp=$(free_ports 1)
	(cd "$TEST_TMP" && timeout 60 sipp -t "${SIPD_TRANSPORT:-t1}" ${sf:+-sf "$sf"} -s "$service" -i 127.0.0.1 \
		-p "$lp" -mp "$mp" -m 1 -l 1 -nostdin -timeout 40s -timeout_error \
		-trace_msg -message_file "$TEST_TMP/sipp.msg" -trace_err \
		-error_file "$TEST_TMP/sipp.err" "$@" "127.0.0.1:${SIPD_TARGET:-$SIPD_PORT}" \
		>"$TEST_TMP/sipp.out" 2>&1)
}

# sipd_mail_wav MAILFILE OUT.wav: the audio/wav part of a mail (a file
# saved by smtp-sink) decoded to OUT.wav.
sipd_mail_wav() {
	need python3
	python3 - "$1" "$2" <<-'PY'
	import email, sys
	raw = open(sys.argv[1], "rb").read()
	# smtp-sink's envelope lines come first; the message starts after them
	i = raw.find(b"\nDate: ")
	msg = email.message_from_bytes(raw[i + 1:] if i >= 0 else raw)
	for part in msg.walk():
	    if part.get_content_type() == "audio/wav":
	        open(sys.argv[2], "wb").write(part.get_payload(decode=True))
	        sys.exit(0)
	sys.exit("no audio/wav part")
	PY
}

# sipd_freq WAV: the frequency of the tone in a 16-bit mono WAV in Hz,
# from its rising zero crossings over the middle 80% (fades and edges
# left out), printed as an integer.
sipd_freq() {
	need python3
	python3 - "$1" <<-'PY'
	import struct, sys, wave
	w = wave.open(sys.argv[1])
	n, rate = w.getnframes(), w.getframerate()
	x = struct.unpack("<%dh" % n, w.readframes(n))
	a, b = n // 10, n - n // 10
	ups = [i for i in range(a + 1, b) if x[i - 1] < 0 <= x[i]]
	if len(ups) < 2:
	    sys.exit("no tone")
	print(int(round((len(ups) - 1) * rate / (ups[-1] - ups[0]))))
	PY
}

# sipd_duration WAV: its length in seconds (soxi -D).
sipd_duration() {
	need soxi
	soxi -D "$1"
}

# sipd_within A B TOL: |A - B| <= TOL (decimals), or says what they were.
sipd_within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
		if (d <= t) exit 0; printf "%s and %s differ by more than %s\n", a, b, t; exit 1 }'
}

# sipd_raw PORT [SECONDS]: sends stdin to 127.0.0.1:PORT in pieces cut
# at lines "--8<--" (a pause between pieces, so they arrive in separate
# reads), keeps reading SECONDS (0.8) after the last piece, prints what
# came back with CRs removed.
sipd_raw() {
	need python3
	cat >"$TEST_TMP/sipd_raw.py" <<-'PY'
	import socket, sys, time
	data = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
	pieces = data.split(b"--8<--\r\n")
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
	for p in pieces:
	    s.sendall(p)
	    time.sleep(0.2)
	s.settimeout(0.2)
	out, end = b"", time.time() + float(sys.argv[2])
	while time.time() < end:
	    try:
	        d = s.recv(65536)
	        if not d:
	            break
	        out += d
	    except socket.timeout:
	        pass
	sys.stdout.write(out.decode("latin-1").replace("\r", ""))
	PY
	python3 "$TEST_TMP/sipd_raw.py" "$1" "${2:-0.8}"
}

# sipd_baresip NAME NUMBER WAV [CERT]: baresip, headless, calls NUMBER on
# um-sipd's SIPS port over TLS with the fixture certificate CERT
# (default gateway) as its client certificate, SRTP mandatory (SDES),
# PCMU, WAV (8 kHz mono) as its microphone; it hangs up when the file
# ends. What it hears goes to $TEST_TMP/NAME.heard.wav, its log to
# $TEST_TMP/NAME.baresip.log. Returns baresip's exit code.
sipd_baresip() {
	local name=$1 number=$2 wav=$3 files chain key dir=$TEST_TMP/$1.baresip
	need baresip
	files=$(pki_files "${4:-gateway}") || return 1
	read -r chain key <<-EOF
	$files
	EOF
	mkdir -p "$dir"
	cat "$chain" "$key" >"$dir/client.pem"
	cat >"$dir/config" <<-EOF
	poll_method		poll
	sip_listen		127.0.0.1:0
	sip_certificate		$dir/client.pem
	sip_cafile		$PKI/ca.pem
	audio_player		aufile,$TEST_TMP/$name.heard.wav
	audio_source		aufile,$wav
	audio_alert		aufile,$dir/alert.wav
	audio_srate		8000
	audio_channels		1
	module_path		/usr/lib/baresip/modules
	module			stdio.so
	module			g711.so
	module			aufile.so
	module			srtp.so
	module_app		account.so
	module_app		menu.so
	EOF
	echo "<sip:gw@gw.example.test;transport=tls>;regint=0;mediaenc=srtp-mand;audio_codecs=PCMU" \
		>"$dir/accounts"
	(cd "$dir" && timeout 30 baresip -f "$dir" \
		-e "/dial $number@127.0.0.1:$SIPS_PORT;transport=tls" -t 4 \
		</dev/null >"$TEST_TMP/$name.baresip.log" 2>&1)
}
