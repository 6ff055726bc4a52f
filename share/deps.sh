#!/bin/sh
# Installs the Debian packages postern builds and tests with, or says how.
# One line per package with the reason it is here; run as root it installs
# what is missing, otherwise it prints the exact apt-get line and fails.
# Usage: deps.sh [bench]   (bench: also what make bench compares against)
set -eu
set_name=${1:-check}

packages() {
	cat <<'LIST'
make			GNU make drives the build
gcc			the compiler, and ASan/UBSan for make check
clang			libFuzzer harnesses in testsuite/fuzz
libclang-rt-14-dev	libFuzzer and sanitizer runtimes for clang
pkgconf			finds library flags for the Makefile
libssl-dev		OpenSSL 3: TLS, hashes, HKDF, password hashes
libjansson-dev		the JSON config loader
libldap-dev		the LDAP directory backend
libunbound-dev		DNS with DNSSEC status (DNSBL, SPF, MX, TLSA, SRV)
libevent-dev		named by libunbound's pkg-config file: without it every cflag is lost
libcurl4-openssl-dev	HTTP client (CRLs, probes, SMTP submission)
libcrypt-dev		{CRYPT} password hashes in the LDIF directory
libreadline-dev		mtls-probe -i: a line-edited session with history
openssl			the test PKI and TLS peers
perl			prove runs the TAP test suite
slapd			the real LDAP server the directory tests run against
ldap-utils		ldapadd/ldapsearch load and read the test directory
unbound			the loopback DNS server for the test zones
python3			small test peers (HTTP for CRLs, silent DNS)
systemd			systemd-socket-activate drives the socket-activation tests
socat			raw clients and TLS wrappers in tests
tmux			a real terminal for interactive tests (mtls-probe -i)
jq			reads JSON output (--json, explain) in tests
curl			fetches MTA-STS policies and HTTP pages in tests
graphviz		dot draws the README picture from share/doc/perimeter.dot
mandoc			man pages are checked with mandoc -T lint
postfix			a real STARTTLS smtpd, smtp-sink/smtp-source and posttls-finger
swaks			the SMTP test client (MIME, TLS, pipelining, XCLIENT)
nsd			serves the DNSSEC-signed test zone for DANE
ldnsutils		ldns-signzone/ldns-keygen sign the DANE test zone
libarchive-dev		archive listing (attachment filter, WebReady containers)
libxml2-dev		XML parsing (autodiscover, WebReady documents)
libgumbo-dev		the HTML5 parser behind owa-cas's sanitiser
libsrtp2-dev		SRTP/SRTCP media for um-sipd
7zip			7zz makes the 7z archives the attachment filter must see into
clamav-daemon		clamd, the real anti-virus peer of the content layer tests
gpgsm			independent S/MIME peer for smime-sign's interop tests
gpg-agent		holds gpgsm's private keys in those tests
gpgconf			starts and stops the test GNUPGHOME's agent
libwbxml2-utils		wbxml2xml/xml2wbxml, the independent WBXML decoder
sip-tester		sipp, the SIP peer for um-sipd's tests
baresip			a real SIP user agent (TLS, SRTP) for um-sipd's secured mode
sox			makes and measures the test audio
python3-aiosmtpd		a Python SMTP sink for delivery tests
poppler-utils		pdftotext/pdftohtml for WebReady of PDF
chromium		headless browser for owa-cas's tests (driven by playwright-core)
nodejs			runs the npm test clients in testsuite/node
LIST
	[ "$set_name" = bench ] || return 0
	cat <<'LIST'
bogofilter		the classic Bayesian filter scl-score is measured against
spamassassin		SpamAssassin's Bayes, the other anchor of bench/scl-score.sh
hyperfine		times whole commands in the benchmarks
iproute2		a private network namespace for bench/smtp-edge.sh
util-linux		unshare, for the benchmark's private namespace
wrk			HTTP load for the web benchmarks
nginx			the static-file baseline for the HTTP benchmarks
haproxy			the reference relay next to smtp-edge and eas-policy in their benchmarks
clamav-milter		Postfix's content filter in the smtp-edge content benchmark
tshark			counts RTP streams and loss in bench/um-sipd.sh
LIST
}

# The npm test clients (testsuite/node/package.json, versions pinned by its
# lock file); npm ci needs no root and only the npm registry.
node_clients() {
	here=$(cd "$(dirname "$0")/.." && pwd)/testsuite/node
	[ -d "$here/node_modules" ] && [ "$here/node_modules/.package-lock.json" -nt "$here/package-lock.json" ] && return 0
	command -v npm >/dev/null || { echo "deps.sh: npm is missing (install nodejs)" >&2; return 69; }
	echo "deps.sh: npm ci in testsuite/node" >&2
	npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
}

missing=""
for p in $(packages | awk '{print $1}'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then node_clients; exit; fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages; as root run:" >&2
	echo "apt-get install -y --no-install-recommends$missing" >&2
	exit 69
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test peer here, not the system's MTA: install it unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# Package scripts must not start daemons here; tests start their own.
policy=/usr/sbin/policy-rc.d
[ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1; }
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -z "${made_policy:-}" ] || rm -f "$policy"
node_clients
