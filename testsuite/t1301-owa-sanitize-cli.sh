#!/bin/bash
# owa-cas sanitize: the reading pane's document for a message (the HTML
# part of an alternative, charset decoded), for plain text (escaped and
# linkified), remote images left out unless --allow-remote, bare --html.
. "$(dirname "$0")/lib.sh"
need owa-cas jq
owa_setup

cat >alt.msg <<'MSG'
From: a@example.test
Subject: both
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/plain

plain version
--b
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p onclick=3D"x()">caf=E9 <img src=3D"https://img.example/p.png" width=3D"2"></p><script>x()</script>
--b--
MSG
mv alt.msg "$TEST_TMP/alt.msg"

printf 'Subject: text\n\nsee https://a.example/x?y=1&z=2. <b>not bold</b>\n' >"$TEST_TMP/text.msg"

test_expect_success 'HTML part chosen, charset decoded, handler and script gone, remote image left out' '
	owa-cas sanitize --body-only <alt.msg >out 2>err &&
	printf "<p>caf\303\251 <img width=\"2\"></p>" >want &&
	test_cmp want out &&
	test_grep "remote content left out count=1" err
'

test_expect_success '--allow-remote keeps the remote image' '
	owa-cas sanitize --body-only --allow-remote <alt.msg >out &&
	printf "<p>caf\303\251 <img src=\"https://img.example/p.png\" width=\"2\"></p>" >want &&
	test_cmp want out
'

test_expect_success 'plain text is escaped and linkified' '
	owa-cas sanitize --body-only <text.msg >out &&
	printf "<pre class=\"text\">\nsee <a href=\"https://a.example/x?y=1&amp;z=2\">https://a.example/x?y=1&amp;z=2</a>. &lt;b&gt;not bold&lt;/b&gt;\n</pre>" >want &&
	test_cmp want out
'

test_expect_success 'the whole frame document by default' '
	printf "<b>x</b>" | owa-cas sanitize --html >out &&
	head -n 1 out >first &&
	echo "<!DOCTYPE html>" >want && test_cmp want first &&
	test_grep -F "<body><b>x</b></body></html>" out
'

test_expect_success 'output sanitised again is unchanged' '
	owa-cas sanitize --body-only <alt.msg >once &&
	owa-cas sanitize --html --body-only <once >twice 2>/dev/null &&
	test_cmp once twice
'

test_expect_success '--json sanitises an array of inputs in one run' '
	echo "[\"<b onclick=x>a</b>\", \"<i>b</i><script>c</script>\"]" |
		owa-cas sanitize --html --body-only --json >out &&
	echo "[\"<b>a</b>\", \"<i>b</i>\"]" >want && test_cmp want out &&
	{ echo "{}" | owa-cas sanitize --html --json 2>err; test $? = 65; } &&
	test_grep -q "the input is not a JSON array of strings" err
'

test_expect_code 64 'an unknown command is a usage error' 'owa-cas frobnicate'

test_expect_success 'under inetd one connection is served on stdin and stdout' '
	printf "GET /login HTTP/1.0\r\nHost: x\r\n\r\n" |
		REMOTE_ADDR=192.0.2.7 owa-cas --inetd -c "$OWA_CONF" >out 2>log &&
	head -n 1 out | grep -q "^HTTP/1.[01] 200" &&
	test_grep -q "public or shared computer" out &&
	test_grep -qi "^Content-Security-Policy: default-src .none." out &&
	test_grep -q "client=192.0.2.7" log
'

test_expect_code 78 'a missing master secret is a configuration error' '
	jq ".\"owa-cas\".secret_file = \"/nonexistent/secret\"" "$OWA_CONF" >bad.json &&
	owa-cas --inetd -c bad.json </dev/null
'

test_done
