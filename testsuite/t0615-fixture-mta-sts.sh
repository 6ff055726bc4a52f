#!/bin/bash
# The MTA-STS fixture: the policy over HTTPS with a certificate for
# mta-sts.DOMAIN from the fixture CA (curl --resolve --cacert), and the
# _mta-sts TXT record from the DNS fixture.
. "$(dirname "$0")/lib.sh"
need curl openssl

mtasts_start sts.test enforce mail.sts.test "*.backup.sts.test"
STS_PORT=$MTASTS_PORT STS_ID=$MTASTS_ID STS_ZONE=$MTASTS_ZONE STS_LOG=$MTASTS_LOG
mtasts_start example.test testing mail.example.test
mtasts_dns_start "$STS_ZONE"
dns_config "$TEST_TMP/dns.json"

fetch() {
	curl -sS --fail --resolve "mta-sts.$1:$2:127.0.0.1" --cacert "$PKI/ca.pem" \
		"https://mta-sts.$1:$2/.well-known/mta-sts.txt"
}

test_expect_success 'curl fetches the policy, verified against the fixture CA' '
	fetch sts.test $STS_PORT >policy &&
	printf "version: STSv1\r\nmode: enforce\r\nmx: mail.sts.test\r\nmx: *.backup.sts.test\r\nmax_age: 86400\r\n" >expect &&
	test_cmp expect policy &&
	test_grep -q "\"GET /.well-known/mta-sts.txt HTTP/1.1\" 200 host=mta-sts.sts.test:$STS_PORT" "$STS_LOG"
'

test_expect_success 'a second domain on its own server, mode testing' '
	fetch example.test $MTASTS_PORT >policy &&
	test_grep -q "^mode: testing" policy &&
	test_grep -q "^mx: mail.example.test" policy
'

test_expect_success 'the certificate is for mta-sts.DOMAIN only' '
	! curl -sS --fail --resolve "mail.example.test:$STS_PORT:127.0.0.1" --cacert "$PKI/ca.pem" \
		"https://mail.example.test:$STS_PORT/.well-known/mta-sts.txt" 2>err &&
	test_grep -q "SSL: no alternative certificate subject name matches" err
'

test_expect_success 'DNS: the TXT record with the id, mta-sts A, MX of the new zone' '
	postern-testd -c dns.json dns TXT _mta-sts.sts.test _mta-sts.example.test >out &&
	cat >expect <<-OUT &&
	_mta-sts.sts.test TXT "v=STSv1; id=$STS_ID" sec=insecure
	_mta-sts.example.test TXT "v=STSv1; id=$MTASTS_ID" sec=insecure
	OUT
	test_cmp expect out &&
	postern-testd -c dns.json dns A mta-sts.sts.test >out &&
	test_grep -q "^mta-sts.sts.test A 127.0.0.1 sec=insecure" out &&
	postern-testd -c dns.json dns MX sts.test example.test >out &&
	test_grep -q "^sts.test MX 10 mail.sts.test. sec=insecure" out &&
	test_grep -q "^example.test MX 10 mail.example.test. sec=insecure" out
'

test_done
