#!/bin/sh
# Makes the throwaway test PKI: root CA, intermediate, server, partner,
# client and S/MIME leaves, one expired and one revoked certificate, and
# the intermediate's CRL (PEM and DER) in DIR/crl/ for an HTTP server at
# CRL_URL. Usage: mkpki.sh DIR CRL_URL
set -eu
dir=$1 url=$2
rm -rf "$dir"
mkdir -p "$dir/crl" "$dir/db"
cd "$dir"

cat >ca.cnf <<CNF
[ ca ]
default_ca = int
[ int ]
dir = .
database = db/index.txt
new_certs_dir = db
serial = db/serial
crlnumber = db/crlnumber
certificate = int.pem
private_key = int.key
default_md = sha256
default_days = 825
default_crl_days = 30
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
emailAddress = optional
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/root.crl
[ v3_server ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/int.crl
[ v3_client ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/int.crl
[ v3_smime ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/int.crl
CNF
touch db/index.txt
echo 1000 >db/serial
echo 1000 >db/crlnumber

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# Root: self-signed; intermediate: signed by the root.
ec root.key
openssl req -new -x509 -key root.key -subj "/O=Postern Test/CN=Postern Test Root CA" \
	-days 3650 -config ca.cnf -extensions v3_root -out root.pem
ec int.key
openssl req -new -key int.key -subj "/O=Postern Test/CN=Postern Test Intermediate CA" \
	-config ca.cnf -out int.csr
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 3650 \
	-extfile ca.cnf -extensions v3_int -out int.pem 2>/dev/null
cat int.pem root.pem >chain.pem
cp root.pem ca.pem

# leaf NAME SUBJECT EXT SAN [KEYTYPE] [ca-args...]
leaf() {
	name=$1 subj=$2 ext=$3 san=$4 kt=${5:-ec}
	shift 5 2>/dev/null || shift $#
	$kt "$name.key"
	if [ -n "$san" ]; then
		openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf \
			-addext "subjectAltName=$san" -out "$name.csr"
	else
		openssl req -new -key "$name.key" -subj "$subj" -config ca.cnf -out "$name.csr"
	fi
	openssl ca -batch -config ca.cnf -extensions "$ext" -in "$name.csr" -out "$name.pem" \
		-notext "$@" 2>/dev/null
	cat "$name.pem" int.pem >"$name-chain.pem"
	cat "$name.pem" int.pem "$name.key" >"$name-full.pem"
	rm -f "$name.csr"
}

leaf server "/CN=mail.example.test" v3_server \
	"DNS:mail.example.test,DNS:autodiscover.example.test,DNS:localhost,IP:127.0.0.1" ec
leaf server-rsa "/CN=mail.example.test" v3_server \
	"DNS:mail.example.test,DNS:localhost,IP:127.0.0.1" rsa
leaf partner "/CN=mx.partner.test" v3_server "DNS:mx.partner.test,DNS:localhost" ec
leaf gateway "/CN=gw.example.test" v3_server "DNS:gw.example.test,URI:sip:gw.example.test" ec
leaf client "/CN=client.example.test" v3_client "DNS:client.example.test" ec
leaf alice "/CN=Alice Example/emailAddress=alice@example.test" v3_smime "email:alice@example.test" rsa
leaf bob "/CN=Bob Example/emailAddress=bob@example.test" v3_smime "email:bob@example.test" ec
leaf wildcard "/CN=w*.example.test" v3_server "DNS:w*.example.test" ec
leaf cnonly "/CN=cnonly.example.test" v3_server "" ec
leaf expired "/CN=expired.example.test" v3_server "DNS:expired.example.test,DNS:localhost" ec \
	-startdate 20200101000000Z -enddate 20210101000000Z
leaf revoked "/CN=revoked.example.test" v3_server "DNS:revoked.example.test,DNS:localhost" ec
openssl ca -batch -config ca.cnf -revoke revoked.pem 2>/dev/null

# The intermediate's CRL lists "revoked"; the root's CRL lists nothing.
openssl ca -batch -config ca.cnf -gencrl -out int.crl.pem 2>/dev/null
openssl crl -in int.crl.pem -outform DER -out crl/int.crl
cp int.crl.pem crl/int.crl.pem
cat >root-ca.cnf <<CNF
[ ca ]
default_ca = root
[ root ]
database = db/root-index.txt
crlnumber = db/root-crlnumber
certificate = root.pem
private_key = root.key
default_md = sha256
default_crl_days = 30
CNF
touch db/root-index.txt
echo 1000 >db/root-crlnumber
openssl ca -batch -config root-ca.cnf -gencrl -out root.crl.pem 2>/dev/null
openssl crl -in root.crl.pem -outform DER -out crl/root.crl

# An unrelated root, for "untrusted" cases.
ec other-root.key
openssl req -new -x509 -key other-root.key -subj "/CN=Other Root" -days 3650 \
	-config ca.cnf -extensions v3_root -out other-root.pem
ec untrusted.key
openssl req -new -key untrusted.key -subj "/CN=mail.example.test" -config ca.cnf \
	-addext "subjectAltName=DNS:mail.example.test,DNS:localhost" -out untrusted.csr
openssl x509 -req -in untrusted.csr -CA other-root.pem -CAkey other-root.key \
	-CAcreateserial -days 365 -copy_extensions copy -out untrusted.pem 2>/dev/null
cat untrusted.pem untrusted.key >untrusted-full.pem
rm -f untrusted.csr int.csr
# Self-signed, as certsel --generate would make.
ec selfsigned.key
openssl req -new -x509 -key selfsigned.key -subj "/CN=mail.example.test" -days 365 \
	-addext "subjectAltName=DNS:mail.example.test" -config ca.cnf -out selfsigned.pem
echo "$url" >crl-url
echo "pki: made in $dir"

# S/MIME (smime-sign): an ECDSA/ECDH twin of alice, a signing-only
# certificate, and an expired and a revoked S/MIME signer with email SANs;
# the intermediate's CRL is made again to list the revoked signer.
cat >>ca.cnf <<CNF
[ v3_smime_ec ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyAgreement, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/int.crl
[ v3_smime_signonly ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$url/int.crl
CNF
leaf alice-ec "/CN=Alice Example/emailAddress=alice@example.test" v3_smime_ec "email:alice@example.test" ec
leaf carol-sign "/CN=Carol Example" v3_smime_signonly "email:carol@example.test" ec
leaf smime-expired "/CN=Expired Signer" v3_smime "email:expired@example.test" ec \
	-startdate 20200101000000Z -enddate 20210101000000Z
leaf smime-revoked "/CN=Revoked Signer" v3_smime "email:revoked@example.test" ec
openssl ca -batch -config ca.cnf -revoke smime-revoked.pem 2>/dev/null
openssl ca -batch -config ca.cnf -gencrl -out int.crl.pem 2>/dev/null
openssl crl -in int.crl.pem -outform DER -out crl/int.crl
cp int.crl.pem crl/int.crl.pem
