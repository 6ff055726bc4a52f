# DNS fixture: unbound on loopback serving the test zones from plain zone
# lines, and a resolver that never answers (for timeouts).
#
# Zone data: files of one record a line, absolute names, as in a zone file
# ("mail.example.test. 3600 IN A 127.0.0.1"); ';' or '#' starts a comment
# line. A SOA line makes its owner a zone: names under it that are not
# given get NXDOMAIN, names without the type asked get NODATA. A test adds
# records by writing its own file and passing it along with the defaults.
# A file ending in .conf is copied into unbound's config as is (after the
# server: clause), for what zone lines cannot say (auth-zone: for signed
# zones, say).

DNS_FIXTURES=$SRCDIR/testsuite/fixtures/dns
DNS_DEFAULT_ZONES="$DNS_FIXTURES/example.test.zone $DNS_FIXTURES/partner.test.zone \
$DNS_FIXTURES/dnsbl.test.zone $DNS_FIXTURES/127.rev.zone"

# Prints unbound server: lines for zone line files.
_dns_zone_lines() {
	awk '
	/^[ \t]*([;#]|$)/ { next }
	/'"'"'/ { printf "%s:%d: single quote not allowed\n", FILENAME, FNR > "/dev/stderr"; bad = 1; next }
	{
		sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "")
		for (i = 2; i <= 4 && i <= NF; i++)
			if (toupper($i) == "SOA") { printf "\tlocal-zone: \"%s\" static\n", $1; break }
		printf "\tlocal-data: '"'"'%s'"'"'\n", $0
	}
	END { exit bad }' "$@"
}

_dns_servers=0

# _unbound_server DIR PORT: the "server:" lines every test unbound shares
# (loopback only, in the foreground, no chroot, queries logged); the caller
# adds its module-config and zones.
_unbound_server() {
	cat <<-CONF
	server:
	 	interface: 127.0.0.1
	 	port: $2
	 	do-ip6: no
	 	do-daemonize: no
	 	username: ""
	 	chroot: ""
	 	directory: "$1"
	 	pidfile: ""
	 	use-syslog: no
	 	logfile: ""
	 	verbosity: 1
	 	log-queries: yes
	 	num-threads: 1
	 	access-control: 127.0.0.0/8 allow
	CONF
}

# dns_start [ZONEFILE|CONFFILE...]: starts unbound on 127.0.0.1:$DNS_PORT
# (UDP and TCP) answering from the zone files (default: every test zone in
# testsuite/fixtures/dns), nothing else: no recursion, other names are
# REFUSED. Exports DNS_PORT, DNS_RESOLVER (127.0.0.1@PORT) and DNS_LOG, the
# server's log with one line per query ($TEST_TMP/unbound.log for the
# first server, unbound2.log for a second...). Call it at the top level of
# a test file, not inside a test body (a subshell, so the server would
# outlive the test); it stops by itself after half an hour in any case.
dns_start() {
	need unbound unbound-checkconf python3 timeout
	local name dir conf port f
	_dns_servers=$((_dns_servers + 1))
	name=unbound; [ "$_dns_servers" -eq 1 ] || name=unbound$_dns_servers
	dir=$TEST_TMP/$name
	[ $# -gt 0 ] || set -- $DNS_DEFAULT_ZONES
	mkdir -p "$dir"
	conf=$dir/unbound.conf
	port=$(free_ports 1) || bail "no free port for unbound"
	{
		_unbound_server "$dir" "$port"
		cat <<-CONF
		 	module-config: "iterator"
		 	rrset-roundrobin: no
		 	local-zone: "." refuse
		CONF
		for f; do
			case $f in *.conf) ;; *) _dns_zone_lines "$f" || exit 1 ;; esac
		done
		for f; do
			case $f in *.conf) cat "$f" ;; esac
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$conf" || bail "cannot build the unbound config from: $*"
	unbound-checkconf "$conf" >"$dir/checkconf.log" 2>&1 ||
		bail "bad unbound config: $(tail -n 3 "$dir/checkconf.log")"
	bg_start "$name" timeout 1800 unbound -d -c "$conf"
	python3 "$DNS_FIXTURES/probe.py" "$port" 10 ||
		bail "unbound does not answer on port $port: $(tail -n 5 "$TEST_TMP/$name.log")"
	export DNS_PORT=$port DNS_RESOLVER=127.0.0.1@$port DNS_LOG=$TEST_TMP/$name.log
}

# dns_start_silent: a server on 127.0.0.1 that takes queries over UDP and
# TCP and never answers. Exports DNS_SILENT_PORT and DNS_SILENT_RESOLVER;
# its log ($TEST_TMP/dns-silent.log) has a line per UDP query.
dns_start_silent() {
	need python3
	local port
	port=$(free_ports 1) || bail "no free port for the silent DNS server"
	bg_start dns-silent python3 "$DNS_FIXTURES/silent.py" "$port" 600
	wait_port "$port" || bail "silent DNS server did not start: $(cat "$TEST_TMP/dns-silent.log")"
	export DNS_SILENT_PORT=$port DNS_SILENT_RESOLVER=127.0.0.1@$port
}

# dns_config FILE [RESOLVER [TIMEOUT]]: writes a config file whose dns
# section asks RESOLVER (default $DNS_RESOLVER) with TIMEOUT (default 5s).
dns_config() {
	printf '{\n  "dns": { "resolver": ["%s"], "timeout": "%s" }\n}\n' \
		"${2:-$DNS_RESOLVER}" "${3:-5s}" >"$1"
}
