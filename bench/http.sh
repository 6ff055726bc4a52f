#!/bin/bash
# lib/http through autodiscover-gen --serve against nginx: wrk with
# keep-alive and 4 connections POSTs an Outlook Autodiscover request to
# autodiscover-gen (parse, directory lookup, document) and GETs the same
# response as a static file from nginx on loopback, plain HTTP and then
# TLS; prints the requests per second of each and the ratio, which must
# be at least 0.5. nginx runs one worker process (as in bench/eas-policy.sh);
# autodiscover-gen a pool of one worker per connection.
. "$(dirname "$0")/lib.sh"
need nginx wrk curl

DUR=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-4}
read -r NG NGS AD ADS <<EOF_PORTS
$(free_ports 4)
EOF_PORTS

cat >"$TEST_TMP/req.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice@example.test</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
XML
conf() {	# PORT [tls]
	cat <<-JSON
	{ "log": { "target": "stderr", "level": "warning" },
	  "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
	  "autodiscover-gen": { "listen": ["127.0.0.1:$1"], "workers": $CONNS,
	    "max_requests": 1000000, ${2:+$(http_tls_json),}
	    "domains": { "example.test": { "exch_server": "mail.example.test",
	      "outlook_anywhere": "mail.example.test", "owa_url": "https://mail.example.test/owa/",
	      "ews_url": "https://mail.example.test/EWS/Exchange.asmx",
	      "imap": { "host": "mail.example.test" }, "smtp": { "host": "mail.example.test" } } } } }
	JSON
}
conf "$AD" >"$TEST_TMP/plain.json"
conf "$ADS" tls >"$TEST_TMP/tls.json"
bg_start ad autodiscover-gen -c "$TEST_TMP/plain.json" --serve -d
bg_start ads autodiscover-gen -c "$TEST_TMP/tls.json" --serve -d
wait_port "$AD" && wait_port "$ADS" || bench_fail "autodiscover-gen did not start: $(cat "$TEST_TMP/ad.log" "$TEST_TMP/ads.log")"

# nginx serves the very response autodiscover-gen gives.
mkdir -p "$TEST_TMP/nginx/autodiscover"
curl -sf --data-binary @"$TEST_TMP/req.xml" "http://127.0.0.1:$AD/autodiscover/autodiscover.xml" \
	>"$TEST_TMP/nginx/autodiscover/autodiscover.xml" || bench_fail "no answer from autodiscover-gen"
grep -q "<Action>settings</Action>" "$TEST_TMP/nginx/autodiscover/autodiscover.xml" ||
	bench_fail "autodiscover-gen did not answer with settings"
cat >"$TEST_TMP/nginx/nginx.conf" <<EOF_NGINX
daemon off;
master_process off;
worker_processes 1;
user root;
pid $TEST_TMP/nginx/nginx.pid;
error_log $TEST_TMP/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TEST_TMP/nginx/body;
	proxy_temp_path $TEST_TMP/nginx/proxy;
	fastcgi_temp_path $TEST_TMP/nginx/fastcgi;
	uwsgi_temp_path $TEST_TMP/nginx/uwsgi;
	scgi_temp_path $TEST_TMP/nginx/scgi;
	keepalive_requests 1000000;
	default_type text/xml;
	server {
		listen 127.0.0.1:$NG;
		root $TEST_TMP/nginx;
	}
	server {
		listen 127.0.0.1:$NGS ssl;
		ssl_certificate $PKI/server-chain.pem;
		ssl_certificate_key $PKI/server.key;
		root $TEST_TMP/nginx;
	}
}
EOF_NGINX
bg_start nginx nginx -c "$TEST_TMP/nginx/nginx.conf" -p "$TEST_TMP/nginx"
wait_port "$NG" && wait_port "$NGS" ||
	bench_fail "nginx did not start: $(cat "$TEST_TMP/nginx.log" "$TEST_TMP/nginx/error.log")"

body=$(sed 's/\\/\\\\/g; s/"/\\"/g' "$TEST_TMP/req.xml" | awk '{ printf "%s\\n", $0 }')
report='done = function(summary, latency, requests)
	io.write(string.format("rps=%.1f errors=%d non2xx=%d\n", summary.requests / (summary.duration / 1e6),
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.errors.status))
end'
printf 'wrk.method = "POST"\nwrk.body = "%s"\nwrk.headers["Content-Type"] = "text/xml"\n%s\n' \
	"$body" "$report" >"$TEST_TMP/post.lua"
printf '%s\n' "$report" >"$TEST_TMP/get.lua"

run() {	# URL SCRIPT
	wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$2" "$1" 2>&1 | sed -n 's/^rps=//p'
}
fail=0
for mode in plain tls; do
	if [ $mode = plain ]; then a=http://127.0.0.1:$AD n=http://127.0.0.1:$NG
	else a=https://127.0.0.1:$ADS n=https://127.0.0.1:$NGS; fi
	ad=$(run "$a/autodiscover/autodiscover.xml" "$TEST_TMP/post.lua")
	ng=$(run "$n/autodiscover/autodiscover.xml" "$TEST_TMP/get.lua")
	echo "$mode: autodiscover-gen POST: $ad"
	echo "$mode: nginx static GET:      $ng"
	case "$ad$ng" in *"errors=0 non2xx=0"*"errors=0 non2xx=0"*) ;;
		*) bench_fail "errors during the $mode runs" 1 ;; esac
	ratio=$(bench_ratio "${ad%% *}" "${ng%% *}")
	echo "$mode: ratio $ratio (target >= 0.5)"
	bench_le 0.5 "$ratio" || fail=1
done
[ $fail = 0 ] || { echo "bench: autodiscover-gen below half of nginx's rate"; exit 1; }
