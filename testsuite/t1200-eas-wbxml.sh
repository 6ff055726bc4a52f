#!/bin/bash
# eas-policy's WBXML codec against two independent ones: libwbxml2's
# xml2wbxml/wbxml2xml and the npm package aswbxml. Requests of every
# common command encode to the very bytes xml2wbxml -a -n writes and
# decode with wbxml2xml -l ACTIVESYNC to the same tree; xml2wbxml output
# (with and without a string table) decodes with ours to the same tree;
# the policy documents eas-policy writes decode with both peers; bad
# input exits 65 saying where.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need xml2wbxml wbxml2xml python3 node cmp

DOCS=$EAS_FIX/docs
echo '{ "eas-policy": { "directory": false } }' >"$TEST_TMP/c.json"
ep() { eas-policy -c "$TEST_TMP/c.json" "$@"; }
# xml2wbxml needs the DOCTYPE to pick its ActiveSync tables.
with_doctype() {
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">'
	sed 1d "$1"
}

test_expect_success 'our encoding of each request is the bytes xml2wbxml -a -n writes' '
	n=0 &&
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		with_doctype "$f" >"$b.in.xml" &&
		xml2wbxml -a -n -o "$b.lib.wbxml" "$b.in.xml" >/dev/null &&
		ep encode <"$f" >"$b.ours.wbxml" &&
		cmp "$b.lib.wbxml" "$b.ours.wbxml" || { echo "differs: $b"; exit 1; }
		n=$((n + 1))
	done &&
	test "$n" -ge 10
'

test_expect_success 'wbxml2xml -l ACTIVESYNC decodes our WBXML to the same tree' '
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		cp "$f" "$b.want" &&
		wbxml2xml -l ACTIVESYNC -o "$b.lib.xml" "$b.ours.wbxml" >/dev/null || exit 1
	done &&
	python3 "$EAS_FIX/xmltree.py" --batch *.want *.lib.xml &&
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		test_cmp "$b.want.tree" "$b.lib.xml.tree" || exit 1
	done
'

test_expect_success 'xml2wbxml output, with and without a string table, decodes with ours to the same tree' '
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		xml2wbxml -o "$b.strtbl.wbxml" "$b.in.xml" >/dev/null &&
		ep decode <"$b.lib.wbxml" >"$b.dec1.xml" &&
		ep decode <"$b.strtbl.wbxml" >"$b.dec2.xml" || exit 1
	done &&
	python3 "$EAS_FIX/xmltree.py" --batch *.dec1.xml *.dec2.xml &&
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		test_cmp "$b.want.tree" "$b.dec1.xml.tree" &&
		test_cmp "$b.want.tree" "$b.dec2.xml.tree" || exit 1
	done &&
	# The string table really was used: some text appears once only.
	test "$(wc -c <settings.strtbl.wbxml)" -ne "$(wc -c <settings.lib.wbxml)"
'

test_expect_success 'decode then encode is the identity on the peer bytes' '
	for f in "$DOCS"/*.xml; do
		b=$(basename "$f" .xml)
		ep decode <"$b.lib.wbxml" | ep encode >"$b.again.wbxml" &&
		cmp "$b.lib.wbxml" "$b.again.wbxml" || exit 1
	done
'

for v in 12.0 12.1 14.1 16.1; do
	test_expect_success "the policy document for $v decodes with wbxml2xml to our XML" '
		ep policy --protocol '"$v"' --wbxml >pol.wbxml &&
		ep policy --protocol '"$v"' --xml >pol.ours.xml &&
		wbxml2xml -l ACTIVESYNC -o pol.lib.xml pol.wbxml >/dev/null &&
		eas_canon pol.ours.xml >want &&
		eas_canon pol.lib.xml >got &&
		test_cmp want got &&
		test_grep -q "1 Provision:DevicePasswordEnabled=0" got
	'
done

test_expect_success 'a 12.0 document has the 12.0 elements only' '
	ep policy --protocol 12.0 >p120.xml &&
	! grep -q AllowSimpleDevicePassword p120.xml &&
	test_grep -q MaxAttachmentSize p120.xml
'

test_expect_success 'aswbxml decodes our requests and policy document to the same fields' '
	export NODE_PATH=$SRCDIR/testsuite/node/node_modules &&
	for f in "$DOCS"/provision-initial.xml "$DOCS"/settings.xml "$DOCS"/sync.xml; do
		b=$(basename "$f" .xml)
		node "$EAS_FIX/aswbxml-paths.js" "$b.ours.wbxml" >"$b.asw" &&
		python3 "$EAS_FIX/xmltree.py" --paths "$f" >"$b.paths" &&
		test_cmp "$b.paths" "$b.asw" || exit 1
	done &&
	node "$EAS_FIX/aswbxml-paths.js" pol.wbxml >pol.asw &&
	python3 "$EAS_FIX/xmltree.py" --paths pol.ours.xml >pol.paths &&
	test_cmp pol.paths pol.asw
'

test_expect_code 65 'truncated WBXML: exit 65' '
	head -c 20 provision-initial.lib.wbxml | ep decode 2>err
'
test_expect_success 'and the message says what and where' '
	test_grep -q "malformed WBXML at byte [0-9]*: truncated document" err
'

test_expect_code 65 'a switch to code page 60: exit 65' '
	printf "\003\001\152\000\000\074\105\001" | ep decode
'

test_expect_code 65 'a tag no code page defines: exit 65' '
	printf "\003\001\152\000\000\016\177\001" | ep decode
'

test_expect_code 65 'nesting deeper than wbxml_depth_max: exit 65' '
	{ printf "\003\001\152\000"; for i in $(seq 40); do printf "\105"; done
	  for i in $(seq 40); do printf "\001"; done; } | ep decode
'

test_expect_code 65 'XML with an element of no code page: exit 65' '
	echo "<Provision xmlns=\"Provision:\"><Bogus/></Provision>" | ep encode
'

test_expect_code 65 'XML with an internal DTD subset (entity expansion): exit 65' '
	printf "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<Sync xmlns=\"AirSync:\">&a;</Sync>\n" | ep encode
'

test_done
