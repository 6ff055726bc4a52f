# DNSSEC fixture for DANE: nsd serves a zone signed with fresh keys
# (ldns-keygen, ldns-signzone) and an unsigned one, behind a validating
# unbound that holds the signed zone's trust anchor.
#
# Zones (testsuite/fixtures/dnssec/), all names 127.0.0.1, distinct from
# what dns.sh serves (example.test, partner.test...):
#   dane.test    signed; MX 10 mail.dane.test;
#                _25._tcp.mail.dane.test TLSA 3 1 1 <SPKI of $PKI/server.pem>
#                  (matches a server with the fixture server key);
#                _25._tcp.bad.dane.test TLSA 3 1 1 <SPKI of $PKI/untrusted.pem>
#                  (matches nothing served);
#                _25._tcp.ta.dane.test TLSA 2 1 1 <SPKI of $PKI/int.pem>
#                  (a chain through the intermediate; $DNSSEC_CERT names
#                  ta.dane.test, mail.dane.test, bad.dane.test)
#   nodane.test  unsigned (insecure); MX 10 mail.nodane.test;
#                _25._tcp.mail.nodane.test TLSA 3 1 1 <SPKI of server.pem>
# Every _25._tcp record is repeated under _PORT._tcp for each --port: start
# the servers first (for ta.dane.test with the certificate of dnssec_cert),
# then dnssec_start --port THEIRPORT.

DNSSEC_FIXTURES=$SRCDIR/testsuite/fixtures/dnssec

# _dnssec_zone TEMPLATE PORTS: the zone with the hashes filled in and the
# _25._tcp lines repeated for each port.
_dnssec_zone() {
	local server int other
	server=$(pki_spki_sha256 "$PKI/server.pem") &&
	int=$(pki_spki_sha256 "$PKI/int.pem") &&
	other=$(pki_spki_sha256 "$PKI/untrusted.pem") || return 1
	awk -v ports="$2" '
	{ print }
	/^_25\._tcp\./ && !/^;/ {
		n = split(ports, p, " ")
		for (i = 1; i <= n; i++) { l = $0; sub(/^_25\./, "_" p[i] ".", l); print l }
	}' "$1" | sed -e "s/@SERVER@/$server/" -e "s/@INT@/$int/" -e "s/@OTHER@/$other/"
}

# Signs DIR/dane.test.zone into DIR/dane.test.zone.signed; writes the
# trust anchor (the KSK's DS) to DIR/dane.test.ds.
_dnssec_sign() {
	local dir=$1 ksk zsk
	(
		cd "$dir" || exit 1
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k dane.test) &&
		zsk=$(ldns-keygen -a ECDSAP256SHA256 dane.test) &&
		# Inception yesterday: a validator whose clock is a little
		# behind still takes the signatures.
		ldns-signzone -i "$(date -u -d yesterday +%Y%m%d%H%M%S)" \
			-o dane.test. dane.test.zone "$ksk" "$zsk" &&
		ldns-key2ds -n -2 "$ksk.key" >dane.test.ds
	) >"$dir/sign.log" 2>&1
}

_dnssec_nsd_conf() {
	cat <<-CONF
	server:
	 	ip-address: 127.0.0.1
	 	port: $2
	 	do-ip6: no
	 	username: ""
	 	chroot: ""
	 	zonesdir: "$1"
	 	database: ""
	 	zonelistfile: "$1/zone.list"
	 	xfrdfile: "$1/xfrd.state"
	 	xfrdir: "$1"
	 	pidfile: "$1/nsd.pid"
	 	logfile: "$1/nsd.log"
	 	server-count: 1
	 	verbosity: 2
	remote-control:
	 	control-enable: no
	zone:
	 	name: "dane.test"
	 	zonefile: "dane.test.zone.signed"
	zone:
	 	name: "nodane.test"
	 	zonefile: "nodane.test.zone"
	CONF
}

# The validating unbound: dane.test and nodane.test from nsd, the zone
# line files given served as dns.sh does, everything else refused.
_dnssec_unbound_conf() {
	local dir=$1 port=$2 nsd=$3 f; shift 3
	_unbound_server "$dir" "$port"
	cat <<-CONF
	 	val-log-level: 2
	 	module-config: "validator iterator"
	 	do-not-query-localhost: no
	 	trust-anchor-file: "$dir/dane.test.ds"
	 	domain-insecure: "nodane.test"
	 	rrset-roundrobin: no
	 	local-zone: "." refuse
	 	local-zone: "dane.test." transparent
	 	local-zone: "nodane.test." transparent
	CONF
	for f; do
		_dns_zone_lines "$f" || return 1
	done
	cat <<-CONF
	stub-zone:
	 	name: "dane.test"
	 	stub-addr: 127.0.0.1@$nsd
	stub-zone:
	 	name: "nodane.test"
	 	stub-addr: 127.0.0.1@$nsd
	remote-control:
	 	control-enable: no
	CONF
}

