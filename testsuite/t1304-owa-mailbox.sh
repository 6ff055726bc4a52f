#!/bin/bash
# owa-cas mailbox over HTTP: the list with paging, sort and search by
# sender and subject, flags on disk (Maildir :2,S), junk and back, delete
# to Trash and for good, move, the index cache, the reading frame's own
# Content-Security-Policy, the signed link redirector with no referrer,
# reply prefilled, safe and blocked senders saved, WebReady of XLSX, PPTX
# and ODT, internal documents by allow and deny lists.
. "$(dirname "$0")/lib.sh"
need owa-cas curl jq python3

port=$(free_ports 1)
python3 "$SRCDIR/testsuite/browser/mkdocs.py" "$TEST_TMP/docs" "http://127.0.0.1:$port/pixel.png" ||
	bail "cannot build the documents"
bg_start docs python3 -m http.server "$port" --bind 127.0.0.1 --directory "$TEST_TMP/docs"
wait_port "$port" || bail "the document server did not start"
owa_setup "\"page_size\": 5, \"attachment_public\": \"allow\",
	\"documents_allow\": [\"127.0.0.1\", \"localhost\"], \"documents_deny\": [\"localhost\"],
	\"documents_private_ok\": [\"127.0.0.0/8\"]"
for i in $(seq 1 12); do
	n=$(printf %02d "$i")
	case $((i % 3)) in 0) from="Zed <zed@far.example>" ;; 1) from="Amy <amy@near.example>" ;;
		2) from="Bo <bo@mid.example>" ;; esac
	printf 'From: %s\nTo: dave@example.test\nSubject: Item %s\nMessage-ID: <item%s@x>\n\nbody %s\n' \
		"$from" "$n" "$n" "$n" >"$TEST_TMP/m$n"
	owa_msg dave "" "cur/$((1764000000 + i * 60)).M${i}P1.test:2," "$TEST_TMP/m$n"
done
owa_msg dave "" "new/1764100000.M99P1.test" "$TEST_TMP/docs/remote.eml"
owa_msg dave "" "new/1764090000.M98P1.test" "$TEST_TMP/docs/docs.eml"
owa_start owa || bail "owa-cas did not start"

curl -s -o /dev/null -c "$TEST_TMP/jar" --data-urlencode "user=dave" --data-urlencode "password=dave-Secret-4" \
	"$OWA_URL/login"
get() { curl -s -b "$TEST_TMP/jar" -c "$TEST_TMP/jar" "$OWA_URL$1"; }
csrf() { get /mail | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1; }
subjects() { sed -n 's/.*<td class="subject"><a href="[^"]*">\([^<]*\)<.*/\1/p' | tr '<' '\n' |
	sed -n 's/.*">\(.*\)$/\1/p;/^Item\|^Remote\|^Documents/p' | sed 's/^.*">//' | sort -u; }
rows() { grep -o '<td class="subject"><a href="[^"]*">[^<]*' | sed 's/.*">//'; }

test_expect_success 'the inbox pages by 5, newest first' '
	get "/mail" | rows >p0 &&
	printf "%s\n" "Remote picture" "Documents" "Item 12" "Item 11" "Item 10" >want &&
	test_cmp want p0 &&
	get "/mail?p=2" | rows >p2 &&
	printf "%s\n" "Item 04" "Item 03" "Item 02" "Item 01" >want && test_cmp want p2 &&
	get "/mail?p=2" | test_grep -q "11&ndash;14 of 14"
'

test_expect_success 'sort by subject and by sender' '
	get "/mail?s=subject" | rows | head -n 2 >out &&
	printf "%s\n" "Documents" "Item 01" >want && test_cmp want out &&
	get "/mail?s=from" | grep -o "<td class=\"from\">[^<]*" | head -n 1 >out &&
	echo "<td class=\"from\">Amy" >want && test_cmp want out
'

