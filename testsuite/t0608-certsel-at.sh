#!/bin/bash
# certsel --at TIME judges validity at another time: in the past an
# expired certificate was the valid one; in the future a short CA-issued
# one has expired and the self-signed one takes its place.
. "$(dirname "$0")/lib.sh"
need openssl date

test_expect_success 'set-up: expired (2020), CA-issued for 100 days, self-signed for 400' '
	mkdir store && cp "$PKI/expired.pem" "$PKI/expired.key" store/ &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out store/ca.key 2>/dev/null &&
	openssl req -new -key store/ca.key -subj "/CN=localhost" -out ca.csr &&
	echo subjectAltName=DNS:localhost >ca.ext &&
	openssl x509 -req -in ca.csr -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -set_serial 0x100 \
		-days 100 -extfile ca.ext -out store/ca.pem 2>/dev/null &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out store/self.key 2>/dev/null &&
	openssl req -x509 -new -key store/self.key -subj "/CN=localhost" -days 400 \
		-addext subjectAltName=DNS:localhost -out store/self.pem
'

test_expect_success 'now: the CA-issued one' '
	certsel -s store --name localhost >out && echo store/ca.pem >want && test_cmp want out
'

test_expect_success '--at in the past: the certificate valid then (ISO date, date-time, @epoch)' '
	echo store/expired.pem >want &&
	certsel -s store --name localhost --at 2020-06-01 >out && test_cmp want out &&
	certsel -s store --name localhost --at 2020-06-01T12:30:00Z >out && test_cmp want out &&
	certsel -s store --name localhost --at "2020-06-01 12:30" >out && test_cmp want out &&
	certsel -s store --name localhost --at @1591014600 >out && test_cmp want out
'

test_expect_success '--at in the past: --list says the others were not yet valid' '
	certsel -s store --name localhost --at 2020-06-01 --list >list &&
	test_grep -q "store/ca.pem: not yet valid (from [0-9T:-]*Z)$" list &&
	test_grep -q "store/self.pem: not yet valid (from [0-9T:-]*Z)$" list
'

test_expect_success '--at in 200 days: the CA-issued one has expired, the self-signed one wins' '
	at=$(date -u -d "+200 days" +%Y-%m-%dT%H:%M:%SZ) &&
	certsel -s store --name localhost --at "$at" >out 2>err &&
	echo store/self.pem >want && test_cmp want out &&
	test_grep -q "days_left=\(199\|200\) self_signed=yes" err
'

test_expect_success '--at in 380 days: the self-signed one is within the warning' '
	certsel -s store --name localhost --at @$(( $(date +%s) + 380 * 86400 )) >out 2>err &&
	test_grep -q "certificate expires soon path=store/self.pem" err
'

test_expect_code 1 '--at in 2040: nothing is valid' '
	certsel -s store --name localhost --at 2040-01-01
'

test_expect_code 64 'an unreadable time is a usage error' '
	certsel -s store --name localhost --at yesterday 2>err; rc=$?;
	grep -q "at takes YYYY-MM-DD" err && exit $rc
'

test_done
