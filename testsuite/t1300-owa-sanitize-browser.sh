#!/bin/bash
# The sanitiser against a table of hostile HTML (script, handlers,
# svg/math, CSS, javascript: and data: URLs, entity and encoding tricks,
# mutation XSS, unclosed tags), each rendered by headless Chromium without
# any Content-Security-Policy: no script may run and no request may leave.
# The raw inputs under the same hook are the control that it catches them.
. "$(dirname "$0")/lib.sh"
need jq
browser_need

table=$SRCDIR/testsuite/browser/hostile.json

test_expect_success 'the table holds at least 150 hostile inputs' '
	n=$(jq length "$table") &&
	test "$n" -ge 150
'

test_expect_success 'sanitised, no input runs script or makes a request in Chromium' '
	browser_run sanitize-table.js "$BIN/owa-cas" "$table" result.json &&
	jq -e ".inputs == $(jq length "$table")" result.json &&
	jq -c ".sanitized_hits[] | {index, hits}" result.json >hits &&
	{ ! test -s hits || { cat hits; false; }; } &&
	jq -e ".sanitized_unplaced == []" result.json
'

test_expect_success 'the hook catches the raw inputs (control)' '
	caught=$(jq ".control_caught" result.json) && n=$(jq ".control_inputs" result.json) &&
	echo "# control: $caught of $n raw inputs caught" &&
	test "$caught" -ge $((n / 3))
'

test_done
