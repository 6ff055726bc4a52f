#!/bin/bash
# owa-cas in headless Chromium, as a person uses it: sign in on a public
# and then a private computer, the inbox, an HTML message whose remote
# image is fetched only after "show content" (the test's own HTTP server
# sees no request before the click and one after), attachments under the
# policy of each session (blocked, WebReady of a DOCX and a PDF built
# here, download), compose and send with an attachment (arrives at
# smtp-sink, saved to Sent). Screenshots of the pages are kept in
# $TEST_TMP/shots (KEEP_TMP=1 keeps them).
. "$(dirname "$0")/lib.sh"
need jq python3 pdftotext
browser_need

smtp_sink_start
port=$(free_ports 1)
mkdir -p "$TEST_TMP/www"
printf '\211PNG\r\n\032\n' >"$TEST_TMP/www/pixel.png"
bg_start www python3 -m http.server "$port" --bind 127.0.0.1 --directory "$TEST_TMP/www"
wait_port "$port" || bail "the image server did not start"
python3 "$SRCDIR/testsuite/browser/mkdocs.py" "$TEST_TMP/docs" "http://127.0.0.1:$port/pixel.png" ||
	bail "cannot build the documents"

owa_setup "\"submission\": \"smtp://127.0.0.1:$SINK_PORT\", \"submission_starttls\": \"no\",
	\"attachments\": [
		{ \"extensions\": [\"exe\"], \"types\": [\"application/x-msdownload\"], \"public\": \"block\", \"private\": \"block\" },
		{ \"extensions\": [\"docx\", \"pdf\", \"odt\", \"xlsx\", \"pptx\"], \"public\": \"webready\", \"private\": \"allow\" }
	]"
owa_msg carol "" new/1764000000.M1P1.test "$TEST_TMP/docs/docs.eml"
owa_msg carol "" new/1764003600.M2P1.test "$TEST_TMP/docs/remote.eml"
owa_msg carol "" new/1763990000.M3P1.test "$TEST_TMP/docs/inline.eml"
owa_start owa || bail "owa-cas did not start"
printf 'attached text\n' >"$TEST_TMP/hello.txt"
BROWSER_SHOTS=$TEST_TMP/shots

test_expect_success 'public computer: the whole session in Chromium' '
	browser_run owa-flow.js "$OWA_URL" carol "carol-Secret-3!" public \
		"$TEST_TMP/www.log" "$TEST_TMP/hello.txt" pub.json ||
		{ cat pub.json; false; }
'

test_expect_success 'signed in to the inbox with an HttpOnly SameSite=Strict session cookie' '
	jq -e ".after_login == \"/mail\"" pub.json &&
	jq -e ".cookie.httpOnly == true and .cookie.sameSite == \"Strict\" and .cookie.session" pub.json &&
	jq -e ".inbox_subjects == [\"Remote picture\", \"Documents\", \"Inline picture\"]" pub.json
'

test_expect_success 'the remote image is fetched only after "show content"' '
	jq -e ".remote_before == 0" pub.json &&
	jq -e ".remote_note | test(\"1 remote image\")" pub.json &&
	jq -e ".frame_img_src == null" pub.json &&
	jq -e ".remote_after == 1" pub.json &&
	test_grep -c "GET /pixel.png" "$TEST_TMP/www.log" >n && echo 1 >want && test_cmp want n
'

test_expect_success 'the message body is sanitised: text kept, no script ran' '
	jq -e ".frame_text | test(\"Look at this:\")" pub.json &&
	jq -e ".dialogs == []" pub.json
'

test_expect_success 'an inline image shows in the sandboxed frame through its signed link' '
	jq -e ".inline_img.src | startswith(\"/inline/\")" pub.json &&
	jq -e ".inline_img.width == 2" pub.json
'

test_expect_success 'public: the program is blocked, documents open as web pages' '
	jq -e ".attachments | map(select(test(\"tool.exe\"))) | .[0] | test(\"blocked\")" pub.json &&
	jq -e "[.attachment_links[] | select(test(\"tool\"))] == []" pub.json &&
	jq -e "[.attachment_links[] | select(startswith(\"/part\"))] == []" pub.json &&
	jq -e ".\"webready_report.docx\" | test(\"Annual report\") and test(\"Revenue grew by twelve percent.\") and test(\"North\")" pub.json &&
	jq -e ".\"webready_report.docx\" | test(\"<script>alert\")" pub.json &&
	jq -e ".\"webready_minutes.pdf\" | test(\"Quarterly minutes approved\")" pub.json
'

test_expect_success 'sent with its attachment through smtp-sink, and saved to Sent' '
	jq -e ".after_send == \"/mail?f=Sent\"" pub.json &&
	jq -e ".sent_subjects == [\"Sent from the browser public\"]" pub.json &&
	smtp_sink_wait 1 &&
	f=$(find "$SINK_DIR" -type f | head -n 1) &&
	test_grep -q "^X-Rcpt-Args: <dave@example.test>" "$f" &&
	test_grep -q "^From: carol@example.test" "$f" &&
	test_grep -q "^Subject: Sent from the browser public" "$f" &&
	test_grep -q "filename=\"hello.txt\"" "$f" &&
	test_grep -q "^YXR0YWNoZWQgdGV4dAo=" "$f" &&
	ls "$OWA_MAIL/carol/.Sent/cur/" | grep -q ":2,S$"
'

test_expect_success 'private computer: documents open, the program stays blocked' '
	browser_run owa-flow.js "$OWA_URL" carol "carol-Secret-3!" private \
		"$TEST_TMP/www.log" "$TEST_TMP/hello.txt" priv.json attachments ||
		{ cat priv.json; false; } &&
	jq -e ".\"part_report.docx\" | .status == 200 and .type == \"application/octet-stream\" and
		(.disposition | startswith(\"attachment; filename=\\\"report.docx\\\"\")) and .nosniff == \"nosniff\"" priv.json &&
	jq -e ".\"part_minutes.pdf\" | .status == 200 and .type == \"application/pdf\" and
		(.disposition | startswith(\"inline\")) and .bytes > 400" priv.json &&
	jq -e ".attachments | map(select(test(\"tool.exe\"))) | .[0] | test(\"blocked\")" priv.json &&
	test_grep "attachment part=[0-9]* type=application/pdf action=allow session=private" "$TEST_TMP/owa.log"
'

test_expect_success 'screenshots of the main pages were taken' '
	for p in login inbox read compose webready-report-docx; do
		test -s "$BROWSER_SHOTS/public-$p.png" || { echo "no $p"; exit 1; }
	done
'

test_done
