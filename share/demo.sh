#!/bin/sh
# make demo: the postern perimeter on loopback. A throwaway certificate
# made by certsel, a file directory of sample users with Maildirs, a local
# delivery into them, and in front: smtp-edge (inbound, with a spam model
# trained on the spot, the attachment filter, clamd when installed),
# owa-cas, autodiscover-gen --serve, eas-policy in front of a tiny
# ActiveSync backend, um-sipd mailing voicemails to the same delivery. It
# prints the URLs, the users and four commands to try, and runs until
# Ctrl-C; then it stops everything and removes what it made.
#
# Usage: demo.sh BUILD_DIR
# DEMO_PORT (default 2525) is the first of 14 consecutive ports on
# 127.0.0.1: +0 smtp-edge, +1 delivery, +2 owa-cas, +3 autodiscover-gen,
# +4 eas-policy, +5 its backend, +6 um-sipd SIP (TCP and UDP), +7 SIPS,
# +8 sipp's own SIP port, +10..+13 sipp's RTP. TMPDIR: where the files go.
set -eu
build=$(cd "${1:-build}" && pwd)
bin=$build/bin
src=$(cd "$(dirname "$0")" && pwd)/demo
base=${DEMO_PORT:-2525}
p_smtp=$base p_lda=$((base + 1)) p_owa=$((base + 2)) p_ad=$((base + 3))
p_eas=$((base + 4)) p_back=$((base + 5)) p_sip=$((base + 6)) p_sips=$((base + 7))
p_sipp=$((base + 8)) p_rtp=$((base + 10))
py=/usr/bin/python3

for t in "$py" openssl swaks sipp curl; do
	command -v "$t" >/dev/null ||
		{ echo "demo: '$t' is missing: run make demo as root once (share/deps.sh)" >&2; exit 69; }
done
"$py" -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "demo: python3-aiosmtpd is missing (share/deps.sh installs it)" >&2; exit 69; }
for p in certsel scl-score smtp-edge owa-cas autodiscover-gen eas-policy um-sipd; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p is missing: make demo builds it" >&2; exit 69; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/postern-demo.XXXXXX")
chmod 755 "$work"
pids=""
stop() {
	trap - INT TERM EXIT
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	for i in 1 2 3 4 5 6 7 8 9 10; do
		alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	[ -z "$alive" ] || kill -KILL $pids 2>/dev/null || true
	# the daemons' own children (pooled workers, which hold copies of
	# the listening sockets) go with them: wait for those too, so that
	# nothing of the demo still runs or holds a port once it says stopped
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pgrep -f "$work/" >/dev/null 2>&1 || break
		sleep 0.1
	done
	pkill -KILL -f "$work/" 2>/dev/null || true
	rm -rf "$work"
	echo "demo: stopped, $work removed"
}
trap stop EXIT
trap 'exit 0' INT TERM

