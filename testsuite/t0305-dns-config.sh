#!/bin/bash
# The dns config section: its keys are checked by -n, and a resolver
# address that cannot work stops the program with 78.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a full dns section passes -n' '
	touch anchor.key &&
	cat >good.json <<-JSON &&
	{ "dns": { "resolver": ["127.0.0.1@5353", "::1", "192.0.2.1@53"],
	           "trust_anchor": "anchor.key", "timeout": "1500ms", "cache_size": "1M" } }
	JSON
	postern-testd -c good.json -n
'

test_expect_success 'the defaults: the system resolver, 5s, 4M' '
	echo "{}" >empty.json &&
	postern-testd -c empty.json -n -v >out 2>&1 &&
	test_grep -q "\"timeout\": 5000" out &&
	test_grep -q "\"cache_size\": 4194304" out &&
	test_grep -q "\"resolver\": \[\]" out
'

test_expect_code 78 'a timeout below 100ms is refused' '
	echo "{ \"dns\": { \"timeout\": \"10ms\" } }" >bad.json &&
	postern-testd -c bad.json -n
'

test_expect_code 78 'an unknown key in dns is refused' '
	echo "{ \"dns\": { \"resolvers\": [] } }" >bad.json &&
	postern-testd -c bad.json -n
'

test_expect_code 78 'a resolver that is not an address exits 78' '
	echo "{ \"dns\": { \"resolver\": [\"ns.example.test\"] } }" >bad.json &&
	postern-testd -c bad.json dns A example.test 2>err;
	rc=$?
	test_grep -q "bad DNS resolver .ns.example.test." err && exit $rc
'

test_expect_code 78 'a resolver port out of range exits 78' '
	echo "{ \"dns\": { \"resolver\": [\"127.0.0.1@70000\"] } }" >bad.json &&
	postern-testd -c bad.json dns A example.test
'

test_expect_code 78 'an unreadable trust anchor exits 78' '
	echo "{ \"dns\": { \"trust_anchor\": \"/nonexistent/root.key\" } }" >bad.json &&
	postern-testd -c bad.json dns A example.test 2>err;
	rc=$?
	test_grep -q "cannot read DNS trust anchor ./nonexistent/root.key.: No such file" err &&
	exit $rc
'

test_done