test_expect_success 'search by sender and by subject' '
	get "/mail?q=zed&by=from" | rows >out &&
	printf "%s\n" "Item 12" "Item 09" "Item 06" "Item 03" >want && test_cmp want out &&
	get "/mail?q=item+1&by=subject" | rows >out &&
	printf "%s\n" "Item 12" "Item 11" "Item 10" >want && test_cmp want out &&
	get "/mail?q=zed&by=subject" | test_grep -q "No messages."
'

test_expect_success 'the folder index is cached and reused while nothing changes' '
	idx=$(find "$OWA_DIR/state/index" -name INBOX.idx) && test -s "$idx" &&
	before=$(stat -c %Y.%s "$idx") && ino=$(stat -c %i "$idx") &&
	sleep 1 && get "/mail" >/dev/null &&
	test "$(stat -c %i "$idx")" = "$ino"
'

test_expect_success 'reading marks the message read on disk (new/ to cur/ with S)' '
	get "/read?m=1764100000.M99P1.test" >page &&
	test_grep -q "<h1>Remote picture</h1>" page &&
	ls "$OWA_MAIL/dave/cur" | grep -qx "1764100000.M99P1.test:2,S"
'

test_expect_success 'the frame document has its own policy: no script, no remote images' '
	curl -s -D h -o body -b jar "$OWA_URL/body?m=1764100000.M99P1.test" &&
	test_grep -i "^Content-Security-Policy: default-src .none.; script-src .none.; object-src .none.; style-src .unsafe-inline.; img-src data: .self.; " h &&
	test_grep -i "sandbox allow-popups" h &&
	test_grep -i "^X-Frame-Options: SAMEORIGIN" h &&
	! grep -q "<script" body && ! grep -q "onclick" body &&
	! grep -q "pixel.png" body &&
	curl -s -D h2 -o body2 -b jar "$OWA_URL/body?m=1764100000.M99P1.test&remote=1" &&
	test_grep -q "src=\"http://127.0.0.1:$port/pixel.png\"" body2 &&
	test_grep -i "^Content-Security-Policy: .*img-src data: .self. http: https:" h2
'

test_expect_success 'with allow_remote_content false, "show content" is gone and ignored' '
	jq ".\"owa-cas\".allow_remote_content = false" "$OWA_CONF" >"$OWA_DIR/noremote.json" &&
	save=$OWA_URL && owa_start owa2 "$OWA_DIR/noremote.json" && u2=$OWA_URL && OWA_URL=$save &&
	curl -s -o /dev/null -c jar2 --data-urlencode "user=dave" --data-urlencode "password=dave-Secret-4" \
		"$u2/login" &&
	curl -s -b jar2 "$u2/read?m=1764100000.M99P1.test" >page &&
	test_grep -q "1 remote image and other content were not loaded" page &&
	! grep -q "show-content" page &&
	curl -s -b jar2 "$u2/body?m=1764100000.M99P1.test&remote=1" >body3 &&
	! grep -q "pixel.png" body3
'

test_expect_success 'links go through the signed redirector with no referrer' '
	link=$(grep -o "href=\"/redir/[^\"]*\"" body | head -n 1 | sed "s/href=\"//;s/\"$//") &&
	test -n "$link" &&
	curl -s -D h -o /dev/null "$OWA_URL$link" &&
	test_grep -i "^Location: https://www.example.org/page?x=1" h &&
	test_grep -i "^Referrer-Policy: no-referrer" h &&
	bad=$(echo "$link" | sed "s,/redir/X,/redir/Y,;t;s,/redir/.,/redir/X,") &&
	test "$bad" != "$link" &&
	curl -s -o /dev/null -w "%{http_code}\n" "$OWA_URL$bad" >code &&
	echo 404 >want && test_cmp want code
'

test_expect_success 'mark unread and read again' '
	tok=$(csrf) &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=&op=unread&m=1764100000.M99P1.test" "$OWA_URL/act" &&
	ls "$OWA_MAIL/dave/cur" | grep -qx "1764100000.M99P1.test:2," &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=&op=read&m=1764100000.M99P1.test" "$OWA_URL/act" &&
	ls "$OWA_MAIL/dave/cur" | grep -qx "1764100000.M99P1.test:2,S"
'

