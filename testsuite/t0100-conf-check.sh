#!/bin/bash
# -n checks the config the way every program will: 0 for a good file, 78
# and one line per error naming the file, the key path and what was
# expected for a bad one; --help, --version and usage errors.
. "$(dirname "$0")/lib.sh"

cat >good.json <<'JSON'
{
  "log": { "level": "debug", "format": "text" },
  "directory": { "backend": "file", "file": "/dev/null" },
  "postern-testd": { "greeting": "hello", "max_connections": 5 },
  "smtp-edge": { "not checked": "by other programs" }
}
JSON
mv good.json "$TEST_TMP/"

test_expect_success 'a good config passes -n with exit 0' '
	postern-testd -c good.json -n 2>err &&
	test_grep -q "config ok: good.json" err
'

test_expect_code 78 'a misspelt key exits 78' '
	sed "s/\"greeting\"/\"greting\"/" good.json >bad.json &&
	postern-testd -c bad.json -n
'

test_expect_success 'the error names the file, the key path and the expected keys' '
	sed "s/\"greeting\"/\"greting\"/" good.json >bad.json &&
	! postern-testd -c bad.json -n 2>err &&
	test_grep -q "^bad.json: postern-testd.greting: unknown key (expected one of: greeting, " err
'

test_expect_success 'a nested misspelt key names the whole path' '
	echo "{\"directory\": {\"ldap\": {\"urii\": \"ldap://x\"}}}" >nested.json &&
	! postern-testd -c nested.json -n 2>err &&
	test_grep -q "^nested.json: directory.ldap.urii: unknown key" err
'

test_expect_success 'wrong type and out-of-range values are named' '
	echo "{\"postern-testd\": {\"greeting\": 5, \"max_connections\": -3}, \"log\": {\"level\": \"loud\"}}" >types.json &&
	! postern-testd -c types.json -n 2>err &&
	test_grep -q "types.json: postern-testd.greeting: expected a string" err &&
	test_grep -q "types.json: postern-testd.max_connections: -3 is out of range" err &&
	test_grep -q "types.json: log.level: expected one of debug|info|warning|error" err
'

test_expect_success 'a JSON syntax error gives line and column' '
	printf "{\n  \"log\": {\n    \"level\": \"info\",\n  }\n}\n" >syntax.json &&
	! postern-testd -c syntax.json -n 2>err &&
	test_grep -q "^syntax.json:4:[0-9]*: invalid JSON" err
'

test_expect_success 'an unknown section is an error, another program'"'"'s is not' '
	echo "{\"smtp-egde\": {}}" >sec.json &&
	! postern-testd -c sec.json -n 2>err &&
	test_grep -q "sec.json: smtp-egde: unknown section" err
'

test_expect_code 78 'a missing explicit config exits 78' '
	postern-testd -c /nonexistent/postern.json -n
'

test_expect_success 'POSTERN_CONFIG is read when -c is absent' '
	sed "s/\"greeting\"/\"greting\"/" good.json >bad.json &&
	{ POSTERN_CONFIG=$PWD/bad.json postern-testd -n 2>err; test $? = 78; } &&
	test_grep -q "postern-testd.greting" err
'

test_expect_success '-n -v prints the config with defaults filled in' '
	postern-testd -c good.json -n -v >dump 2>/dev/null &&
	test_grep -q "\"max_connections\": 5" dump &&
	test_grep -q "\"drain_timeout\"" dump &&
	test_grep -q "\"backend\": \"file\"" dump
'

test_expect_success '--help lists the common options and commands' '
	postern-testd --help >help &&
	test_grep -q "^usage: postern-testd" help &&
	test_grep -q -- "-c, --config FILE" help &&
	test_grep -q -- "-n  *check the config" help &&
	test_grep -q "^  lookup mail|uid|phone KEY" help
'

test_expect_success '--version' '
	postern-testd --version >v && test_grep -q "^postern-testd [0-9]" v
'

test_expect_code 64 'an unknown option is a usage error (64)' '
	postern-testd --frobnicate
'

test_expect_success 'the usage error says which option' '
	! postern-testd --frobnicate 2>err && test_grep -q "option .--frobnicate. is not known" err
'

test_done
