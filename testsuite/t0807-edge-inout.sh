#!/bin/bash
# Inbound and outbound as two listeners of ONE smtp-edge with different
# policies ("policies" named after the listeners): inbound checks a DNS
# block list and the directory and only takes mail for our domain, for
# the internal hub; outbound takes mail from the internal network only,
# skips the block list and relays anywhere by MX. Each session logs the
# policy it ran under. Also: a policy picked under systemd by
# LISTEN_FDNAMES, a config without policies, and -n checking the
# policies' keys with the section's own tables.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink python3

smtp_sink_start
cat >"$TEST_TMP/inout.zone" <<'ZONE'
bl.test. 3600 IN SOA ns.bl.test. h.bl.test. 1 3600 600 86400 60
10.2.0.192.bl.test. 60 IN A 127.0.0.2
foreign.test. 3600 IN SOA ns.foreign.test. h.foreign.test. 1 3600 600 86400 60
foreign.test. 60 IN MX 10 mx.foreign.test.
mx.foreign.test. 60 IN A 127.0.0.1
ZONE
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/inout.zone"
cd "$TEST_TMP" || exit 1

read -r IN_PORT OUT_PORT SD_PORT PLAIN_PORT <<<"$(free_ports 4)"
cat >edge.json <<JSON
{
  "log": { "target": "stderr" },
  "dns": { "resolver": ["$DNS_RESOLVER"], "timeout": "3s" },
  "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
  "smtp-edge": {
    "listen": ["inbound=127.0.0.1:$IN_PORT", "outbound=127.0.0.1:$OUT_PORT"],
    "hostname": "edge.example.test",
    "timeout": "20s", "data_timeout": "20s",
    "nexthop_connect_timeout": "2s", "nexthop_timeout": "3s",
    "trusted_networks": ["127.0.0.1/32"],
    "spf": { "enabled": false },
    "routes": { "example.test": { "host": "127.0.0.1:$SINK_PORT", "tls": "none" } },
    "policies": {
      "inbound": {
        "hostname": "mx.example.test",
        "dnsbl": [ { "zone": "bl.test" } ],
        "relay_domains": ["example.test"],
        "local_domains": ["example.test"], "validate_recipients": true,
        "message_size_limit": "64k"
      },
      "outbound": {
        "listeners": ["outbound", "submission-sd"],
        "hostname": "relay.example.test",
        "allow": ["127.0.0.1/32", "192.0.2.0/24"],
        "deny": ["0.0.0.0/0"],
        "relay_networks": ["127.0.0.1/32", "192.0.2.0/24"],
        "routes": {
          "example.test": { "host": "127.0.0.1:$SINK_PORT", "tls": "none" },
          "*": { "mx": true, "port": $SINK_PORT, "tls": "none" }
        }
      }
    }
  }
}
JSON
serve_standalone edge "$IN_PORT" smtp-edge -c edge.json -d ||
	bail "smtp-edge did not start: $(tail -n 5 "$TEST_TMP/edge.log")"
wait_port "$OUT_PORT" || bail "no outbound listener"
LOG=$TEST_TMP/edge.log

# session_log PORT FILE: sends FILE raw to PORT (smtp_raw) and prints the
# replies; the log lines of that session are then in session.log.
session_log() {
	local before
	before=$(wc -l <"$LOG")
	smtp_raw "$1" "$2"
	sleep 0.3
	tail -n +"$((before + 1))" "$LOG" >session.log
}

test_expect_success 'smtp-edge -n accepts the two policies' '
	smtp-edge -n -c edge.json
'

test_expect_success '-n checks policy keys with the section tables' '
	sed "s/\"message_size_limit\": \"64k\"/\"message_size_limit\": \"lots\"/" edge.json >bad1.json &&
	{ smtp-edge -n -c bad1.json 2>err; test $? = 78; } &&
	test_grep "policies.inbound.message_size_limit" err &&
	sed "s/\"relay_domains\": \[\"example.test\"\],/\"relay_domain\": 1,/" edge.json >bad2.json &&
	{ smtp-edge -n -c bad2.json 2>err; test $? = 78; } &&
	test_grep "policies.inbound.relay_domain" err &&
	sed "s/\"tls\": \"none\" },\$/\"tls\": \"sometimes\" },/" edge.json >bad3.json &&
	{ smtp-edge -n -c bad3.json 2>err; test $? = 78; } &&
	test_grep "policies.outbound.routes.example.test.tls" err
'

test_expect_success 'both listeners are up, each greeting with its policy hostname' '
	test_grep "listening addr=127.0.0.1:$IN_PORT listener=inbound" "$LOG" &&
	test_grep "listening addr=127.0.0.1:$OUT_PORT listener=outbound" "$LOG" &&
	printf "QUIT\r\n" >q && smtp_raw $IN_PORT q >out &&
	test_grep "^220 mx.example.test ESMTP" out &&
	smtp_raw $OUT_PORT q >out &&
	test_grep "^220 relay.example.test ESMTP" out
'