# dnssec_start [--port PORT]... [ZONELINES...]: the zones above, served by
# nsd (on $DNSSEC_NSD_PORT) behind a validating unbound on
# 127.0.0.1:$DNSSEC_PORT whose answers for dane.test carry AD (secure).
# ZONELINES files (dns.sh format, e.g. $DNS_DEFAULT_ZONES) are answered
# too, as insecure local data, so that one resolver can serve a test.
# Exports DNSSEC_PORT, DNSSEC_RESOLVER (127.0.0.1@PORT), DNSSEC_ANCHOR
# (the trust anchor file: dane.test's DS, for dns.trust_anchor),
# DNSSEC_LOG (unbound's log, with validation failures), DNSSEC_NSD_PORT,
# and DNSSEC_CERT (a server certificate for ta.dane.test, mail.dane.test,
# bad.dane.test, issued by the fixture intermediate; a path prefix for
# postfix_start/sserver_start --cert). Once per test file, at its top level.
dnssec_start() {
	need nsd nsd-checkconf ldns-keygen ldns-signzone ldns-key2ds unbound \
		unbound-checkconf python3 openssl timeout
	local dir=$TEST_TMP/dnssec ports='' pair nsdport port
	[ ! -e "$dir" ] || bail "dnssec_start: once per test file"
	while [ $# -gt 0 ]; do
		case $1 in
		--port) ports="$ports $2"; shift 2 ;;
		*) break ;;
		esac
	done
	mkdir -p "$dir"
	_dnssec_zone "$DNSSEC_FIXTURES/dane.test.zone" "$ports" >"$dir/dane.test.zone" &&
	_dnssec_zone "$DNSSEC_FIXTURES/nodane.test.zone" "$ports" >"$dir/nodane.test.zone" ||
		bail "cannot fill in the DNSSEC test zones"
	_dnssec_sign "$dir" || bail "cannot sign dane.test: $(tail -n 5 "$dir/sign.log")"
	pair=$(free_ports 2) || bail "no free ports for nsd and unbound"
	nsdport=${pair%%[!0-9]*} port=${pair##*[!0-9]}
	_dnssec_nsd_conf "$dir" "$nsdport" >"$dir/nsd.conf"
	nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.log" 2>&1 ||
		bail "bad nsd config: $(tail -n 3 "$dir/checkconf.log")"
	bg_start nsd timeout 1800 nsd -d -c "$dir/nsd.conf"
	python3 "$DNS_FIXTURES/probe.py" "$nsdport" 10 ||
		bail "nsd does not answer on port $nsdport: $(tail -n 5 "$dir/nsd.log" "$TEST_TMP/nsd.log")"
	_dnssec_unbound_conf "$dir" "$port" "$nsdport" "$@" >"$dir/unbound.conf" ||
		bail "cannot build the validating unbound config"
	unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf.log" 2>&1 ||
		bail "bad unbound config: $(tail -n 3 "$dir/checkconf.log")"
	bg_start unbound-dnssec timeout 1800 unbound -d -c "$dir/unbound.conf"
	python3 "$DNS_FIXTURES/probe.py" "$port" 10 ||
		bail "unbound does not answer on port $port: $(tail -n 5 "$TEST_TMP/unbound-dnssec.log")"
	dnssec_cert
	export DNSSEC_PORT=$port DNSSEC_RESOLVER=127.0.0.1@$port DNSSEC_NSD_PORT=$nsdport \
		DNSSEC_ANCHOR=$dir/dane.test.ds DNSSEC_LOG=$TEST_TMP/unbound-dnssec.log
}

# dnssec_cert: issues $DNSSEC_CERT (see dnssec_start) unless done; call it
# to start a server with that certificate before dnssec_start --port.
dnssec_cert() {
	[ -e "$PKI_ISSUED/dane.pem" ] ||
		pki_issue dane "DNS:ta.dane.test,DNS:mail.dane.test,DNS:bad.dane.test" ||
		bail "cannot issue the dane.test server certificate"
	export DNSSEC_CERT=$PKI_ISSUED/dane
}

# dnssec_config FILE [TIMEOUT]: a config file whose dns section asks the
# validating resolver with the trust anchor (5s timeout by default).
dnssec_config() {
	printf '{\n  "dns": { "resolver": ["%s"], "trust_anchor": "%s", "timeout": "%s" }\n}\n' \
		"$DNSSEC_RESOLVER" "$DNSSEC_ANCHOR" "${2:-5s}" >"$1"
}
