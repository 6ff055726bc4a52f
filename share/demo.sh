#!/bin/sh
# make demo: the postern perimeter as it stands, on loopback, with a
# throwaway certificate chosen by certsel, a file directory of sample users
# and a local mail drop. It prints what to try and runs until Ctrl-C, then
# stops everything and removes what it made. The demo grows as programs land.
# Usage: demo.sh BUILD_DIR   (DEMO_PORT sets the SMTP port, default 2525;
# DEMO_SINK_PORT the next hop's, default the port after it)
set -eu
build=$(cd "${1:-build}" && pwd)
bin=$build/bin
port=${DEMO_PORT:-2525}
work=$(mktemp -d "${TMPDIR:-/tmp}/postern-demo.XXXXXX")
chmod 755 "$work"
pids=""

stop() {
	trap - INT TERM EXIT
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	sleep 0.2
	rm -rf "$work"
	echo "demo: stopped, $work removed"
}
trap stop EXIT
trap 'exit 0' INT TERM

for t in smtp-sink slappasswd; do
	command -v "$t" >/dev/null || { echo "demo: '$t' is missing: run make demo as root (share/deps.sh)" >&2; exit 69; }
done

# A certificate for the edge: certsel makes a self-signed one when the
# store holds none, the way a fresh install starts.
mkdir -p "$work/certs" "$work/mail"
"$bin/certsel" -s "$work/certs" --name mail.demo.test --name localhost --generate >/dev/null

# Sample users in an LDIF file (the same file loads into slapd with ldapadd).
pw=$(slappasswd -h '{SSHA}' -s demo)
cat >"$work/users.ldif" <<LDIF
dn: uid=alice,ou=people,dc=demo,dc=test
objectClass: inetOrgPerson
uid: alice
cn: Alice Demo
sn: Demo
mail: alice@demo.test
userPassword: $pw

dn: uid=bob,ou=people,dc=demo,dc=test
objectClass: inetOrgPerson
uid: bob
cn: Bob Demo
sn: Demo
mail: bob@demo.test
userPassword: $pw
LDIF

# The next hop: Postfix's smtp-sink drops each message into a file.
sink=${DEMO_SINK_PORT:-$((port + 1))}
smtp-sink -u root -h hub.demo.test -d "$work/mail/%Y%m%d%H%M%S." "127.0.0.1:$sink" 16 \
	>"$work/smtp-sink.log" 2>&1 &
pids="$pids $!"

cat >"$work/postern.json" <<JSON
{
  "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$work/users.ldif" },
  "smtp-edge": {
    "listen": ["inbound=127.0.0.1:$port"],
    "hostname": "mail.demo.test",
    "tls": { "cert": "auto", "store": "$work/certs", "cert_names": ["mail.demo.test"] },
    "local_domains": ["demo.test"],
    "validate_recipients": true,
    "spf": { "enabled": false },
    "routes": { "demo.test": { "host": "127.0.0.1:$sink", "tls": "none" } }
  }
}
JSON
"$bin/smtp-edge" -c "$work/postern.json" -n
"$bin/smtp-edge" -c "$work/postern.json" -d >"$work/smtp-edge.log" 2>&1 &
pids="$pids $!"
i=0
until grep -q "listening" "$work/smtp-edge.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$work/smtp-edge.log"; echo "demo: smtp-edge did not start" >&2; exit 1; }
	sleep 0.1
done

cat <<EOF

postern demo is up (files in $work)
  smtp-edge   127.0.0.1:$port  inbound edge for demo.test, STARTTLS, recipients checked
  next hop    127.0.0.1:$sink  smtp-sink, messages saved in $work/mail
  users       alice@demo.test, bob@demo.test (password: demo)
  config      $work/postern.json; logs in $work/*.log

Try:
  swaks --server 127.0.0.1:$port --tls --to alice@demo.test --from you@example.net
  swaks --server 127.0.0.1:$port --to nobody@demo.test      # 550 5.1.1, unknown user
  PATH=$bin:\$PATH mtls-probe --name mail.demo.test 127.0.0.1:$port   # self-signed: Untrusted
  PATH=$bin:\$PATH certsel -s $work/certs --name mail.demo.test --list
  ls $work/mail; tail $work/smtp-edge.log

Ctrl-C stops the demo.
EOF
echo "demo: ready"
wait
