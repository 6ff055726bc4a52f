#!/bin/bash
# smtp-edge's attachment filter: rules by extension, file name (glob) and
# MIME type, applied to the names inside archives too (zip in zip, a lone
# gzip, 7z made by 7-Zip, tar.gz) read with libarchive, an encrypted archive as its own condition;
# actions reject (550 5.7.1 with the rule's text), delete (accepted,
# dropped, logged) and strip (the sink gets a valid MIME message with a
# notice in place of the attachment).
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink python3 7zz

T=$TEST_TMP
smtp_sink_start
edge_conf "$T/edge.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "attachments": { "archive_depth": 2, "rules": [
      { "extensions": ["exe", "bat", "scr"], "action": "reject",
        "text": "Executable attachments are not accepted here" },
      { "names": ["*.js", "macro*.docm"], "action": "strip", "text": "scripts are removed" },
      { "types": ["video/*"], "action": "delete" },
      { "encrypted": true, "action": "reject", "text": "Encrypted archives cannot be checked" }
    ] } }'
edge_start edge "$T/edge.json"
LOG=$T/edge.log

# Test files: an inner zip with a program, an outer zip holding it, an
# encrypted-flagged zip, a gzip of a program.
python3 - "$T" <<'PY'
import gzip, io, sys, zipfile
t = sys.argv[1]
def zbytes(entries, encrypted=False):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name), data)
    d = bytearray(b.getvalue())
    if encrypted:
        # the "encrypted" flag in the local and central headers is what
        # a reader sees (zipfile cannot write encrypted archives)
        for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            i = d.find(sig)
            while i >= 0:
                d[i + off] |= 1
                i = d.find(sig, i + 4)
    return bytes(d)
inner = zbytes([("tools/setup.exe", b"MZ not really"), ("readme.txt", b"hi")])
open(t + "/nested.zip", "wb").write(zbytes([("docs/inner.zip", inner), ("a.txt", b"x")]))
open(t + "/plain.zip", "wb").write(zbytes([("report.txt", b"quarterly numbers")]))
open(t + "/secret.zip", "wb").write(zbytes([("hidden.txt", b"x" * 40)], encrypted=True))
open(t + "/tool.exe.gz", "wb").write(gzip.compress(b"MZ program"))
open(t + "/run.js", "w").write("alert('JS-PAYLOAD-MARKER')\n")
open(t + "/clip.mp4", "wb").write(b"\x00\x00\x00\x18ftypmp42")
PY