# start NAME CMD...: in the background, its output in $work/NAME.log.
start() {
	name=$1; shift
	"$@" >"$work/$name.log" 2>&1 &
	pids="$pids $!"
	echo $! >"$work/$name.pid"
}
# ready NAME PATTERN: waits (10 s at most) until NAME's log holds PATTERN;
# fails at once when NAME has exited.
ready() {
	i=0
	until grep -q "$2" "$work/$1.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 200 ] || ! kill -0 "$(cat "$work/$1.pid")" 2>/dev/null; then
			tail -n 5 "$work/$1.log" >&2
			echo "demo: $1 did not start" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# The throwaway PKI: certsel makes a self-signed certificate when the store
# holds none, the way a fresh install starts; clients trust that file.
mkdir -p "$work/certs" "$work/mail" "$work/spool" "$work/quarantine" "$work/owa" \
	"$work/devices" "$work/um-spool"
chmod 700 "$work/devices" "$work/owa"
cert=$("$bin/certsel" -s "$work/certs" --name mail.demo.test --name autodiscover.demo.test \
	--name localhost --generate 2>"$work/certsel.log")

# Sample users: an LDIF file (the same file loads into slapd with
# ldapadd), each with a phone number, a Maildir and an ActiveSync policy.
user() { # uid Name number policy password
	mkdir -p "$work/mail/$1/cur" "$work/mail/$1/new" "$work/mail/$1/tmp"
	cat <<LDIF

dn: uid=$1,ou=people,dc=demo,dc=test
objectClass: inetOrgPerson
objectClass: posternUser
uid: $1
cn: $2
sn: Demo
mail: $1@demo.test
telephoneNumber: $3
posternMailboxPath: $work/mail/$1
posternEASPolicy: $4
userPassword: {CRYPT}$(openssl passwd -6 "$5")
LDIF
}
{
	printf 'dn: dc=demo,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: demo\no: Demo\n\n'
	printf 'dn: ou=people,dc=demo,dc=test\nobjectClass: organizationalUnit\nou: people\n'
	user alice "Alice Demo" 1001 default alice-Demo-1
	user bob "Bob Demo" 1002 executives bob-Demo-2
} >"$work/users.ldif"

# The local delivery: SMTP into the Maildirs (Junk for what the edge
# marked as junk).
start deliver "$py" "$src/deliver.py" 127.0.0.1 "$p_lda" "$work/users.ldif"

# The spam model, trained on the spot on generated mail.
"$py" "$src/corpus.py" "$work/corpus" 40 40
printf '{ "scl-score": { "model": "%s" } }\n' "$work/scl.model" >"$work/scl.json"
"$bin/scl-score" -c "$work/scl.json" train --spam "$work/corpus/spam" --ham "$work/corpus/ham" \
	>"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }

# clamd when it is installed, with a test signature database only (the
# EICAR test string): never freshclam, never the network.
av=
if command -v clamd >/dev/null; then
	mkdir -p "$work/clamd/db"
	printf 'Eicar-Test-Signature:0:*:%s\n' \
		"$(printf %s EICAR-STANDARD-ANTIVIRUS-TEST-FILE | od -An -tx1 | tr -d ' \n')" \
		>"$work/clamd/db/demo.ndb"
	cat >"$work/clamd/clamd.conf" <<CONF
Foreground yes
LocalSocket $work/clamd/clamd.sock
DatabaseDirectory $work/clamd/db
LogFile $work/clamd/clamd.log
LogTime no
TemporaryDirectory $work/clamd
User $(id -un)
CONF
	start clamd clamd --config-file="$work/clamd/clamd.conf"
	av=', "antivirus": { "enabled": true, "clamd": "unix:'$work/clamd/clamd.sock'", "timeout": "10s", "stamp": false }'
fi

openssl rand -base64 48 >"$work/owa/secret"
chmod 600 "$work/owa/secret"
openssl rand -hex 24 >"$work/eas.secret"
chmod 600 "$work/eas.secret"
cat >"$work/postern.json" <<JSON
{
  "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$work/users.ldif" },
  "smtp-edge": {
    "listen": ["inbound=127.0.0.1:$p_smtp"],
    "hostname": "mail.demo.test",
    "tls": { "cert": "auto", "store": "$work/certs", "cert_names": ["mail.demo.test"] },
    "local_domains": ["demo.test"],
    "validate_recipients": true,
    "spf": { "enabled": false },
    "routes": { "demo.test": { "host": "127.0.0.1:$p_lda", "tls": "none" } },
    "content": {
      "enabled": true,
      "spool_directory": "$work/spool",
      "scl": { "enabled": true, "model": "$work/scl.model",
               "reject_enabled": false, "junk_enabled": true, "junk_threshold": 5 },
      "attachments": { "rules": [
        { "extensions": ["exe", "com", "scr", "bat", "cmd", "pif", "vbs", "msi"], "action": "reject",
          "text": "Executable attachments are not accepted here" },
        { "extensions": ["js"], "action": "strip", "text": "Scripts are removed" } ] },
      "quarantine": { "directory": "$work/quarantine" }$av
    }
  },
  "owa-cas": {
    "listen": ["127.0.0.1:$p_owa"],
    "secret_file": "$work/owa/secret",
    "state_dir": "$work/owa",
    "maildir": "$work/mail/%u",
    "cookie_secure": false,
    "submission": "smtp://127.0.0.1:$p_lda",
    "submission_starttls": "no",
    "device_store": "$work/devices"
  },
  "autodiscover-gen": {
    "listen": ["127.0.0.1:$p_ad"],
    "tls": { "cert": "auto", "store": "$work/certs", "cert_names": ["autodiscover.demo.test"] },
    "organization": "postern demo",
    "domains": {
      "demo.test": {
        "display_name": "postern demo mail",
        "exch_server": "mail.demo.test",
        "owa_url": "http://127.0.0.1:$p_owa/",
        "activesync_url": "http://127.0.0.1:$p_eas/Microsoft-Server-ActiveSync",
        "imap": { "host": "mail.demo.test", "socket": "ssl" },
        "smtp": { "host": "127.0.0.1", "port": $p_smtp, "socket": "starttls" },
        "login": "address"
      }
    }
  },
  "eas-policy": {
    "listen": ["127.0.0.1:$p_eas"],
    "backend": "http://127.0.0.1:$p_back",
    "store": "$work/devices",
    "secret_file": "$work/eas.secret",
    "default_policy": "default",
    "policies": {
      "default": { "password_required": true, "min_length": 6,
                   "wipe_after_failures": 10, "max_inactivity": "15m" },
      "executives": { "password_required": true, "alphanumeric": true, "min_length": 8,
                      "wipe_after_failures": 8, "max_inactivity": "5m", "attachments": false }
    }
  },
  "um-sipd": {
    "listen": ["sip=127.0.0.1:$p_sip", "sips=127.0.0.1:$p_sips"],
    "hostname": "um.demo.test",
    "tls": { "cert": "auto", "store": "$work/certs", "cert_names": ["mail.demo.test"] },
    "greeting": "none",
    "beep": false,
    "min_length": "500ms",
    "spool_dir": "$work/um-spool",
    "spool_scan": "1s",
    "smtp": { "host": "127.0.0.1", "port": $p_lda, "from": "voicemail@demo.test",
              "retry_min": "300ms", "retry_max": "2s" }
  }
}
JSON
for p in smtp-edge owa-cas autodiscover-gen eas-policy um-sipd; do
	"$bin/$p" -c "$work/postern.json" -n >"$work/check.log" 2>&1 ||
		{ cat "$work/check.log" >&2; echo "demo: $p refuses the config" >&2; exit 1; }
