#!/bin/bash
# certsel --check as a Nagios plugin: 0 OK, 1 WARNING (expiring within
# --warn-days), 2 CRITICAL (none valid, or only expired ones), 3 UNKNOWN
# (the store cannot be read), each with one status line on stdout.
. "$(dirname "$0")/lib.sh"
need openssl

leaf() {	# NAME DAYS
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1.key 2>/dev/null &&
	openssl req -new -key $1.key -subj "/CN=mail.example.test" -out $1.csr &&
	echo subjectAltName=DNS:mail.example.test >$1.ext &&
	openssl x509 -req -in $1.csr -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -set_serial 0x$RANDOM \
		-days "$2" -extfile $1.ext -out $1.pem 2>/dev/null
}

test_expect_success 'set-up: a long-lived and a short-lived certificate' '
	mkdir ok warn crit && leaf long 300 && leaf short 10 &&
	mv long.pem long.key ok/ && mv short.pem short.key warn/ &&
	cp "$PKI/expired.pem" "$PKI/expired.key" crit/
'

test_expect_code 0 'OK: exit 0 and the status line with days left and perfdata' '
	certsel --check -s ok --name mail.example.test >out 2>err; rc=$?;
	grep -qx "CERTSEL OK - mail.example.test expires in 299 days ([0-9T:-]*Z) | days=299" out ||
	grep -qx "CERTSEL OK - mail.example.test expires in 300 days ([0-9T:-]*Z) | days=300" out || rc=99;
	test $(wc -l <out) = 1 || rc=98; exit $rc
'

test_expect_code 1 'WARNING: exit 1 when it expires within --warn-days (default 30)' '
	certsel --check -s warn --name mail.example.test >out 2>err; rc=$?;
	grep -q "^CERTSEL WARNING - mail.example.test expires in \(9\|10\) days (.*) | days=\(9\|10\)$" out || rc=99;
	exit $rc
'

test_expect_code 0 'the same with --warn-days 5 is OK' '
	certsel --check --warn-days 5 -s warn --name mail.example.test >out; rc=$?;
	grep -q "^CERTSEL OK - " out || rc=99; exit $rc
'

test_expect_code 2 'CRITICAL: exit 2 when only an expired certificate is there, with why' '
	certsel --check -s crit --name expired.example.test >out 2>err; rc=$?;
	grep -qx "CERTSEL CRITICAL - no valid certificate for expired.example.test in crit: crit/expired.pem: expired 2021-01-01T00:00:00Z" out || rc=99;
	exit $rc
'

test_expect_code 2 'CRITICAL when a valid certificate does not cover the name' '
	cp ok/* crit/ &&
	certsel --check -s crit --name other.example.test >out 2>err; rc=$?;
	grep -qx "CERTSEL CRITICAL - no valid certificate for other.example.test in crit (2 refused; certsel --list says why)" out || rc=99;
	exit $rc
'

test_expect_code 3 'UNKNOWN: exit 3 when the store cannot be read' '
	certsel --check -s missing --name mail.example.test >out 2>err; rc=$?;
	grep -qx "CERTSEL UNKNOWN - cannot read store .missing.: No such file or directory" out || rc=99;
	exit $rc
'

test_expect_success '--check never generates, even with --generate' '
	mkdir empty &&
	{ certsel --check --generate -s empty --name mail.example.test >out; test $? = 2; } &&
	test -z "$(ls empty)" && grep -q "^CERTSEL CRITICAL" out
'

test_done