# att NAME FILE TYPE SUBJECT: a message with a text part and one attachment.
att() {
	swaks --server 127.0.0.1:$EDGE_PORT --helo client.test --from bob@sender.test \
		--to alice@example.test --header "Subject: $4" --body "see the attachment" \
		--attach-type "$3" --attach-name "$1" --attach "@$2"
}
sunk() { grep -l "$1" "$SINK_DIR"/* 2>/dev/null | head -n 1; }

test_expect_success 'an .exe attachment: 550 5.7.1 with the rule text' '
	echo "MZ" >setup.exe &&
	! att setup.exe setup.exe application/octet-stream "exe direct" >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Executable attachments are not accepted here" out &&
	test_grep "reject: attachment matches rule=0 name=setup.exe type=application/octet-stream layer=3 check=attachment" "$LOG" &&
	test -z "$(sunk "exe direct")"
'

test_expect_success 'zip in zip with a blocked extension at depth 2: refused, the inner name logged' '
	! att bundle.zip "$T/nested.zip" application/zip "zip in zip" >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Executable attachments are not accepted here" out &&
	test_grep "list: archive listed name=bundle.zip entries=4 depth=2 layer=3" "$LOG" &&
	test_grep "reject: attachment matches rule=0 name=bundle.zip type=application/zip inner=\"tools/setup.exe (depth 2)\"" "$LOG"
'

test_expect_success 'a zip of harmless files passes' '
	att report.zip "$T/plain.zip" application/zip "plain zip" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 && f=$(sunk "plain zip") &&
	test_grep "filename=\"report.zip\"" "$f"
'

test_expect_success 'a program in a lone gzip (tool.exe.gz): refused' '
	! att tool.exe.gz "$T/tool.exe.gz" application/gzip "gzip exe" >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Executable" out &&
	test_grep "inner=\"tool.exe (depth 1)\"" "$LOG"
'

test_expect_success 'a program inside a 7z made by 7-Zip: refused, the inner name logged' '
	mkdir -p 7z/bin && echo MZ >7z/bin/update.exe && echo notes >7z/readme.txt &&
	(cd 7z && 7zz a -bd ../tools.7z bin readme.txt >/dev/null) &&
	! att tools.7z tools.7z application/x-7z-compressed "seven zip" >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Executable attachments are not accepted here" out &&
	test_grep "inner=\"bin/update.exe" "$LOG" &&
	test -z "$(sunk "seven zip")"
'

test_expect_success 'a program inside a tar.gz: refused; a harmless tar.gz passes' '
	mkdir -p tgz/ok tgz/bad && echo MZ >tgz/bad/run.scr && echo fine >tgz/ok/notes.txt &&
	tar czf bad.tar.gz -C tgz/bad run.scr && tar czf ok.tar.gz -C tgz/ok notes.txt &&
	! att bad.tar.gz bad.tar.gz application/gzip "tar bad" >out 2>&1 &&
	test_grep "inner=\"run.scr" "$LOG" &&
	att ok.tar.gz ok.tar.gz application/gzip "tar ok" >out 2>&1 &&
	smtp_sink_wait 1 && test -n "$(sunk "tar ok")"
'

test_expect_success 'an encrypted archive: its own condition, refused with its text' '
	! att secret.zip "$T/secret.zip" application/zip "encrypted zip" >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Encrypted archives cannot be checked" out &&
	test_grep "encrypted=yes" "$LOG"
'

test_expect_success 'video/*: deleted (250, logged, nothing reaches the next hop)' '
	n=$(edge_sink_count) &&
	att clip.mp4 "$T/clip.mp4" video/mp4 "a video" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "delete: attachment matches rule=2 name=clip.mp4 type=video/mp4" "$LOG" &&
	test_grep "delete: message dropped .* check=attachment" "$LOG" &&
	sleep 0.3 && test "$(edge_sink_count)" = "$n"
'

test_expect_success 'strip: the sink gets a valid MIME message, a notice instead of the script' '
	att run.js "$T/run.js" application/javascript "strip me" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	sleep 0.3 && f=$(sunk "strip me") &&
	test_grep "^X-Postern-Attachment-Removed: \"run.js\"" "$f" &&
	! grep "SlMtUEFZTE9BRC1NQVJLRVI\|JS-PAYLOAD-MARKER" "$f" &&
	sed "1,/^X-Rcpt-Args/d" "$f" >msg &&
	python3 - msg <<-PY
	import email, email.policy, sys
	m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
	assert m.is_multipart() and not m.defects, m.defects
	parts = list(m.iter_parts())
	assert len(parts) == 2, len(parts)
	assert parts[0].get_content().strip() == "see the attachment"
	notice = parts[1].get_content()
	assert parts[1].get_content_type() == "text/plain"
	assert "The attachment \"run.js\" (application/javascript) was removed by edge.example.test: scripts are removed" in notice, notice
	PY
'

test_expect_success 'nesting past the parser depth: 554 5.6.0, not passed unchecked' '
	python3 - >deep.eml <<-PY
	import sys
	out = ["From: bob@sender.test", "To: alice@example.test", "Subject: deep", "MIME-Version: 1.0"]
	for i in range(40):
	    out += ["Content-Type: multipart/mixed; boundary=\"b%d\"" % i, "", "--b%d" % i]
	out += ["Content-Type: application/octet-stream; name=\"x.exe\"", "", "MZ"]
	for i in reversed(range(40)):
	    out += ["--b%d--" % i]
	print("\n".join(out))
	PY
	! swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--data @deep.eml >out 2>&1 &&
	test_grep "<\*\* 554 5.6.0 Message structure too complex to check" out
'

test_done
