#!/bin/bash
# Diagnostics: one line per event, error first then subject, logfmt
# fields; JSON lines with --log-format json; no control characters from
# outside can forge a line.
. "$(dirname "$0")/lib.sh"

echo '{"directory": {"backend": "file", "file": "/nonexistent/users.ldif"}}' >"$TEST_TMP/c.json"

test_expect_success 'an error reads error first, then its subject' '
	! postern-testd -c c.json lookup mail a@example.test 2>err &&
	test_grep -q "^postern-testd: .*cannot .*/nonexistent/users.ldif.*No such file or directory" err
'

test_expect_success '--log-format json gives one JSON object per line' '
	! postern-testd -c c.json --log-format json lookup mail a@example.test 2>err &&
	python3 -c "
import json, sys
lines = open(\"err\").read().splitlines()
assert lines, \"no log\"
for l in lines:
    o = json.loads(l)
    assert o[\"prog\"] == \"postern-testd\" and o[\"level\"] and o[\"msg\"], o
print(lines[0])
"
'

test_expect_success 'log.format json in the config does the same' '
	echo "{\"log\": {\"format\": \"json\"}, \"directory\": {\"file\": \"/nonexistent/u.ldif\"}}" >j.json &&
	! postern-testd -c j.json lookup mail a@example.test 2>err &&
	head -n1 err | python3 -c "import json,sys; json.loads(sys.stdin.read())"
'

test_expect_success 'unit: logfmt quoting and JSON fields' '
	"$UNIT/util_strbuf" >tap && ! grep -q "^not ok" tap
'

test_done
