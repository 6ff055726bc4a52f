# Fixture: a private slapd on a free loopback port, with cn=config built by
# slapadd (core, cosine, inetorgperson, postern's schema), an mdb database
# for dc=example,dc=test holding testsuite/fixtures/dir/*.ldif, and
# StartTLS with the fixture PKI (or a throwaway certificate).
#
#   slapd_start          starts it and exports LDAP_URI, LDAP_TLS_URI
#                        (for StartTLS: names the host as the certificate
#                        does), LDAPS_URI, LDAP_PORT, LDAPS_PORT,
#                        LDAP_BASE, LDAP_BIND_DN, LDAP_BIND_PW_FILE,
#                        LDAP_CA_FILE, LDAP_ROOT_DN, LDAP_ROOT_PW_FILE,
#                        SLAPD_PID; stopped at exit
#   slapd_stop           kills it (the data stays, for slapd_restart)
#   slapd_restart        starts it again on the same port and data
#   slapd_conf_ldap F [URI [EXTRA]]
#                        writes a postern config using it to F

SLAPD_SCHEMA_DIR=${SLAPD_SCHEMA_DIR:-/etc/ldap/schema}
SLAPD_MODULE_DIR=${SLAPD_MODULE_DIR:-/usr/lib/ldap}

# The server certificate: the fixture PKI when there is one, else a
# throwaway CA and certificate for 127.0.0.1 made here.
_slapd_pki() {
	local d=$SLAPD_DIR/pki
	if [ -r "${PKI:-}/server.pem" ] && [ -r "$PKI/server.key" ] && [ -r "$PKI/ca.pem" ]; then
		SLAPD_CERT=$PKI/server.pem SLAPD_KEY=$PKI/server.key LDAP_CA_FILE=$PKI/ca.pem
		# The leaf is issued by an intermediate: slapd must send both.
		[ -r "$PKI/server-chain.pem" ] && SLAPD_CERT=$PKI/server-chain.pem
	else
		mkdir -p "$d"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=slapd test CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" \
			2>/dev/null &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
			>"$d/ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.pem" \
			2>/dev/null || return 1
		SLAPD_CERT=$d/server.pem SLAPD_KEY=$d/server.key LDAP_CA_FILE=$d/ca.pem
	fi
	# Name the server as its certificate does.
	if openssl x509 -in "$SLAPD_CERT" -noout -ext subjectAltName 2>/dev/null |
		grep -q 'IP Address:127.0.0.1'; then
		SLAPD_TLS_HOST=127.0.0.1
	else
		SLAPD_TLS_HOST=localhost
	fi
}

_slapd_config() {
	cat <<SLAPD_EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $SLAPD_DIR/slapd.pid
olcArgsFile: $SLAPD_DIR/slapd.args
olcTLSCACertificateFile: $LDAP_CA_FILE
olcTLSCertificateFile: $SLAPD_CERT
olcTLSCertificateKeyFile: $SLAPD_KEY

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $SLAPD_MODULE_DIR
olcModuleLoad: back_mdb
olcModuleLoad: pw-sha2

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$SLAPD_SCHEMA_DIR/core.ldif

include: file://$SLAPD_SCHEMA_DIR/cosine.ldif

include: file://$SLAPD_SCHEMA_DIR/inetorgperson.ldif

include: file://$SRCDIR/share/ldap/postern.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $SLAPD_DIR/db
olcDbMaxSize: 1073741824
olcSuffix: $LDAP_BASE
olcRootDN: $LDAP_ROOT_DN
olcRootPW: $(cat "$LDAP_ROOT_PW_FILE")
olcDbIndex: objectClass eq
olcDbIndex: mail,uid,posternMailAlias,telephoneNumber eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by dn.exact="$LDAP_BIND_DN" read by self read by * none
SLAPD_EOF
}