test_expect_success 'junk moves to Junk, not junk moves back' '
	tok=$(csrf) && id=1764000060.M1P1.test &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=&op=junk&m=$id" "$OWA_URL/act" &&
	ls "$OWA_MAIL/dave/.Junk/cur" | grep -q "^$id:2," &&
	get "/mail?f=Junk" | rows >out && echo "Item 01" >want && test_cmp want out &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=Junk&op=notjunk&m=$id" "$OWA_URL/act" &&
	ls "$OWA_MAIL/dave/cur" | grep -q "^$id:2,"
'

test_expect_success 'delete goes to Trash, delete there removes; move between folders' '
	tok=$(csrf) &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=&op=delete&m=1764000120.M2P1.test&m=1764000180.M3P1.test" "$OWA_URL/act" &&
	test "$(ls "$OWA_MAIL/dave/.Trash/cur" | wc -l)" = 2 &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=Trash&op=delete&m=1764000120.M2P1.test" "$OWA_URL/act" &&
	test "$(ls "$OWA_MAIL/dave/.Trash/cur" | wc -l)" = 1 &&
	curl -s -o /dev/null -b jar -d "csrf=$tok&f=Trash&op=move&to=Drafts&m=1764000180.M3P1.test" "$OWA_URL/act" &&
	ls "$OWA_MAIL/dave/.Drafts/cur" | grep -q "^1764000180.M3P1.test:2," &&
	get "/mail" | test_grep -q "1&ndash;5 of 12"
'

test_expect_success 'a folder name that climbs out is refused' '
	curl -s -o /dev/null -w "%{http_code}\n" -b jar "$OWA_URL/mail?f=..%2F..%2Fetc" >code &&
	echo 400 >want && test_cmp want code
'

test_expect_success 'reply is prefilled: recipient, Re: subject, quoted text' '
	get "/compose?mode=reply&f=&m=1764000240.M4P1.test" >page &&
	test_grep -q "name=\"to\" id=\"to\" autofocus value=\"amy@near.example\"" page &&
	test_grep -q "value=\"Re: Item 04\"" page &&
	test_grep -q "&gt; body 04" page
'

test_expect_success 'safe and blocked senders are saved in the Maildir' '
	tok=$(csrf) &&
	curl -s -o page -b jar --data-urlencode "csrf=$tok" \
		--data-urlencode "safe=Boss@Corp.example
@partner.example" --data-urlencode "blocked=spam@bad.example" "$OWA_URL/options" &&
	test_grep -q "Saved." page &&
	jq -c . "$OWA_MAIL/dave/postern-senders.json" >out &&
	echo "{\"safe\":[\"boss@corp.example\",\"@partner.example\"],\"blocked\":[\"spam@bad.example\"]}" >want &&
	test_cmp want out
'

test_expect_success 'WebReady shows XLSX, PPTX and ODT as web pages' '
	get "/read?m=1764090000.M98P1.test" >page &&
	for n in 4 5 6; do get "/webready?m=1764090000.M98P1.test&n=$n"; done >wr &&
	test_grep -q "Meeting notes" wr && test_grep -q "Open document text here." wr &&
	test_grep -q "<td>East</td><td>1234</td>" wr &&
	test_grep -q "Roadmap slide" wr
'

test_expect_success 'an internal document from an allowed server is shown' '
	get "/doc?url=http%3A%2F%2F127.0.0.1%3A$port%2Freport.docx" >page &&
	test_grep -q "Revenue grew" page &&
	test_grep "document shown url=http://127.0.0.1:$port/report.docx" "$TEST_TMP/owa.log"
'

test_expect_success 'denied, unlisted and private servers are refused' '
	get "/doc?url=http%3A%2F%2Flocalhost%3A$port%2Freport.docx" >page &&
	test_grep -q "the server is on the denied list" page &&
	get "/doc?url=http%3A%2F%2F127.0.0.2%3A$port%2Freport.docx" >page &&
	test_grep -q "the server is not on the allowed list" page &&
	get "/doc?url=file%3A%2F%2F%2Fetc%2Fpasswd" >page &&
	test_grep -q "not an http or https URL" page
'

test_done
