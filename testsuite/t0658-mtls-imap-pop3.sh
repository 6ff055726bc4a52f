#!/bin/bash
# IMAP (CAPABILITY, STARTTLS) and POP3 (CAPA, STLS) against a small
# python3 server of this test on loopback with the fixture server
# certificate; a server that does not offer the upgrade; and -i over POP3.
. "$(dirname "$0")/lib.sh"
need python3

cat >"$TEST_TMP/server.py" <<'PY'
import socket, ssl, sys
proto, port, chain, key, offer = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "yes"
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(chain, key)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(5)
print("listening on", port, flush=True)
while True:
    c, _ = ls.accept()
    tls = False
    f = c.makefile("rb")
    def say(s): c.sendall((s + "\r\n").encode())
    say("* OK [CAPABILITY IMAP4rev1] ready" if proto == "imap" else "+OK POP3 ready")
    while True:
        l = f.readline()
        if not l: break
        l = l.decode().rstrip("\r\n")
        print(("tls " if tls else "plain ") + l, flush=True)
        w = l.split(" ")
        if proto == "imap":
            tag, cmd = w[0], (w[1].upper() if len(w) > 1 else "")
            if cmd == "CAPABILITY":
                say("* CAPABILITY IMAP4rev1" + (" STARTTLS LOGINDISABLED" if offer and not tls else " AUTH=PLAIN"))
                say(tag + " OK done")
            elif cmd == "STARTTLS":
                say(tag + " OK begin TLS")
                c = ctx.wrap_socket(c, server_side=True); f = c.makefile("rb"); tls = True
            elif cmd == "LOGOUT":
                say("* BYE"); say(tag + " OK bye"); break
            else:
                say(tag + " BAD no")
        else:
            cmd = w[0].upper()
            if cmd == "CAPA":
                say("+OK capabilities"); say("USER")
                if offer and not tls: say("STLS")
                say(".")
            elif cmd == "STLS":
                say("+OK begin TLS")
                c = ctx.wrap_socket(c, server_side=True); f = c.makefile("rb"); tls = True
            elif cmd == "NOOP":
                say("+OK")
            elif cmd == "QUIT":
                say("+OK bye"); break
            else:
                say("-ERR no")
    c.close()
PY

start() {
	local name=$1 port
	port=$(free_ports 1)
	bg_start "$name" python3 -u "$TEST_TMP/server.py" "$2" "$port" "$PKI/server-chain.pem" "$PKI/server.key" "$3"
	for i in $(seq 100); do grep -q listening "$TEST_TMP/$name.log" && break; sleep 0.05; done
	echo "$port"
}
IMAP=$(start imap imap yes)
IMAPNO=$(start imapno imap no)
POP=$(start pop3 pop3 yes)

probe() { mtls-probe --timeout 10s --ca "$PKI/ca.pem" --name mail.example.test "$@"; }

test_expect_success 'IMAP: CAPABILITY, STARTTLS, CAPABILITY over TLS, LOGOUT' '
	probe --proto imap 127.0.0.1:$IMAP >out &&
	grep -E "^(C|S): " out >dialogue &&
	cat >expect <<-\OUT &&
	S: * OK [CAPABILITY IMAP4rev1] ready
	C: a1 CAPABILITY
	S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
	S: a1 OK done
	C: a2 STARTTLS
	S: a2 OK begin TLS
	C: a3 CAPABILITY
	S: * CAPABILITY IMAP4rev1 AUTH=PLAIN
	S: a3 OK done
	C: a9 LOGOUT
	S: * BYE
	S: a9 OK bye
	OUT
	test_cmp expect dialogue &&
	test_grep -q "^TLS: verdict: Verified$" out &&
	test_grep -q "^tls a3 CAPABILITY$" "$TEST_TMP/imap.log"
'

test_expect_success 'IMAP without STARTTLS: said, exit 1' '
	{ probe --proto imap 127.0.0.1:$IMAPNO >out; test $? = 1; } &&
	test_grep -q "^TLS: the server does not offer STARTTLS$" out &&
	test_grep -q "^C: a9 LOGOUT$" out
'

test_expect_success 'POP3: CAPA, STLS, CAPA over TLS, QUIT' '
	probe --proto pop3 127.0.0.1:$POP >out &&
	grep -E "^(C|S): " out >dialogue &&
	cat >expect <<-\OUT &&
	S: +OK POP3 ready
	C: CAPA
	S: +OK capabilities
	S: USER
	S: STLS
	S: .
	C: STLS
	S: +OK begin TLS
	C: CAPA
	S: +OK capabilities
	S: USER
	S: .
	C: QUIT
	S: +OK bye
	OUT
	test_cmp expect dialogue &&
	test_grep -q "^Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$POP:" out
'

test_expect_success 'POP3 -i: commands from a pipe over TLS' '
	printf "NOOP\nQUIT\n" | probe -i --proto pop3 127.0.0.1:$POP >out &&
	sed -n "/^C: NOOP/,\$p" out | grep -E "^(C|S): " >session &&
	printf "C: NOOP\nS: +OK\nC: QUIT\nS: +OK bye\n" >expect &&
	test_cmp expect session &&
	test_grep -q "^tls NOOP$" "$TEST_TMP/pop3.log"
'

test_done
