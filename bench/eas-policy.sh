#!/bin/bash
# eas-policy's pass-through against going straight to the backend: wrk
# with keep-alive posts a provisioned device's FolderSync through
# eas-policy to an nginx that answers a fixed WBXML body, then straight
# to that nginx; prints both rates and their ratio, which must be at
# least 0.70. For reference, nginx's own reverse proxy and HAProxy in
# HTTP mode, in front of the same backend, are measured too: what a
# proxy on this machine pays. Also the Provision round trip (curl,
# initial request) and a whole provisioning (both steps, eas-client
# processes included).
# Env: BENCH_ROUNDS (5: rounds of the four in turn, medians compared),
#      BENCH_SECONDS (3 a run), BENCH_CONNECTIONS (16).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need nginx wrk curl python3 haproxy

DUR=${BENCH_SECONDS:-3}
CONNS=${BENCH_CONNECTIONS:-16}
read -r NGINX_PORT EAS_PORT PROXY_PORT HAP_PORT <<EOF_PORTS
$(free_ports 4)
EOF_PORTS
EAS_BPORT=$NGINX_PORT

mkdir -p "$TEST_TMP/nginx"
printf '\003\001\152\000\000\007\126\114\0031\000\001\122\0031\000\001\001' >"$TEST_TMP/nginx/reply.wbxml"
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
	# A reference: nginx itself as a keep-alive reverse proxy in front
	# of the same backend, what any proxy on this machine pays.
	upstream backend { server 127.0.0.1:$NGINX_PORT; keepalive 32; }
	server {
		listen 127.0.0.1:$PROXY_PORT;
		location / {
			proxy_pass http://backend;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / {
			default_type application/vnd.ms-sync.wbxml;
			error_page 405 =200 /reply.wbxml;
			root $TEST_TMP/nginx;
			try_files /reply.wbxml =404;
		}
	}
}
EOF_NGINX
bg_start nginx nginx -c "$TEST_TMP/nginx/nginx.conf" -p "$TEST_TMP/nginx"
wait_port "$NGINX_PORT" || bench_fail "nginx did not start: $(cat "$TEST_TMP/nginx.log" "$TEST_TMP/nginx/error.log")"
# A second reference: HAProxy as an HTTP keep-alive reverse proxy in front
# of the same backend (one thread, as nginx has one worker; its idle
# backend connections reused by any client connection).
cat >"$TEST_TMP/haproxy.cfg" <<EOF_HAP
global
	nbthread 1
	maxconn 4000
defaults
	mode http
	option http-keep-alive
	http-reuse always
	timeout connect 5s
	timeout client 60s
	timeout server 60s
	timeout http-keep-alive 60s
listen eas
	bind 127.0.0.1:$HAP_PORT
	server backend 127.0.0.1:$NGINX_PORT
EOF_HAP
bg_start haproxy haproxy -db -f "$TEST_TMP/haproxy.cfg"
wait_port "$HAP_PORT" || bench_fail "haproxy did not start: $(cat "$TEST_TMP/haproxy.log")"

eas_ldif >"$EAS_LDIF"
eas_conf "$EAS_CONF" '"last_seen_interval": "1h", "max_connections": 1000, "max_requests": 1000000'
# nginx runs with access_log off: eas-policy without its line per request.
sed -i 's/"level": "info"/"level": "warning"/' "$EAS_CONF"
bg_start eas eas-policy -c "$EAS_CONF" -d
wait_port "$EAS_PORT" || bench_fail "eas-policy did not start: $(cat "$TEST_TMP/eas.log")"