# Runs slapd in the foreground under bg_start, on LDAP_PORT; "-d stats"
# logs each connection and operation to $TEST_TMP/slapd.log for tests to
# grep (TLS established, BIND dn=...).
_slapd_run() {
	bg_start slapd slapd -d stats -F "$SLAPD_DIR/slapd.d" \
		-h "ldap://127.0.0.1:$LDAP_PORT/ ldaps://127.0.0.1:$LDAPS_PORT/"
	SLAPD_PID=$(cat "$TEST_TMP/slapd.pid")
	export SLAPD_PID
	wait_port "$LDAP_PORT" 200 && wait_port "$LDAPS_PORT" 200 ||
		{ cat "$TEST_TMP/slapd.log" >&2; return 1; }
}

slapd_start() {
	need slapd slapadd ldapadd openssl
	SLAPD_DIR=$TEST_TMP/slapd
	set -- $(free_ports 2) || return 1
	LDAP_PORT=$1 LDAPS_PORT=$2
	LDAP_BASE=dc=example,dc=test
	LDAP_ROOT_DN=cn=admin,$LDAP_BASE
	LDAP_BIND_DN=uid=postern,ou=services,$LDAP_BASE
	LDAP_ROOT_PW_FILE=$SLAPD_DIR/root.pw
	LDAP_BIND_PW_FILE=$SLAPD_DIR/bind.pw
	mkdir -p "$SLAPD_DIR/slapd.d" "$SLAPD_DIR/db" || return 1
	printf 'root-Secret-9' >"$LDAP_ROOT_PW_FILE"
	printf 'svc-Secret-0\n' >"$LDAP_BIND_PW_FILE"
	chmod 600 "$LDAP_ROOT_PW_FILE" "$LDAP_BIND_PW_FILE"
	_slapd_pki || { echo "slapd_start: cannot make a certificate" >&2; return 1; }
	_slapd_config >"$SLAPD_DIR/config.ldif"
	slapadd -n0 -F "$SLAPD_DIR/slapd.d" -l "$SLAPD_DIR/config.ldif" \
		>"$SLAPD_DIR/slapadd.log" 2>&1 ||
		{ cat "$SLAPD_DIR/slapadd.log" >&2; return 1; }
	LDAP_URI=ldap://127.0.0.1:$LDAP_PORT
	LDAP_TLS_URI=ldap://$SLAPD_TLS_HOST:$LDAP_PORT
	LDAPS_URI=ldaps://$SLAPD_TLS_HOST:$LDAPS_PORT
	export LDAP_URI LDAP_TLS_URI LDAPS_URI LDAP_PORT LDAPS_PORT LDAP_BASE LDAP_BIND_DN LDAP_BIND_PW_FILE \
		LDAP_CA_FILE LDAP_ROOT_DN LDAP_ROOT_PW_FILE
	_slapd_run || return 1
	cleanup_push slapd_stop
	local f
	for f in "$SRCDIR/testsuite/fixtures/dir/users.ldif" \
		"$SRCDIR/testsuite/fixtures/dir/services.ldif"; do
		ldapadd -x -H "$LDAP_URI" -D "$LDAP_ROOT_DN" -y "$LDAP_ROOT_PW_FILE" -f "$f" \
			>"$SLAPD_DIR/ldapadd.log" 2>&1 ||
			{ cat "$SLAPD_DIR/ldapadd.log" >&2; return 1; }
	done
}

slapd_stop() {
	[ -n "${SLAPD_PID:-}" ] || return 0
	kill "$SLAPD_PID" 2>/dev/null
	local i=0
	while kill -0 "$SLAPD_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -9 "$SLAPD_PID" 2>/dev/null
	SLAPD_PID=
}

slapd_restart() {
	slapd_stop
	_slapd_run
}

# slapd_conf_ldap FILE [URI [EXTRA]]: a postern config whose directory is
# this slapd (or URI), bound as the service account; EXTRA is more JSON
# members for the "ldap" object (e.g. '"starttls": true').
slapd_conf_ldap() {
	local uri=${2:-$LDAP_URI} extra=${3:+, $3}
	cat >"$1" <<SLAPD_EOF
{
	"directory": {
		"backend": "ldap",
		"ldap": {
			"uri": "$uri",
			"base": "$LDAP_BASE",
			"bind_dn": "$LDAP_BIND_DN",
			"bind_password_file": "$LDAP_BIND_PW_FILE",
			"timeout": "3s",
			"connect_timeout": "2s"$extra
		}
	}
}
SLAPD_EOF
}
