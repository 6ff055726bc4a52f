# TLS test peers on free loopback ports: openssl s_server, a SIP responder
# behind socat (TLS and plain TCP), an MTA-STS policy server over HTTPS, a
# CRL server and revoking CRLs, a STARTTLS response injector; and the
# certificates these need beyond $PKI (issued by the fixture intermediate
# into $PKI_ISSUED). Start servers at the top level of a test file, not in
# a test body (a subshell, whose cleanups are lost). Each server's output
# is in $TEST_TMP/NAME.log.

TLS_FIXTURES=$SRCDIR/testsuite/fixtures/tls
PKI_ISSUED=$TEST_TMP/pki

# pki_spki_sha256 CERT: the SHA-256 of the certificate's public key
# (SubjectPublicKeyInfo, DER) in hex, as a TLSA x 1 1 record holds it.
pki_spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1
}

# pki_files NAME: prints "CHAINFILE KEYFILE" for a fixture certificate:
# NAME from $PKI (server, partner, untrusted...) or a path prefix (as
# pki_issue makes: DIR/NAME.pem, DIR/NAME.key). The chain file holds the
# leaf then the intermediate when there is one.
pki_files() {
	local base=$1
	case $base in */*) ;; *) base=$PKI/$base ;; esac
	[ -e "$base.key" ] || { echo "no key '$base.key'" >&2; return 1; }
	if [ -e "$base-chain.pem" ]; then
		echo "$base-chain.pem $base.key"
	else
		echo "$base.pem $base.key"
	fi
}

# pki_issue NAME SAN [--cdp URL] [--days N]: a server (and client)
# certificate from the fixture intermediate, for names the $PKI leaves do
# not cover: $PKI_ISSUED/NAME.pem, NAME.key (EC P-256), NAME-chain.pem
# (leaf, intermediate), NAME-full.pem (chain, key). SAN as openssl writes
# it ("DNS:a.test,DNS:b.test"); the subject CN is the first name. Its CRL
# distribution point is URL/int.crl (default: the run's, $PKI/crl-url).
# Serial numbers are random, so no CA database is touched.
pki_issue() {
	local name=$1 san=$2 url days=825 d=$PKI_ISSUED cn
	shift 2
	url=$(cat "$PKI/crl-url" 2>/dev/null)
	while [ $# -gt 0 ]; do
		case $1 in
		--cdp) url=$2 ;;
		--days) days=$2 ;;
		*) echo "pki_issue: unknown option '$1'" >&2; return 1 ;;
		esac
		shift 2
	done
	cn=${san%%,*}; cn=${cn#*:}
	mkdir -p "$d"
	cat >"$d/$name.ext" <<-EXT
	basicConstraints = CA:false
	keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
	extendedKeyUsage = serverAuth, clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	subjectAltName = $san
	EXT
	[ -z "$url" ] || echo "crlDistributionPoints = URI:$url/int.crl" >>"$d/$name.ext"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key" 2>/dev/null &&
	chmod 600 "$d/$name.key" &&
	openssl req -new -key "$d/$name.key" -subj "/CN=$cn" -out "$d/$name.csr" &&
	openssl x509 -req -in "$d/$name.csr" -CA "$PKI/int.pem" -CAkey "$PKI/int.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days "$days" -sha256 \
		-extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null &&
	cat "$d/$name.pem" "$PKI/int.pem" >"$d/$name-chain.pem" &&
	cat "$d/$name-chain.pem" "$d/$name.key" >"$d/$name-full.pem" &&
	rm -f "$d/$name.csr"
}

# _tls_name BASE: BASE for the first server of a kind in this test, then
# BASE2, BASE3...: its log is $TEST_TMP/NAME.log.
_tls_name() {
	local n=1 name=$1
	while [ -e "$TEST_TMP/$name.log" ]; do n=$((n + 1)); name=$1$n; done
	echo "$name"
}

# Waits until NAME.log matches the extended regex (every 50 ms, 10 s).
_tls_wait_log() {
	local tries=200
	while [ "$tries" -gt 0 ]; do
		grep -Eq -- "$2" "$TEST_TMP/$1.log" 2>/dev/null && return 0
		sleep 0.05; tries=$((tries - 1))
	done
	return 1
}

# sserver_start NAME [--cert C] [s_server args...]: openssl s_server on
# 127.0.0.1:$SSERVER_PORT with the certificate C (default server; see
# pki_files: a $PKI name or a path prefix), its chain, and
# -CAfile $PKI/ca.pem (client verification and the acceptable CA names).
# Without a mode among the args (-www, -WWW, -HTTP, -rev) it is -www. The
# args go last: -Verify 1 -verify_return_error (a client certificate
# required), -CRL FILE -crl_check, -crl_download... Exports SSERVER_PORT
# and SSERVER_LOG; returns once it listens (no probe connection).
sserver_start() {
	need openssl
	local name=$1 cert=server mode=-www files chain key port a
	shift
	[ ! -e "$TEST_TMP/$name.log" ] || bail "sserver_start: the name '$name' is taken"
	[ "${1:-}" = --cert ] && { cert=$2; shift 2; }
	for a; do
		case $a in -www|-WWW|-HTTP|-rev) mode= ;; esac
	done
	files=$(pki_files "$cert") || bail "sserver_start: no certificate '$cert'"
	read -r chain key <<-EOF
	$files
	EOF
	port=$(free_ports 1) || bail "no free port for s_server"
	set -- -accept "127.0.0.1:$port" -cert "$chain" -key "$key" -CAfile "$PKI/ca.pem" $mode "$@"
	# -cert takes the leaf only; every chain file ends with the intermediate.
	[ "$(grep -c 'BEGIN CERTIFICATE' "$chain")" -gt 1 ] && set -- "$@" -cert_chain "$PKI/int.pem"
	bg_start "$name" openssl s_server "$@" </dev/null
	_tls_wait_log "$name" '^ACCEPT$' ||
		bail "s_server $name does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export SSERVER_PORT=$port SSERVER_LOG=$TEST_TMP/$name.log
}

# sip_tls_responder_start [--cert C] [--verify]: a SIP UAS over TLS on
# 127.0.0.1:$SIP_TLS_PORT (socat OPENSSL-LISTEN, fork), answering OPTIONS
# with 200 OK (Via/From/To/Call-ID/CSeq copied, Allow, Accept); see
# testsuite/fixtures/tls/sip_responder.py. Certificate C defaults to
# gateway (SAN DNS:gw.example.test, URI:sip:gw.example.test); --verify
# requires a client certificate from $PKI/ca.pem. Exports SIP_TLS_PORT and
# SIP_TLS_LOG (one line per request: "OPTIONS sip:... SIP/2.0 from=PEER";
# $TEST_TMP/sip-tls.requests, sip-tls2.requests for a second...).
sip_tls_responder_start() {
	need socat python3
	local cert=gateway verify=0 files chain key port name
	while [ $# -gt 0 ]; do
		case $1 in
		--cert) cert=$2; shift ;;
		--verify) verify=1 ;;
		*) bail "sip_tls_responder_start: unknown option '$1'" ;;
		esac
		shift
	done
	files=$(pki_files "$cert") || bail "sip_tls_responder_start: no certificate '$cert'"
	read -r chain key <<-EOF
	$files
	EOF
	port=$(free_ports 1) || bail "no free port for the SIP responder"
	name=$(_tls_name sip-tls)
	: >"$TEST_TMP/$name.requests"
	# -t: the responder may still be answering when the client half-closes.
	bg_start "$name" socat -d -d -t 30 \
		"OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=$chain,key=$key,cafile=$PKI/ca.pem,verify=$verify" \
		"EXEC:python3 $TLS_FIXTURES/sip_responder.py $TEST_TMP/$name.requests"
	_tls_wait_log "$name" "listening on" ||
		bail "socat SIP/TLS does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export SIP_TLS_PORT=$port SIP_TLS_LOG=$TEST_TMP/$name.requests
}

# sip_tcp_responder_start: the same SIP UAS over plain TCP on
# 127.0.0.1:$SIP_TCP_PORT. Exports SIP_TCP_PORT and SIP_TCP_LOG.
sip_tcp_responder_start() {
	need socat python3
	local port name
	port=$(free_ports 1) || bail "no free port for the SIP responder"
	name=$(_tls_name sip-tcp)
	: >"$TEST_TMP/$name.requests"
	bg_start "$name" socat -d -d -t 30 "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:python3 $TLS_FIXTURES/sip_responder.py $TEST_TMP/$name.requests"
	_tls_wait_log "$name" "listening on" ||
		bail "socat SIP/TCP does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export SIP_TCP_PORT=$port SIP_TCP_LOG=$TEST_TMP/$name.requests
}

# mtasts_start DOMAIN MODE MX...: an HTTPS server on 127.0.0.1:$MTASTS_PORT
# serving /.well-known/mta-sts.txt for DOMAIN (version STSv1, mode MODE:
# enforce, testing or none, one "mx:" line per MX pattern, max_age 86400)
# with a certificate for mta-sts.DOMAIN from the fixture intermediate. It
# also writes the zone lines (dns.sh format) for "_mta-sts.DOMAIN TXT
# v=STSv1; id=ID" and mta-sts.DOMAIN A 127.0.0.1 (with a SOA and the MX
# records when DOMAIN is not a zone of the default test zones) to
# $MTASTS_ZONE: pass it to dns_start, or use mtasts_dns_start. Exports
# MTASTS_PORT, MTASTS_ID, MTASTS_ZONE, MTASTS_POLICY (the file served),
# MTASTS_LOG (one line per request, with its Host header). The policy is
# fetched as https://mta-sts.DOMAIN:$MTASTS_PORT/.well-known/mta-sts.txt
# with mta-sts.DOMAIN resolved to 127.0.0.1.
mtasts_start() {
	need python3 openssl
	local domain=$1 mode=$2 name dir port id mx
	shift 2
	name=$(_tls_name "mta-sts-$domain")
	dir=$TEST_TMP/$name
	mkdir -p "$dir/root/.well-known"
	pki_issue "mta-sts.$domain" "DNS:mta-sts.$domain" ||
		bail "cannot issue a certificate for mta-sts.$domain"
	{
		printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
		for mx; do printf 'mx: %s\r\n' "$mx"; done
		printf 'max_age: 86400\r\n'
	} >"$dir/root/.well-known/mta-sts.txt"
	id=$(date -u +%Y%m%d%H%M%S)$(openssl rand -hex 3)
	_mtasts_zone "$domain" "$id" "$@" >"$dir/zone" || bail "cannot write the MTA-STS zone lines"
	port=$(free_ports 1) || bail "no free port for the MTA-STS server"
	bg_start "$name" python3 "$TLS_FIXTURES/https_server.py" "$port" "$dir/root" \
		"$PKI_ISSUED/mta-sts.$domain-chain.pem" "$PKI_ISSUED/mta-sts.$domain.key"
	_tls_wait_log "$name" "listening on" ||
		bail "the MTA-STS server does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export MTASTS_PORT=$port MTASTS_ID=$id MTASTS_ZONE=$dir/zone \
		MTASTS_POLICY=$dir/root/.well-known/mta-sts.txt MTASTS_LOG=$TEST_TMP/$name.log
}

# Zone lines for mtasts_start: DOMAIN ID MX...
_mtasts_zone() {
	local domain=$1 id=$2 mx pref=10
	shift 2
	echo "; MTA-STS for $domain (testsuite/lib/tlspeers.sh mtasts_start)"
	if ! cat $DNS_DEFAULT_ZONES | grep -Eq "^$domain\.[[:space:]].*[[:space:]]SOA[[:space:]]"; then
		echo "$domain. 3600 IN SOA ns.$domain. hostmaster.$domain. 1 3600 600 86400 60"
		for mx; do
			case $mx in *'*'*) continue ;; esac
			echo "$domain. 3600 IN MX $pref $mx."
			echo "$mx. 3600 IN A 127.0.0.1"
			pref=$((pref + 10))
		done
	fi
	echo "_mta-sts.$domain. 3600 IN TXT \"v=STSv1; id=$id\""
	echo "mta-sts.$domain. 3600 IN A 127.0.0.1"
}

# mtasts_dns_start [ZONELINES...]: dns_start with the default test zones,
# the last mtasts_start's zone lines, and any more files given.
mtasts_dns_start() { dns_start $DNS_DEFAULT_ZONES "$MTASTS_ZONE" "$@"; }

# crl_server_start DIR: python3 http.server on a free loopback port serving
# the CRLs in DIR. Exports CRL_SERVER_PORT and CRL_SERVER_URL (no final
# slash: a --cdp for pki_issue), CRL_SERVER_LOG (one line per request).
crl_server_start() {
	need python3
	local port name
	port=$(free_ports 1) || bail "no free port for the CRL server"
	name=$(_tls_name crl-http)
	bg_start "$name" python3 -u -m http.server --bind 127.0.0.1 --directory "$1" "$port"
	_tls_wait_log "$name" "^Serving HTTP on 127.0.0.1 port $port" ||
		bail "the CRL server does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export CRL_SERVER_PORT=$port CRL_SERVER_URL=http://127.0.0.1:$port \
		CRL_SERVER_LOG=$TEST_TMP/$name.log
}

# crl_make_revoking CERT OUTDIR: a fresh CRL of the fixture intermediate
# listing CERT (issued by it) besides what the run's CRL lists: OUTDIR/int.crl
# (DER, the name the distribution points use), OUTDIR/int.crl.pem, and the
# run's root CRL as OUTDIR/root.crl. Works on a copy of $PKI's CA database,
# so parallel tests do not collide and $PKI is untouched.
crl_make_revoking() {
	need openssl
	local cert=$1 out=$2 ca
	mkdir -p "$out"
	ca=$(mktemp -d "$TEST_TMP/ca.XXXXXX")
	cp -r "$PKI/db" "$ca/db" && cp "$PKI/ca.cnf" "$ca/" &&
	ln -s "$PKI/int.pem" "$ca/int.pem" && ln -s "$PKI/int.key" "$ca/int.key" &&
	(
		cd "$ca" &&
		openssl ca -batch -config ca.cnf -revoke "$cert" &&
		openssl ca -batch -config ca.cnf -gencrl -out crl.pem
	) >"$ca/ca.log" 2>&1 &&
	cp "$ca/crl.pem" "$out/int.crl.pem" &&
	openssl crl -in "$ca/crl.pem" -outform DER -out "$out/int.crl" &&
	cp "$PKI/crl/root.crl" "$out/root.crl" ||
		{ echo "crl_make_revoking: cannot revoke '$cert':" >&2; cat "$ca/ca.log" >&2; return 1; }
}

# starttls_injector_start [LINE]: an SMTP server on
# 127.0.0.1:$INJECTOR_PORT that offers STARTTLS and sends, right after
# "220 2.0.0 Ready to start TLS" and before the handshake, the plaintext
# LINE (default "250 injected"); then TLS with the fixture server
# certificate, and EHLO/NOOP/QUIT over it. A client must discard the line.
# Exports INJECTOR_PORT and INJECTOR_LOG: "plain|tls PEER: COMMAND" for
# each command, "tls PEER: handshake done TLSv1.3" or "...: handshake
# failed: REASON".
starttls_injector_start() {
	need python3
	local port name
	port=$(free_ports 1) || bail "no free port for the STARTTLS injector"
	name=$(_tls_name starttls-injector)
	bg_start "$name" python3 "$TLS_FIXTURES/starttls_injector.py" "$port" \
		"$PKI/server-chain.pem" "$PKI/server.key" "${1:-250 injected}"
	_tls_wait_log "$name" "listening on" ||
		bail "the STARTTLS injector does not listen: $(tail -n 5 "$TEST_TMP/$name.log")"
	export INJECTOR_PORT=$port INJECTOR_LOG=$TEST_TMP/$name.log
}