done

[ -z "$av" ] || ready clamd "Self checking\|Listening daemon"
ready deliver "listening"
start smtp-edge "$bin/smtp-edge" -c "$work/postern.json" -d
start owa-cas "$bin/owa-cas" -c "$work/postern.json" -d
start autodiscover "$bin/autodiscover-gen" -c "$work/postern.json" --serve -d
start eas-backend "$py" "$src/eas-backend.py" "$p_back"
start eas-policy "$bin/eas-policy" -c "$work/postern.json" -d
start um-sipd "$bin/um-sipd" -c "$work/postern.json" -d
for n in smtp-edge owa-cas autodiscover eas-policy um-sipd; do ready "$n" "listening"; done
ready eas-backend "listening"

# What the printed commands use: a tone as raw mu-law (what sipp streams),
# the caller's scenario.
"$py" - "$work/tone.ul" <<'PY'
import math, sys
def ulaw(x):
    s = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 132
    e = 7
    while e > 0 and not x & (0x4000 >> (7 - e)):
        e -= 1
    return ~(s | (e << 4) | ((x >> (e + 3)) & 0x0F)) & 0xFF
# three seconds of 440 Hz, then 660 Hz, then 880 Hz
sys.stdout = open(sys.argv[1], "wb")
sys.stdout.write(bytes(ulaw(int(12000 * math.sin(2 * math.pi * (440 + 220 * (i // 8000)) * i / 8000)))
                       for i in range(24000)))
PY
sed "s|@AUDIO@|$work/tone.ul|" "$src/voicemail.xml" >"$work/voicemail.xml"
# The phone: the test client eas-client when it is built (make testbins),
# else curl with eas-policy encode and decode.
client=$build/tools/eas-client
[ -x "$client" ] || client=$bin/eas-policy

cat <<EOF

postern demo is up (files in $work)
  smtp-edge         smtp://127.0.0.1:$p_smtp  inbound for demo.test: STARTTLS, recipients checked,
                    spam model (junk at SCL 5 -> Junk folder), executables refused$( [ -n "$av" ] && printf ', clamd' )
  delivery          smtp://127.0.0.1:$p_lda  into the Maildirs in $work/mail
  owa-cas           http://127.0.0.1:$p_owa/  web mail
  autodiscover-gen  https://localhost:$p_ad/autodiscover/autodiscover.xml
  eas-policy        http://127.0.0.1:$p_eas/Microsoft-Server-ActiveSync  (backend 127.0.0.1:$p_back)
  um-sipd           sip:127.0.0.1:$p_sip (TCP, UDP), sips:127.0.0.1:$p_sips; voicemail by SMTP to the delivery
  certificate       $cert (self-signed by certsel)
  users             alice@demo.test  password alice-Demo-1  phone 1001  ActiveSync policy default
                    bob@demo.test    password bob-Demo-2    phone 1002  ActiveSync policy executives
  config            $work/postern.json; logs in $work/*.log

Try:
  swaks --server 127.0.0.1:$p_smtp --tls --from you@example.net --to alice@demo.test --header "Subject: Hello from the demo"
  curl -s -c $work/jar -b $work/jar -L -d user=alice -d password=alice-Demo-1 http://127.0.0.1:$p_owa/login | grep -o '<td class="subject"><a [^>]*>[^<]*'
  sh $src/phone.sh $client http://127.0.0.1:$p_eas alice:alice-Demo-1 DEMOPHONE1
  sipp -sf $work/voicemail.xml -s 1001 -t t1 -m 1 -p $p_sipp -mp $p_rtp -nostdin -timeout 30s 127.0.0.1:$p_sip

Open http://127.0.0.1:$p_owa/ in a browser (alice, alice-Demo-1) to read the mail and the
voicemail, and to wipe the phone under Options (run the phone command again to see it obey).
Ctrl-C stops the demo.
EOF
echo "demo: ready"
wait
