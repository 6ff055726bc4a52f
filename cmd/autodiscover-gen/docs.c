/* The documents: MS-OXDSCLI POX responses (Outlook and mobilesync, the
 * redirects and the Error), Thunderbird's config-v1.1.xml and Apple's
 * configuration profile, optionally signed. Every value from config or
 * the directory goes through http_xml_escape. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ad.h"
#include "http/http.h"
#include "util/msg.h"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

/* <name>escaped value</name> at an indent, when value is set. */
static void el(struct strbuf *out, int indent, const char *name, const char *value)
{
	if (value == NULL || value[0] == 0)
		return;
	strbuf_addf(out, "%*s<%s>", indent, "", name);
	http_xml_escape(out, value);
	strbuf_addf(out, "</%s>\n", name);
}

static const char *str(const json_t *node, const char *key)
{
	const char *s = conf_str(node, key);

	return s && s[0] ? s : NULL;
}

static void user_block(struct strbuf *out, const struct ad_user *u)
{
	strbuf_addstr(out, "    <User>\n");
	el(out, 6, "DisplayName", u->display);
	el(out, 6, "AutoDiscoverSMTPAddress", u->primary[0] ? u->primary : u->address);
	strbuf_addstr(out, "    </User>\n");
}

static void urls(struct strbuf *out, const json_t *d)
{
	el(out, 8, "ASUrl", str(d, "ews_url"));
	el(out, 8, "EwsUrl", str(d, "ews_url"));
	el(out, 8, "OOFUrl", str(d, "oof_url"));
	el(out, 8, "OABUrl", str(d, "oab_url"));
	el(out, 8, "UMUrl", str(d, "um_url"));
}

/* A server block of the domain, or NULL when it names no host. */
static const json_t *server(const json_t *dom, const char *proto)
{
	const json_t *s = conf_get(dom, proto);

	return s && conf_str(s, "host") && conf_str(s, "host")[0] ? s : NULL;
}

static int server_port(const json_t *srv, const char *proto)
{
	const char *sock = conf_str(srv, "socket");
	bool tls = strcmp(sock, "ssl") == 0;

	if (conf_get(srv, "port"))
		return (int)conf_int(srv, "port");
	if (strcmp(proto, "imap") == 0)
		return tls ? 993 : 143;
	if (strcmp(proto, "pop") == 0)
		return tls ? 995 : 110;
	return strcmp(sock, "plain") == 0 ? 25 : tls ? 465 : 587;
}

static void mail_protocol(struct strbuf *out, const struct ad_user *u, const char *proto,
			  const char *type)
{
	const json_t *srv = server(u->dom, proto);
	const char *sock;

	if (srv == NULL)
		return;
	sock = conf_str(srv, "socket");
	strbuf_addstr(out, "      <Protocol>\n");
	el(out, 8, "Type", type);
	el(out, 8, "Server", conf_str(srv, "host"));
	strbuf_addf(out, "        <Port>%d</Port>\n", server_port(srv, proto));
	el(out, 8, "LoginName", u->login);
	el(out, 8, "DomainRequired", "off");
	el(out, 8, "SPA", "off");
	el(out, 8, "SSL", strcmp(sock, "plain") == 0 ? "off" : "on");
	if (strcmp(sock, "starttls") == 0)
		el(out, 8, "Encryption", "TLS");
	el(out, 8, "AuthRequired", "on");
	if (strcmp(proto, "smtp") == 0)
		el(out, 8, "UsePOPAuth", "off");
	strbuf_addstr(out, "      </Protocol>\n");
}