KEY=$(eas_provision alice BENCH1) && [ -n "$KEY" ] || bench_fail "cannot provision the bench device"
Q="Cmd=FolderSync&User=alice&DeviceId=BENCH1&DeviceType=TestPhone"
# The FolderSync body, as a Lua string of decimal escapes.
body=$(eas-policy -c "$EAS_CONF" encode <"$EAS_FIX/docs/foldersync.xml" | od -An -tu1 |
	tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /\\/g; s/^/\\/')
cat >"$TEST_TMP/post.lua" <<EOF_LUA
wrk.method = "POST"
wrk.path = "/Microsoft-Server-ActiveSync?$Q"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/vnd.ms-sync.wbxml"
wrk.headers["MS-ASProtocolVersion"] = "14.1"
wrk.headers["X-MS-PolicyKey"] = "$KEY"
wrk.headers["Authorization"] = "Basic YWxpY2U6cHc="
wrk.headers["User-Agent"] = "bench/1.0"
done = function(summary, latency, requests)
	io.write(string.format("rps=%.1f errors=%d non2xx=%d\n", summary.requests / (summary.duration / 1e6),
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.errors.status))
end
EOF_LUA

check=$(curl -s -o "$TEST_TMP/check.body" -w "%{http_code}" -X POST --data-binary @/dev/null \
	-H "MS-ASProtocolVersion: 14.1" -H "X-MS-PolicyKey: $KEY" -u alice:pw \
	"http://127.0.0.1:$EAS_PORT/Microsoft-Server-ActiveSync?$Q")
[ "$check" = 200 ] && cmp -s "$TEST_TMP/check.body" "$TEST_TMP/nginx/reply.wbxml" ||
	bench_fail "the pass-through does not reach nginx (status $check)"

run() {
	wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$TEST_TMP/post.lua" "http://127.0.0.1:$1/" 2>&1 |
		sed -n 's/^rps=//p'
}
# Rounds alternate so that a machine busy with something else weighs on
# both sides alike; the medians are compared. The load is printed: on a
# busy machine nginx direct loses more than the pass-through does.
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$TEST_TMP/through" >"$TEST_TMP/direct" >"$TEST_TMP/proxy" >"$TEST_TMP/hap"
for i in $(seq "${BENCH_ROUNDS:-5}"); do
	through=$(run "$EAS_PORT")
	direct=$(run "$NGINX_PORT")
	proxy=$(run "$PROXY_PORT")
	hap=$(run "$HAP_PORT")
	echo "round $i: eas-policy ${through}; nginx ${direct}; nginx proxy_pass ${proxy}; haproxy ${hap}"
	echo "${proxy%% *}" >>"$TEST_TMP/proxy"
	echo "${hap%% *}" >>"$TEST_TMP/hap"
	case "$through$direct" in *"errors=0 non2xx=0"*"errors=0 non2xx=0"*) ;;
		*) bench_fail "errors during the runs" 1 ;; esac
	echo "${through%% *}" >>"$TEST_TMP/through"
	echo "${direct%% *}" >>"$TEST_TMP/direct"
done
t_rps=$(bench_median "$TEST_TMP/through") d_rps=$(bench_median "$TEST_TMP/direct")
echo "eas-policy pass-through: $t_rps requests/s (median)"
echo "nginx direct:            $d_rps requests/s (median)"
ratio=$(bench_ratio "$t_rps" "$d_rps")
p_rps=$(bench_median "$TEST_TMP/proxy")
echo "reference, nginx proxy_pass: $p_rps requests/s (median), ratio $(bench_ratio "$p_rps" "$d_rps")"
h_rps=$(bench_median "$TEST_TMP/hap")
echo "reference, haproxy (HTTP):   $h_rps requests/s (median), ratio $(bench_ratio "$h_rps" "$d_rps")"
echo "ratio: $ratio (target >= 0.70)"

# The Provision round trip: the initial request alone (curl), 20 times.
eas-policy -c "$EAS_CONF" encode <"$EAS_FIX/docs/provision-initial.xml" >"$TEST_TMP/prov.wbxml"
for i in $(seq 20); do
	curl -s -o /dev/null -w "%{time_total}\n" -X POST --data-binary @"$TEST_TMP/prov.wbxml" \
		-H "MS-ASProtocolVersion: 14.1" -H "X-MS-PolicyKey: 0" -u alice:pw \
		"http://127.0.0.1:$EAS_PORT/Microsoft-Server-ActiveSync?Cmd=Provision&User=alice&DeviceId=RT$i&DeviceType=T"
done | awk '{ printf "%.3f\n", $1 * 1000 }' >"$TEST_TMP/prov.ms"
echo "Provision round trip (initial request, curl): median $(bench_median "$TEST_TMP/prov.ms") ms"
for i in $(seq 10); do
	bench_time "$TEST_TMP/p.out" eas_provision alice "FULL$i"
done >"$TEST_TMP/full.ms"
echo "whole provisioning (both steps, two eas-client runs): median $(bench_median "$TEST_TMP/full.ms") ms"
bench_le 0.70 "$ratio" || { echo "bench: pass-through below 70% of direct"; exit 1; }