test_expect_success 'inbound: a DNSBL-listed client is refused, logged under policy inbound' '
	printf "XCLIENT ADDR=192.0.2.10\r\nQUIT\r\n" >in &&
	session_log $IN_PORT in >out &&
	test_grep "^554 .*bl.test" out &&
	test_grep "connect client=127.0.0.1 peer=127.0.0.1:[0-9]* listener=inbound .*policy=inbound" session.log &&
	test_grep "reject: .*dnsbl.* layer=1 check=connfilter client=192.0.2.10.*policy=inbound" session.log
'

test_expect_success 'inbound: relaying to a foreign domain is refused' '
	printf "XCLIENT ADDR=192.0.2.20\r\nEHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<eve@foreign.test>\r\nQUIT\r\n" >in &&
	session_log $IN_PORT in >out &&
	test_grep "^554 5.7.1 <eve@foreign.test>: Relay access denied" out &&
	test_grep "reject: relay access denied to=eve@foreign.test layer=4 check=relay.*policy=inbound" session.log
'

test_expect_success 'inbound: recipients are validated in the directory' '
	printf "XCLIENT ADDR=192.0.2.20\r\nEHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<nosuch@example.test>\r\nRCPT TO:<alice@example.test>\r\nQUIT\r\n" >in &&
	session_log $IN_PORT in >out &&
	test_grep "^550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown" out &&
	test_grep "^250 .*" out &&
	test_grep "reject: unknown recipient to=nosuch@example.test layer=2 check=recipient_validation.*policy=inbound" session.log &&
	test_grep "accept: recipient accepted to=alice@example.test hop=.* layer=4 check=nexthop.*policy=inbound" session.log
'

test_expect_success 'inbound: a message for a local user reaches the hub, with the inbound hostname' '
	swaks --server 127.0.0.1:$IN_PORT --from bob@sender.test --to alice@example.test \
		--helo client.test --header "Subject: in one" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 &&
	f=$(grep -l "Subject: in one" "$SINK_DIR"/*) &&
	test_grep "by mx.example.test (postern smtp-edge)" "$f" &&
	test_grep "^X-Rcpt-Args: <alice@example.test>" "$f"
'

test_expect_success 'inbound: the policy size limit (64k) is announced and enforced' '
	printf "EHLO c.test\r\nQUIT\r\n" >in && smtp_raw $IN_PORT in >out &&
	test_grep "^250-SIZE 65536" out &&
	printf "EHLO c.test\r\nQUIT\r\n" >in && smtp_raw $OUT_PORT in >out &&
	test_grep "^250-SIZE 26214400" out
'

test_expect_success 'outbound: the client listed on the inbound DNSBL is allowed and relays by MX to a foreign domain' '
	n=$(edge_sink_count) &&
	printf "XCLIENT ADDR=192.0.2.10\r\nEHLO c.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<eve@foreign.test>\r\nDATA\r\nSubject: out one\r\n\r\nbye\r\n.\r\nQUIT\r\n" >in &&
	session_log $OUT_PORT in >out &&
	test_grep "^250 2.1.5" out &&
	test_grep "^221 " out &&
	test "$(grep -c "^250 " out)" -ge 3 &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: out one" "$SINK_DIR"/*) &&
	test_grep "^X-Rcpt-Args: <eve@foreign.test>" "$f" &&
	test_grep "by relay.example.test (postern smtp-edge)" "$f" &&
	test_grep "connect client=127.0.0.1 peer=127.0.0.1:[0-9]* listener=outbound .*policy=outbound" session.log &&
	test_grep "allow: .* layer=1 check=connfilter client=192.0.2.10.*policy=outbound" session.log &&
	! grep "bl.test" session.log &&
	test_grep "next hop ready route=\\* tls=none hop=.*policy=outbound" session.log &&
	test_grep "accept: message passed on .*layer=4 check=nexthop client=192.0.2.10.*policy=outbound" session.log
'

test_expect_success 'outbound: a client outside the internal network is refused' '
	printf "XCLIENT ADDR=198.51.100.7\r\nQUIT\r\n" >in &&
	session_log $OUT_PORT in >out &&
	test_grep "^554 " out &&
	test_grep "reject: .*deny 0.0.0.0/0.* layer=1 check=connfilter client=198.51.100.7.*policy=outbound" session.log
'

test_expect_success 'under systemd the policy comes from LISTEN_FDNAMES' '
	serve_systemd submission-sd $SD_PORT accept smtp-edge -c edge.json &&
	printf "QUIT\r\n" >q && smtp_raw $SD_PORT q >out &&
	test_grep "^220 relay.example.test ESMTP" out &&
	sleep 0.3 &&
	test_grep "connect client=127.0.0.1 .*listener=submission-sd .*policy=outbound" submission-sd.log
'

test_expect_success 'a config without policies runs every session under the default' '
	cat >plain.json <<-JSON &&
	{ "log": { "target": "stderr" },
	  "smtp-edge": { "listen": ["127.0.0.1:$PLAIN_PORT"], "hostname": "plain.example.test",
	    "spf": { "enabled": false } } }
	JSON
	smtp-edge -n -c plain.json &&
	serve_standalone plain $PLAIN_PORT smtp-edge -c plain.json -d &&
	smtp_raw $PLAIN_PORT q >out &&
	test_grep "^220 plain.example.test ESMTP" out &&
	sleep 0.3 &&
	test_grep "connect client=127.0.0.1 .*listener=127.0.0.1:$PLAIN_PORT .*policy=default" plain.log
'

test_done
