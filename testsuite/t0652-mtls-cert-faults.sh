#!/bin/bash
# Server certificates that must not pass, each served by openssl s_server
# and each reported with its reason, a verdict below Verified and exit 1:
# expired, another name, a partial wildcard, a CN without SANs, an
# untrusted root; and a self-signed one.
. "$(dirname "$0")/lib.sh"
need openssl

for c in expired wildcard cnonly untrusted selfsigned partner; do
	sserver_start $c --cert $c
	eval "PORT_$c=\$SSERVER_PORT"
done

probe() { mtls-probe --timeout 10s --proto https --get --ca "$PKI/ca.pem" "$@"; }

test_expect_success 'expired: Untrusted, "certificate has expired", exit 1' '
	{ probe --name expired.example.test 127.0.0.1:$PORT_expired >out; test $? = 1; } &&
	test_grep -q "^TLS:    validity: 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z$" out &&
	test_grep -q "^TLS: chain verification: failed at depth 0: certificate has expired$" out &&
	test_grep -q "^TLS: verdict: Untrusted$" out &&
	test_grep -q "^Check failed: the chain does not verify: certificate has expired$" out &&
	test_grep -q "^Untrusted TLS connection established to" out
'

test_expect_success 'another name: Trusted, "no SAN matches", exit 1' '
	{ probe --name mail.example.test 127.0.0.1:$PORT_partner >out; test $? = 1; } &&
	test_grep -q "^TLS: chain verification: ok$" out &&
	test_grep -q "^TLS: name mail.example.test: no match: no SAN matches mail.example.test$" out &&
	test_grep -q "^TLS: verdict: Trusted$" out &&
	test_grep -q "^Trusted TLS connection established to" out
'

test_expect_success 'partial wildcard w*.example.test: refused, exit 1' '
	{ probe --name www.example.test 127.0.0.1:$PORT_wildcard >out; test $? = 1; } &&
	test_grep -q "^TLS:    names: DNS:w\*.example.test$" out &&
	test_grep -q "^TLS: name www.example.test: no match: .*partial wildcard w\*.example.test" out &&
	test_grep -q "^TLS: verdict: Trusted$" out
'

test_expect_success 'CN-only certificate: its CN does not stand for another name, exit 1' '
	{ probe --name mail.example.test 127.0.0.1:$PORT_cnonly >out; test $? = 1; } &&
	test_grep -q "^TLS:    names: (no subjectAltName)$" out &&
	test_grep -q "^TLS: name mail.example.test: no match: CN cnonly.example.test does not match mail.example.test (no SAN)$" out
'

test_expect_success 'CN-only certificate asked by its CN: matched through the CN' '
	probe --name cnonly.example.test 127.0.0.1:$PORT_cnonly >out &&
	test_grep -q "^TLS: name cnonly.example.test: matched CN:cnonly.example.test$" out
'

test_expect_success 'untrusted root: Untrusted, exit 1' '
	{ probe --name mail.example.test 127.0.0.1:$PORT_untrusted >out; test $? = 1; } &&
	test_grep -q "^TLS:    issuer: CN=Other Root$" out &&
	test_grep -q "^TLS: chain verification: failed at depth 0: unable to get local issuer certificate$" out &&
	test_grep -q "^TLS: verdict: Untrusted$" out
'

test_expect_success 'self-signed: Untrusted, exit 1; trusted when it is its own CA' '
	{ probe --name mail.example.test 127.0.0.1:$PORT_selfsigned >out; test $? = 1; } &&
	test_grep -q "^TLS: chain verification: failed at depth 0: self-signed certificate$" out &&
	mtls-probe --proto https --get --ca "$PKI/selfsigned.pem" --name mail.example.test \
		127.0.0.1:$PORT_selfsigned >out2 &&
	test_grep -q "^TLS: verdict: Verified$" out2
'

test_expect_success 'no --ca: the system CAs do not know the fixture root' '
	{ mtls-probe --proto https --get --name partner.test 127.0.0.1:$PORT_partner >out; test $? = 1; } &&
	test_grep -q "^TLS: chain verification: failed at depth 1: unable to get local issuer certificate$" out
'

test_expect_success 'nothing listens: exit 75 and the reason' '
	port=$(free_ports 1) &&
	{ mtls-probe 127.0.0.1:$port >out 2>err; test $? = 75; } &&
	test_grep -q "^No connection to 127.0.0.1:$port: cannot connect to 127.0.0.1:$port: Connection refused$" out
'

test_expect_success 'usage errors exit 64' '
	{ mtls-probe >out 2>err; test $? = 64; } &&
	{ mtls-probe --proto gopher x >out 2>err; test $? = 64; } &&
	test_grep -q "proto takes smtp|submission" err
'

test_done
