# HTTP fixture helpers for the programs on lib/http (autodiscover-gen,
# eas-policy, owa-cas): curl with the test PKI, raw requests, the tls
# object of a config, a standalone daemon under a certificate.

# http_tls_json [NAME]: the "tls" object (JSON member) for serving with
# the fixture certificate NAME (default server: mail.example.test,
# autodiscover.example.test, localhost, 127.0.0.1), chain included.
http_tls_json() {
	local n=${1:-server}
	printf '"tls": { "cert": "%s", "key": "%s" }' "$PKI/$n-chain.pem" "$PKI/$n.key"
}

# hcurl ARGS...: curl trusting the fixture root, quiet but showing
# errors, no proxy, the path sent as written (no ../ folding).
hcurl() {
	need curl
	curl -sS --noproxy '*' --cacert "$PKI/root.pem" --path-as-is --max-time 10 "$@"
}

# http_code ARGS...: prints only the status code of the request.
http_code() {
	hcurl -o /dev/null -w '%{http_code}' "$@"
}

# http_raw PORT [tls]: sends stdin as is to 127.0.0.1:PORT (over TLS,
# trusting the fixture root, with tls) and prints every byte of the
# reply until the server closes or 5 s pass.
http_raw() {
	need socat
	if [ "${2:-}" = tls ]; then
		socat -t 5 -T 5 - "OPENSSL:127.0.0.1:$1,cafile=$PKI/root.pem,verify=1,commonname=localhost"
	else
		socat -t 5 -T 5 - "TCP:127.0.0.1:$1"
	fi
}

# http_header NAME FILE: the value of the first header NAME (any case)
# in a response saved with curl -D or http_raw, CR removed.
http_header() {
	tr -d '\r' <"$2" | awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		/^$/ { exit } tolower($1) == n { sub(/^[^:]*:[ \t]*/, ""); print; exit }'
}

# http_standalone NAME PORT CMD...: starts a daemon whose config listens
# on 127.0.0.1:PORT (its log in $TEST_TMP/NAME.log, killed at exit) and
# waits until it listens (serve_standalone with the log line lib/net
# writes).
http_standalone() {
	serve_standalone "$@"
}
