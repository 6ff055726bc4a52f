#!/bin/bash
# Each record type from the test zones, looked up through the dns module
# (postern-testd dns) against unbound on loopback: the parsed fields come
# out in presentation form, with the DNSSEC status.
. "$(dirname "$0")/lib.sh"

dns_start
dns_config "$TEST_TMP/dns.json"

test_expect_success 'A and AAAA' '
	postern-testd -c dns.json dns A mail.example.test mail2.example.test >out &&
	postern-testd -c dns.json dns AAAA mail.example.test >>out &&
	cat >expect <<-\OUT &&
	mail.example.test A 127.0.0.1 sec=insecure
	mail2.example.test A 127.0.0.2 sec=insecure
	mail.example.test AAAA ::1 sec=insecure
	OUT
	test_cmp expect out
'

test_expect_success 'the queries went to the loopback server' '
	test_grep -q "127.0.0.1 mail2.example.test. A IN" unbound.log &&
	test_grep -q "127.0.0.1 mail.example.test. AAAA IN" unbound.log
'

test_expect_success 'MX: preference and host, every record' '
	postern-testd -c dns.json dns MX example.test partner.test >out &&
	cat >expect <<-\OUT &&
	example.test MX 10 mail.example.test. sec=insecure
	example.test MX 20 mail2.example.test. sec=insecure
	partner.test MX 10 mx.partner.test. sec=insecure
	OUT
	test_cmp expect out
'

test_expect_success 'TXT: an SPF record, and one split in two strings' '
	postern-testd -c dns.json dns TXT example.test split.example.test >out &&
	cat >expect <<-\OUT &&
	example.test TXT "v=spf1 ip4:127.0.0.0/24 include:partner.test -all" sec=insecure
	split.example.test TXT "v=spf1 ip4:127.0.0.1 " "ip4:127.0.0.2 -all" sec=insecure
	OUT
	test_cmp expect out
'

test_expect_success 'PTR from an IP address (reversed for the lookup)' '
	postern-testd -c dns.json dns PTR 127.0.0.1 127.0.0.3 >out &&
	cat >expect <<-\OUT &&
	127.0.0.1 PTR mail.example.test. sec=insecure
	127.0.0.3 PTR mx.partner.test. sec=insecure
	OUT
	test_cmp expect out &&
	test_grep -q "1.0.0.127.in-addr.arpa. PTR IN" unbound.log
'

test_expect_success 'PTR by its reverse name' '
	postern-testd -c dns.json dns PTR 2.0.0.127.in-addr.arpa >out &&
	echo "2.0.0.127.in-addr.arpa PTR mail2.example.test. sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'SRV: priority, weight, port, target' '
	postern-testd -c dns.json dns SRV _sip._tcp.example.test _sips._tcp.example.test >out &&
	cat >expect <<-\OUT &&
	_sip._tcp.example.test SRV 10 5 5060 sip.example.test. sec=insecure
	_sips._tcp.example.test SRV 0 0 5061 sip.example.test. sec=insecure
	OUT
	test_cmp expect out
'

test_expect_success 'TLSA: usage, selector, matching type, data' '
	postern-testd -c dns.json dns TLSA _25._tcp.mail.example.test >out &&
	echo "_25._tcp.mail.example.test TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6 sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'a CNAME is followed, and the canonical name shown' '
	postern-testd -c dns.json dns A www.example.test >out &&
	echo "www.example.test A 127.0.0.1 sec=insecure canon=example.test." >expect &&
	test_cmp expect out &&
	postern-testd -c dns.json dns CNAME www.example.test >out &&
	echo "www.example.test CNAME example.test. sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'type names are case-blind, names may end in a dot' '
	postern-testd -c dns.json dns mx partner.test. >out &&
	echo "partner.test. MX 10 mx.partner.test. sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'a struct dns used before fork works in the child and after in the parent' '
	postern-testd -c dns.json dns --fork MX example.test partner.test >out &&
	cat >expect <<-\OUT &&
	example.test MX 10 mail.example.test. sec=insecure
	example.test MX 20 mail2.example.test. sec=insecure
	partner.test MX 10 mx.partner.test. sec=insecure
	parent: example.test MX OK
	OUT
	test_cmp expect out
'

# A second server, with records of this test's own next to the defaults.
cat >"$TEST_TMP/extra.zone" <<-\ZONE
	; added by this test
	extra.test. 3600 IN SOA ns.extra.test. hostmaster.extra.test. 1 3600 600 86400 60
	host.extra.test. 60 IN A 127.0.0.9
	host.extra.test. 60 IN TXT "v=spf1 a -all"
ZONE
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/extra.zone"
dns_config "$TEST_TMP/dns2.json"

test_expect_success 'records a test adds in its own zone file are served' '
	postern-testd -c dns2.json dns A host.extra.test mail.example.test >out &&
	postern-testd -c dns2.json dns TXT host.extra.test >>out &&
	cat >expect <<-\OUT &&
	host.extra.test A 127.0.0.9 sec=insecure
	mail.example.test A 127.0.0.1 sec=insecure
	host.extra.test TXT "v=spf1 a -all" sec=insecure
	OUT
	test_cmp expect out
'

test_done