void ad_doc_outlook(struct strbuf *out, const struct ad_user *u)
{
	const json_t *d = u->dom;

	strbuf_addstr(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
		      "  <Response xmlns=\"" AUTODISCOVER_NS_OUTLOOK_RESP "\">\n");
	user_block(out, u);
	strbuf_addstr(out, "    <Account>\n      <AccountType>email</AccountType>\n"
		      "      <Action>settings</Action>\n");
	if (str(d, "exch_server")) {
		strbuf_addstr(out, "      <Protocol>\n        <Type>EXCH</Type>\n");
		el(out, 8, "Server", str(d, "exch_server"));
		urls(out, d);
		strbuf_addstr(out, "      </Protocol>\n");
	}
	if (str(d, "outlook_anywhere")) {
		strbuf_addstr(out, "      <Protocol>\n        <Type>EXPR</Type>\n");
		el(out, 8, "Server", str(d, "outlook_anywhere"));
		el(out, 8, "SSL", conf_bool(d, "outlook_anywhere_ssl") ? "On" : "Off");
		el(out, 8, "AuthPackage", conf_str(d, "outlook_anywhere_auth"));
		el(out, 8, "CertPrincipalName", str(d, "cert_principal_name"));
		urls(out, d);
		strbuf_addstr(out, "      </Protocol>\n");
	}
	if (str(d, "owa_url")) {
		strbuf_addstr(out, "      <Protocol>\n        <Type>WEB</Type>\n"
			      "        <External>\n          <OWAUrl AuthenticationMethod=\"Fba\">");
		http_xml_escape(out, str(d, "owa_url"));
		strbuf_addstr(out, "</OWAUrl>\n        </External>\n        <Internal>\n"
			      "          <OWAUrl AuthenticationMethod=\"Fba\">");
		http_xml_escape(out, str(d, "owa_url"));
		strbuf_addstr(out, "</OWAUrl>\n        </Internal>\n      </Protocol>\n");
	}
	mail_protocol(out, u, "imap", "IMAP");
	mail_protocol(out, u, "pop", "POP3");
	mail_protocol(out, u, "smtp", "SMTP");
	strbuf_addstr(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

int ad_doc_mobilesync(struct strbuf *out, const struct ad_user *u)
{
	const char *url = str(u->dom, "activesync_url");

	if (url == NULL)
		return -1;
	strbuf_addstr(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
		      "  <Response xmlns=\"" AUTODISCOVER_NS_MOBILE_RESP "\">\n"
		      "    <Culture>en:us</Culture>\n    <User>\n");
	el(out, 6, "DisplayName", u->display);
	el(out, 6, "EMailAddress", u->primary[0] ? u->primary : u->address);
	strbuf_addstr(out, "    </User>\n    <Action>\n      <Settings>\n        <Server>\n"
		      "          <Type>MobileSync</Type>\n");
	el(out, 10, "Url", url);
	el(out, 10, "Name", url);
	strbuf_addstr(out, "        </Server>\n      </Settings>\n    </Action>\n"
		      "  </Response>\n</Autodiscover>\n");
	return 0;
}

void ad_doc_redirect_addr(struct strbuf *out, enum autodiscover_schema s, const char *addr)
{
	if (s == AUTODISCOVER_MOBILESYNC) {
		strbuf_addstr(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
			      "  <Response xmlns=\"" AUTODISCOVER_NS_MOBILE_RESP "\">\n"
			      "    <Culture>en:us</Culture>\n    <Action>\n");
		el(out, 6, "Redirect", addr);
		strbuf_addstr(out, "    </Action>\n  </Response>\n</Autodiscover>\n");
		return;
	}
	strbuf_addstr(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
		      "  <Response xmlns=\"" AUTODISCOVER_NS_OUTLOOK_RESP "\">\n"
		      "    <Account>\n      <AccountType>email</AccountType>\n"
		      "      <Action>redirectAddr</Action>\n");
	el(out, 6, "RedirectAddr", addr);
	strbuf_addstr(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

void ad_doc_redirect_url(struct strbuf *out, const char *url)
{
	strbuf_addstr(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
		      "  <Response xmlns=\"" AUTODISCOVER_NS_OUTLOOK_RESP "\">\n"
		      "    <Account>\n      <AccountType>email</AccountType>\n"
		      "      <Action>redirectUrl</Action>\n");
	el(out, 6, "RedirectUrl", url);
	strbuf_addstr(out, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

void ad_doc_error(struct strbuf *out, int code, const char *message, const char *debug)
{
	char t[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "%02d:%02d:%02d.%07ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 100);
	strbuf_addf(out, XML_DECL "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\">\n"
		    "  <Response>\n    <Error Time=\"%s\" Id=\"%u\">\n"
		    "      <ErrorCode>%d</ErrorCode>\n", t, (unsigned)getpid(), code);
	el(out, 6, "Message", message);
	if (debug && debug[0])
		el(out, 6, "DebugData", debug);
	else
		strbuf_addstr(out, "      <DebugData />\n");
	strbuf_addstr(out, "    </Error>\n  </Response>\n</Autodiscover>\n");
}

int ad_answer(struct ad *a, enum autodiscover_schema s, const char *address, struct strbuf *out)
{
	struct ad_user u;
	enum ad_user_status st = ad_user_lookup(a, address, &u);

	switch (st) {
	case AD_USER_BAD:
		ad_doc_error(out, AUTODISCOVER_E_INVALID, "Invalid Request", "bad address");
		return AUTODISCOVER_E_INVALID;
	case AD_USER_TEMPFAIL:
		ad_doc_error(out, AUTODISCOVER_E_INTERNAL, "Error while processing the request.", NULL);
		return AUTODISCOVER_E_INTERNAL;
	case AD_USER_REDIRECT:
		ad_doc_redirect_addr(out, s, u.primary);
		return 0;
	case AD_USER_UNKNOWN:
	case AD_DOMAIN_UNKNOWN:
		ad_doc_error(out, AUTODISCOVER_E_ADDRESS, "The email address can't be found.", NULL);
		return AUTODISCOVER_E_ADDRESS;
	case AD_USER_KNOWN:
	case AD_USER_GENERIC:
		break;
	}
	if (s == AUTODISCOVER_OUTLOOK && str(u.dom, "redirect_url")) {
		ad_doc_redirect_url(out, str(u.dom, "redirect_url"));
		return 0;
	}
	if (s == AUTODISCOVER_MOBILESYNC) {
		if (ad_doc_mobilesync(out, &u) == 0)
			return 0;
	} else if (str(u.dom, "exch_server") || str(u.dom, "outlook_anywhere") ||
		   str(u.dom, "owa_url") || server(u.dom, "imap") || server(u.dom, "pop") ||
		   server(u.dom, "smtp")) {
		ad_doc_outlook(out, &u);
		return 0;
	}
	ad_doc_error(out, AUTODISCOVER_E_NOCONFIG,
		     "No configuration information is available for this address.", NULL);
	return AUTODISCOVER_E_NOCONFIG;
}

/* ---- Thunderbird ---- */

static const char *tb_socket(const char *sock)
{
	return strcmp(sock, "ssl") == 0 ? "SSL" : strcmp(sock, "starttls") == 0 ? "STARTTLS"
		: "plain";
}

static void tb_server(struct strbuf *out, const struct ad_user *u, const char *proto,
		      const char *tag, const char *type)
{
	const json_t *srv = server(u->dom, proto);

	if (srv == NULL)
		return;
	strbuf_addf(out, "    <%s type=\"%s\">\n", tag, type);
	el(out, 6, "hostname", conf_str(srv, "host"));
	strbuf_addf(out, "      <port>%d</port>\n", server_port(srv, proto));
	el(out, 6, "socketType", tb_socket(conf_str(srv, "socket")));
	el(out, 6, "authentication", "password-cleartext");
	el(out, 6, "username", u->known ? u->login : strcmp(conf_str(u->dom, "login"), "localpart")
	   == 0 ? "%EMAILLOCALPART%" : "%EMAILADDRESS%");
	strbuf_addf(out, "    </%s>\n", tag);
}

void ad_doc_autoconfig(struct strbuf *out, const struct ad_user *u)
{
	const char *name = str(u->dom, "display_name");

	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<clientConfig version=\"1.1\">\n  <emailProvider id=\"");
	http_xml_escape(out, u->domain);
	strbuf_addstr(out, "\">\n");
	el(out, 4, "domain", u->domain);
	el(out, 4, "displayName", name ? name : u->domain);
	el(out, 4, "displayShortName", name ? name : u->domain);
	tb_server(out, u, "imap", "incomingServer", "imap");
	tb_server(out, u, "pop", "incomingServer", "pop3");
	tb_server(out, u, "smtp", "outgoingServer", "smtp");
	strbuf_addstr(out, "  </emailProvider>\n");
	if (str(u->dom, "owa_url")) {
		strbuf_addstr(out, "  <webMail>\n    <loginPage url=\"");
		http_xml_escape(out, str(u->dom, "owa_url"));
		strbuf_addstr(out, "\" />\n  </webMail>\n");
	}
	strbuf_addstr(out, "</clientConfig>\n");
}

/* ---- Apple ---- */

/* A stable UUID from what the payload is for: the same profile comes
 * out of every run (static hosting, cron) and replaces itself on the
 * device. */
static void uuid_for(char buf[37], const char *what, const char *addr)
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, what, strlen(what));
	EVP_DigestUpdate(c, "\n", 1);
	EVP_DigestUpdate(c, addr, strlen(addr));
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);	/* version 5 style */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
}

static void kv(struct strbuf *out, int indent, const char *key, const char *value)
{
	if (value == NULL)
		return;
	strbuf_addf(out, "%*s<key>%s</key>\n", indent, "", key);
	strbuf_addf(out, "%*s<string>", indent, "");
	http_xml_escape(out, value);
	strbuf_addstr(out, "</string>\n");
}

static void kint(struct strbuf *out, int indent, const char *key, long long v)
{
	strbuf_addf(out, "%*s<key>%s</key>\n%*s<integer>%lld</integer>\n", indent, "", key,
		    indent, "", v);
}

static void kbool(struct strbuf *out, int indent, const char *key, bool v)
{
	strbuf_addf(out, "%*s<key>%s</key>\n%*s<%s/>\n", indent, "", key, indent, "",
		    v ? "true" : "false");
}

/* Host of an https URL ("https://mail.x/Microsoft-Server-ActiveSync"). */
static void url_host(const char *url, char *buf, size_t size)
{
	const char *p = strstr(url, "://"), *e;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/:?#");
	snprintf(buf, size, "%.*s", (int)(e - p), p);
}

static void payload_head(struct strbuf *out, const struct ad_user *u, const char *type,
			 const char *what, const char *name)
{
	char uuid[37], id[600];

	uuid_for(uuid, what, u->address);
	snprintf(id, sizeof(id), "autodiscover.%s.%s", u->domain, what);
	strbuf_addstr(out, "      <dict>\n");
	kv(out, 8, "PayloadType", type);
	kint(out, 8, "PayloadVersion", 1);
	kv(out, 8, "PayloadIdentifier", id);
	kv(out, 8, "PayloadUUID", uuid);
	kv(out, 8, "PayloadDisplayName", name);
}

static void apple_eas(struct strbuf *out, const struct ad_user *u)
{
	const char *url = str(u->dom, "activesync_url");
	char host[256];

	if (url == NULL)
		return;
	url_host(url, host, sizeof(host));
	payload_head(out, u, "com.apple.eas.account", "eas", "Exchange ActiveSync");
	kv(out, 8, "EmailAddress", u->primary[0] ? u->primary : u->address);
	kv(out, 8, "UserName", u->login);
	kv(out, 8, "Host", host);
	kbool(out, 8, "SSL", strncmp(url, "https:", 6) == 0);
	strbuf_addstr(out, "      </dict>\n");
}

static void apple_mail(struct strbuf *out, const struct ad_user *u)
{
	const json_t *in = server(u->dom, "imap"), *sm = server(u->dom, "smtp");
	const char *proto = "imap";

	if (in == NULL) {
		in = server(u->dom, "pop");
		proto = "pop";
	}
	if (in == NULL || sm == NULL)
		return;
	payload_head(out, u, "com.apple.mail.managed", "mail", "Mail");
	kv(out, 8, "EmailAccountDescription", u->domain);
	kv(out, 8, "EmailAccountName", u->display);
	kv(out, 8, "EmailAccountType", strcmp(proto, "imap") == 0 ? "EmailTypeIMAP" : "EmailTypePOP");
	kv(out, 8, "EmailAddress", u->primary[0] ? u->primary : u->address);
	kv(out, 8, "IncomingMailServerAuthentication", "EmailAuthPassword");
	kv(out, 8, "IncomingMailServerHostName", conf_str(in, "host"));
	kint(out, 8, "IncomingMailServerPortNumber", server_port(in, proto));
	kbool(out, 8, "IncomingMailServerUseSSL", strcmp(conf_str(in, "socket"), "plain") != 0);
	kv(out, 8, "IncomingMailServerUsername", u->login);
	kv(out, 8, "OutgoingMailServerAuthentication", "EmailAuthPassword");
	kv(out, 8, "OutgoingMailServerHostName", conf_str(sm, "host"));
	kint(out, 8, "OutgoingMailServerPortNumber", server_port(sm, "smtp"));
	kbool(out, 8, "OutgoingMailServerUseSSL", strcmp(conf_str(sm, "socket"), "plain") != 0);
	kv(out, 8, "OutgoingMailServerUsername", u->login);
	kbool(out, 8, "OutgoingPasswordSameAsIncomingPassword", true);
	strbuf_addstr(out, "      </dict>\n");
}

void ad_doc_mobileconfig(struct strbuf *out, const struct ad_user *u)
{
	const char *name = str(u->dom, "display_name");
	char uuid[37], id[600];

	uuid_for(uuid, "profile", u->address);
	snprintf(id, sizeof(id), "autodiscover.%s", u->domain);
	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
		      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		      "<plist version=\"1.0\">\n  <dict>\n    <key>PayloadContent</key>\n"
		      "    <array>\n");
	apple_eas(out, u);
	apple_mail(out, u);
	strbuf_addstr(out, "    </array>\n");
	kv(out, 4, "PayloadDisplayName", name ? name : u->domain);
	kv(out, 4, "PayloadDescription", u->primary[0] ? u->primary : u->address);
	kv(out, 4, "PayloadIdentifier", id);
	if (u->org && u->org[0])
		kv(out, 4, "PayloadOrganization", u->org);
	kv(out, 4, "PayloadType", "Configuration");
	kv(out, 4, "PayloadUUID", uuid);
	kint(out, 4, "PayloadVersion", 1);
	strbuf_addstr(out, "  </dict>\n</plist>\n");
}

int ad_sign(const struct strbuf *in, const char *cert, const char *key, struct strbuf *out)
{
	FILE *fp = fopen(cert, "r"), *kp;
	X509 *x = NULL, *c;
	STACK_OF(X509) *chain = sk_X509_new_null();
	EVP_PKEY *pk = NULL;
	BIO *data = NULL, *mem = NULL;
	CMS_ContentInfo *cms = NULL;
	BUF_MEM *bm;
	int rc = -1;

	if (fp == NULL) {
		msg_error("cannot open '%s': %m", cert);
		goto done;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	while ((c = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
		sk_X509_push(chain, c);
	fclose(fp);
	if ((kp = fopen(key, "r")) != NULL) {
		pk = PEM_read_PrivateKey(kp, NULL, NULL, NULL);
		fclose(kp);
	}
	if (x == NULL || pk == NULL) {
		msg_error("cannot read the signing certificate and key: cert=%s key=%s", cert, key);
		goto done;
	}
	data = BIO_new_mem_buf(in->buf, (int)in->len);
	cms = CMS_sign(x, pk, chain, data, CMS_BINARY | CMS_NOSMIMECAP);
	if (cms == NULL) {
		msg_error("cannot sign the profile");
		goto done;
	}
	mem = BIO_new(BIO_s_mem());
	if (i2d_CMS_bio(mem, cms) != 1)
		goto done;
	BIO_get_mem_ptr(mem, &bm);
	strbuf_add(out, bm->data, bm->length);
	rc = 0;
done:
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	BIO_free(mem);
	X509_free(x);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(pk);
	return rc;
}
