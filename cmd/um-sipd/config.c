/* um-sipd's config keys (one table: parsing, -n, the man page,
 * completion), the dial plans and the state made from them in the
 * listener, and the certificate: chosen by certsel's order, logged, and
 * watched for expiry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "media/tone.h"
#include "media/wav.h"
#include "sipd.h"
#include "tls/certstore.h"
#include "util/mem.h"
#include "util/msg.h"

static const struct conf_key plan_keys[] = {
	{ "extensions", CONF_STRINGS, NULL, 0, 0, NULL, NULL, CONF_REQUIRED,
	  "numbers of the plan: \"1234\", a prefix \"12*\", or a pattern \"1xxx\" (x a digit)" },
	{ "security", CONF_ENUM, "\"secured\"", 0, 0, "unsecured|sip-secured|secured", NULL, 0,
	  "unsecured (TCP or TLS), sip-secured (mutual TLS, RTP in clear) or secured "
	  "(mutual TLS and SRTP with SDES keys)" },
	{ "gateways", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "FQDNs of the trusted gateways and IP-PBXs: the client certificate must name one "
	  "(SAN dNSName or sip: URI, RFC 5922, no wildcards)" },
	{ "addresses", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "unsecured plans: gateway IP addresses calls may come from (empty: any)" },
	{ "greeting", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "greeting WAV of this plan (8 kHz mono, 16-bit PCM or G.711)" },
	{ "catch_all", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "mailbox for numbers of this plan not in the directory (absent: 404)" },
	{ NULL }
};

static const struct conf_key smtp_keys[] = {
	{ "host", CONF_STRING, "\"127.0.0.1\"", 0, 0, NULL, NULL, 0,
	  "the MTA voicemail is handed to (an IP address)" },
	{ "port", CONF_INT, "25", 1, 65535, NULL, NULL, 0, "its port" },
	{ "from", CONF_STRING, "\"voicemail@localhost\"", 0, 0, NULL, NULL, 0,
	  "envelope and header sender of voicemail" },
	{ "helo", CONF_STRING, NULL, 0, 0, NULL, NULL, 0, "our name in EHLO (absent: hostname)" },
	{ "timeout", CONF_DURATION, "\"60s\"", 100, 3600000, NULL, NULL, 0,
	  "each SMTP reply" },
	{ "retry_min", CONF_DURATION, "\"1m\"", 100, 86400000, NULL, NULL, 0,
	  "first delay before a failed delivery is tried again; doubled after each failure" },
	{ "retry_max", CONF_DURATION, "\"1h\"", 100, 86400000, NULL, NULL, 0,
	  "longest delay between two attempts" },
	{ NULL }
};

static const struct conf_key sipd_keys[] = {
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, serve_conf_keys, 0, NULL },
	{ "udp_listen", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "SIP over UDP on these addresses (\"127.0.0.1:5060\"); unsecured plans only; one process "
	  "for all, which keeps its settings until restart" },
	{ "tls_listeners", CONF_STRINGS, "[\"sips\"]", 0, 0, NULL, NULL, 0,
	  "names of the listeners (in listen, or LISTEN_FDNAMES) that speak TLS (SIP over TLS, 5061)" },
	{ "tls", CONF_OBJECT, NULL, 0, 0, NULL, tls_conf_keys, 0,
	  "our certificate (\"cert\": \"auto\" picks from the store by certsel's order and "
	  "generates a self-signed one if none is valid) and the CAs gateways chain to" },
	{ "cert_warn_days", CONF_INT, "30", 0, 3650, NULL, NULL, 0,
	  "warn when the certificate expires within this many days" },
	{ "cert_check_interval", CONF_DURATION, "\"1d\"", 100, 604800000, NULL, NULL, 0,
	  "how often the expiry is checked (and warned about)" },
	{ "dial_plans", CONF_MAP, "{}", 0, 0, NULL, plan_keys, 0,
	  "dial plans by name: extensions, security mode, trusted gateways" },
	{ "start_secured", CONF_INT, "0", 0, 1, NULL, NULL, 0,
	  "with no dial plan: 0 takes every call, 1 only mutual TLS with a verified chain and SRTP" },
	{ "hostname", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "our name in Contact and EHLO (absent: the host name)" },
	{ "media_address", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "IP address for RTP (empty: the address the call's connection came in on)" },
	{ "rtp_port_min", CONF_INT, "20000", 1024, 65534, NULL, NULL, 0, "lowest RTP port" },
	{ "rtp_port_max", CONF_INT, "30000", 1025, 65535, NULL, NULL, 0, "highest RTP port" },
	{ "greeting", CONF_PATH, "\"\"", 0, 0, NULL, NULL, 0,
	  "greeting WAV (8 kHz mono, 16-bit PCM or G.711); empty: the built-in chime; \"none\": no greeting" },
	{ "greetings_dir", CONF_PATH, "\"\"", 0, 0, NULL, NULL, 0,
	  "per-user greetings: DIR/NUMBER.wav, NUMBER as normalised (digits and a leading +)" },
	{ "beep", CONF_BOOL, "true", 0, 0, NULL, NULL, 0, "play a beep before recording" },
	{ "answer_delay", CONF_DURATION, "\"0s\"", 0, 60000, NULL, NULL, 0,
	  "ringing (180) before the call is answered (200)" },
	{ "max_length", CONF_DURATION, "\"5m\"", 1000, 3600000, NULL, NULL, 0,
	  "longest recording; um-sipd then ends the call with BYE" },
	{ "min_length", CONF_DURATION, "\"1s\"", 0, 60000, NULL, NULL, 0,
	  "shorter recordings are dropped" },
	{ "silence_timeout", CONF_DURATION, "\"0s\"", 0, 600000, NULL, NULL, 0,
	  "end the recording after this much silence (0: never)" },
	{ "silence_level", CONF_INT, "200", 0, 32767, NULL, NULL, 0,
	  "RMS level below which a packet counts as silence" },
	{ "t1", CONF_DURATION, "\"500ms\"", 10, 10000, NULL, NULL, 0,
	  "RFC 3261 T1: first 2xx retransmission interval; no ACK after 64*T1 ends the call" },
	{ "idle_timeout", CONF_DURATION, "\"15m\"", 1000, 86400000, NULL, NULL, 0,
	  "close a connection with no call and no message for this long" },
	{ "max_calls", CONF_INT, "200", 1, 100000, NULL, NULL, 0,
	  "calls at once on one connection (more get 486)" },
	{ "catch_all", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "mailbox for numbers not in the directory (absent: 404)" },
	{ "spool_dir", CONF_PATH, "\"/var/spool/postern/um\"", 0, 0, NULL, NULL, 0,
	  "recordings wait here, as complete mails, until the MTA said 250" },
	{ "spool_scan", CONF_DURATION, "\"30s\"", 100, 3600000, NULL, NULL, 0,
	  "how often the spool is looked at for files due" },
	{ "smtp", CONF_OBJECT, NULL, 0, 0, NULL, smtp_keys, 0, "delivery of voicemail" },
	{ NULL }
};

const struct conf_section sipd_conf_section = {
	"um-sipd", sipd_keys, "Unified Messaging voicemail over secure SIP"
};

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *plan_security_name(enum plan_security s)
{
	return s == PLAN_SECURED ? "secured" : s == PLAN_SIP_SECURED ? "sip-secured" : "unsecured";
}

static char **strings_dup(const json_t *node, const char *key, size_t *n)
{
	size_t k = conf_strings_len(node, key);
	char **v = xcalloc(k + 1, sizeof(*v));

	for (size_t i = 0; i < k; i++)
		v[i] = xstrdup(conf_strings_at(node, key, i));
	*n = k;
	return v;
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int greeting_load(const char *path, int16_t **pcm, size_t *len)
{
	struct wav_info info;
	char why[128];

	if (wav_read_file(path, &info, pcm, why, sizeof(why)) < 0) {
		msg_error("cannot read greeting '%s': %s", path, why);
		return -1;
	}
	if (info.rate != 8000) {
		msg_error("cannot use greeting '%s': %u Hz, not 8000", path, info.rate);
		free(*pcm);
		*pcm = NULL;
		return -1;
	}
	*len = info.samples;
	return 0;
}

static int plans_load(struct sipd *d)
{
	json_t *plans = conf_get(d->sec, "dial_plans"), *v;
	const char *name;

	d->nplans = json_object_size(plans);
	d->plans = xcalloc(d->nplans + 1, sizeof(*d->plans));
	d->nplans = 0;
	json_object_foreach(plans, name, v) {
		struct dial_plan *p = &d->plans[d->nplans++];
		const char *sec = conf_str(v, "security"), *g = conf_str(v, "greeting");

		p->name = xstrdup(name);
		p->security = strcmp(sec, "secured") == 0 ? PLAN_SECURED :
			strcmp(sec, "sip-secured") == 0 ? PLAN_SIP_SECURED : PLAN_UNSECURED;
		p->extensions = strings_dup(v, "extensions", &p->nextensions);
		p->gateways = strings_dup(v, "gateways", &p->ngateways);
		p->addresses = strings_dup(v, "addresses", &p->naddresses);
		if (conf_str(v, "catch_all"))
			p->catch_all = xstrdup(conf_str(v, "catch_all"));
		if (p->security != PLAN_UNSECURED && p->ngateways == 0) {
			msg_error("dial plan %s: a %s plan needs gateways", name, sec);
			return -1;
		}
		if (p->security != PLAN_UNSECURED && d->tls == NULL) {
			msg_error("dial plan %s: a %s plan needs a TLS listener and tls.cert", name, sec);
			return -1;
		}
		if (g && *g && greeting_load(g, &p->greeting, &p->greeting_len) < 0)
			return -1;
	}
	return 0;
}

static bool ext_match(const char *pat, const char *num)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return strncmp(pat, num, n - 1) == 0;
	for (; *pat && *num; pat++, num++)
		if (!((*pat == 'x' || *pat == 'X') ? (*num >= '0' && *num <= '9') : *pat == *num))
			return false;
	return *pat == 0 && *num == 0;
}

const struct dial_plan *sipd_plan_for(const struct sipd *d, const char *number)
{
	for (size_t i = 0; i < d->nplans; i++)
		for (size_t k = 0; k < d->plans[i].nextensions; k++)
			if (ext_match(d->plans[i].extensions[k], number))
				return &d->plans[i];
	return NULL;
}

static char *str_or(const json_t *n, const char *k, const char *def)
{
	const char *v = conf_str(n, k);

	return xstrdup(v ? v : def);
}

static bool check_only;

void sipd_check_only(void)
{
	check_only = true;
}

/* The certificate for TLS: "auto" is certsel's choice from the store,
 * generated (self-signed) when none is valid; a file is used as it is.
 * Either way the choice is logged with issuer, serial and thumbprint. */
int sipd_cert_setup(struct sipd *d, struct tls_policy *p)
{
	struct certstore_choice ch;
	char why[CERTSTORE_WHY_MAX];
	const struct tls_strings *names = p->cert_names.n ? &p->cert_names : &p->names;
	const char *one = d->hostname;
	struct certstore_query q = {
		.store = p->cert_store,
		.names = names->n ? (const char *const *)names->v : &one,
		.nnames = names->n ? names->n : 1,
		.purpose = CERT_PURPOSE_SERVER,
		.generate = !check_only,
	};
	int rc;

	if (!p->cert_auto) {
		struct cert_bundle b;
		struct strbuf iss = STRBUF_INIT;
		char serial[80], sha1[CERT_FP_MAX], when[32];

		if (p->cert_file == NULL) {
			msg_error("a TLS listener needs tls.cert");
			return -1;
		}
		if (cert_load_file(p->cert_file, NULL, &b, why, sizeof(why)) < 0 || b.cert == NULL) {
			msg_error("cannot load certificate '%s': %s", p->cert_file,
				  b.cert ? why : "no certificate");
			return -1;
		}
		cert_issuer(b.cert, &iss);
		cert_serial(b.cert, serial, sizeof(serial));
		cert_fingerprint(b.cert, EVP_sha1(), true, sha1, sizeof(sha1));
		cert_time_format(cert_not_after(b.cert), when, sizeof(when));
		msg_info("certificate path=%s issuer=%s serial=%s sha1=%s not_after=%s days_left=%ld",
			 msg_q(p->cert_file), msg_q(iss.buf), serial, sha1, when,
			 (long)((cert_not_after(b.cert) - time(NULL)) / 86400));
		free(d->cert_path);
		d->cert_path = xstrdup(p->cert_file);
		snprintf(d->cert_sha1, sizeof(d->cert_sha1), "%s", sha1);
		strbuf_release(&iss);
		cert_bundle_free(&b);
		return 0;
	}
	if (p->cert_store == NULL) {
		msg_error("\"cert\": \"auto\" needs tls.store");
		return -1;
	}
	rc = certstore_select(&q, &ch, NULL, why, sizeof(why));
	if (rc == CERTSTORE_NONE && check_only) {
		msg_warn("%s: at start um-sipd generates a self-signed one", why);
		return 1;
	}
	if (rc != CERTSTORE_CHOSEN) {
		msg_error("no certificate in store '%s': %s", p->cert_store, why);
		return -1;
	}
	if (ch.generated)
		msg_warn("no valid certificate in store '%s': generated a self-signed one path=%s",
			 p->cert_store, msg_q(ch.cert_path));
	{
		char when[32];

		cert_time_format(ch.not_after, when, sizeof(when));
		msg_info("certificate path=%s issuer=%s serial=%s sha1=%s not_after=%s days_left=%ld%s",
			 msg_q(ch.cert_path), msg_q(ch.issuer), ch.serial, ch.sha1, when,
			 (long)((ch.not_after - time(NULL)) / 86400),
			 ch.self_signed ? " self_signed=yes" : "");
	}
	/* The context loads the chosen files; "auto" is resolved here so the
	 * self-signed fallback and the log line stay in one place. */
	p->cert_auto = false;
	free(p->cert_file);
	free(p->key_file);
	p->cert_file = xstrdup(ch.cert_path);
	p->key_file = ch.key_path && strcmp(ch.key_path, ch.cert_path) ? xstrdup(ch.key_path) : NULL;
	free(d->cert_path);
	d->cert_path = xstrdup(ch.cert_path);
	snprintf(d->cert_sha1, sizeof(d->cert_sha1), "%s", ch.sha1);
	certstore_choice_free(&ch);
	return 0;
}

void sipd_cert_check(const struct sipd *d)
{
	struct cert_bundle b;
	char why[CERT_WHY_MAX], when[32];
	time_t left;

	if (d->cert_path == NULL)
		return;
	if (cert_load_file(d->cert_path, NULL, &b, why, sizeof(why)) < 0 || b.cert == NULL) {
		msg_warn("cannot check certificate '%s': %s", d->cert_path, why);
		return;
	}
	left = cert_not_after(b.cert) - time(NULL);
	cert_time_format(cert_not_after(b.cert), when, sizeof(when));
	if (left <= 0)
		msg_error("certificate has expired path=%s not_after=%s", msg_q(d->cert_path), when);
	else if (left <= (time_t)d->warn_days * 86400)
		msg_warn("certificate expires soon path=%s not_after=%s days_left=%ld",
			 msg_q(d->cert_path), when, (long)(left / 86400));
	cert_bundle_free(&b);
}

static int tls_setup(struct sipd *d)
{
	json_t *t = conf_get(d->sec, "tls");
	struct tls_policy p;
	int rc = -1;

	if (t == NULL || (conf_str(t, "cert") == NULL)) {
		if (d->ntls_listeners && conf_strings_len(d->sec, "listen")) {
			for (size_t i = 0; i < conf_strings_len(d->sec, "listen"); i++) {
				const char *l = conf_strings_at(d->sec, "listen", i);

				for (size_t k = 0; k < d->ntls_listeners; k++) {
					size_t n = strlen(d->tls_listeners[k]);

					if (strncmp(l, d->tls_listeners[k], n) == 0 && l[n] == '=') {
						msg_error("listener %s speaks TLS: set tls.cert", l);
						return -1;
					}
				}
			}
		}
		return 0;
	}
	tls_policy_init(&p);
	if (tls_policy_from_conf(t, &p) == 0) {
		/* gateways are judged per dial plan after the handshake: ask
		 * for their certificate, never refuse in the handshake */
		if (p.mutual == TLS_MUTUAL_OFF)
			p.mutual = TLS_MUTUAL_OPTIONAL;
		p.verify = false;
		p.name_rule = TLS_NAMES_SIP;
		int c = sipd_cert_setup(d, &p);

		if (c == 1 || (c == 0 && (d->tls = tls_server_new(&p)) != NULL))
			rc = 0;
	}
	tls_policy_clear(&p);
	return rc;
}

int sipd_init(struct sipd *d, struct prog_state *st, struct conf *c)
{
	const json_t *s = conf_section(c, "um-sipd"), *smtp;
	char host[256] = "localhost";
	const char *g;

	memset(d, 0, sizeof(*d));
	d->st = st;
	d->conf = c;
	d->sec = s;
	gethostname(host, sizeof(host) - 1);
	d->hostname = str_or(s, "hostname", host);
	d->tls_listeners = strings_dup(s, "tls_listeners", &d->ntls_listeners);
	d->start_secured = (int)conf_int(s, "start_secured");
	d->media_address = xstrdup(conf_str(s, "media_address"));
	d->rtp_min = (unsigned)conf_int(s, "rtp_port_min") & ~1u;
	d->rtp_max = (unsigned)conf_int(s, "rtp_port_max");
	d->t1_ms = conf_int(s, "t1");
	d->answer_delay_ms = conf_int(s, "answer_delay");
	d->max_length_ms = conf_int(s, "max_length");
	d->min_length_ms = conf_int(s, "min_length");
	d->silence_ms = conf_int(s, "silence_timeout");
	d->silence_level = (int)conf_int(s, "silence_level");
	d->idle_timeout_ms = conf_int(s, "idle_timeout");
	d->max_calls = (size_t)conf_int(s, "max_calls");
	d->beep = conf_bool(s, "beep");
	d->warn_days = (int)conf_int(s, "cert_warn_days");
	d->cert_check_ms = conf_int(s, "cert_check_interval");
	if (conf_str(s, "catch_all"))
		d->catch_all = xstrdup(conf_str(s, "catch_all"));
	d->greetings_dir = xstrdup(conf_str(s, "greetings_dir"));
	d->spool_dir = xstrdup(conf_str(s, "spool_dir"));
	d->spool_scan_ms = conf_int(s, "spool_scan");
	smtp = conf_get(s, "smtp");
	d->smtp_host = str_or(smtp, "host", "127.0.0.1");
	d->smtp_port = (unsigned)conf_int(smtp, "port");
	d->mail_from = str_or(smtp, "from", "voicemail@localhost");
	d->helo = str_or(smtp, "helo", d->hostname);
	d->smtp_timeout_ms = conf_int(smtp, "timeout");
	d->retry_min_ms = conf_int(smtp, "retry_min");
	d->retry_max_ms = conf_int(smtp, "retry_max");
	if (d->rtp_max < d->rtp_min + 2) {
		msg_error("rtp_port_max must be above rtp_port_min");
		return -1;
	}
	if (tls_setup(d) < 0)
		return -1;
	if (plans_load(d) < 0)
		return -1;
	g = conf_str(s, "greeting");
	if (g && strcmp(g, "none") == 0) {
		d->greeting = NULL;
		d->greeting_len = 0;
	} else if (g && *g) {
		if (greeting_load(g, &d->greeting, &d->greeting_len) < 0)
			return -1;
	} else {
		d->greeting_len = tone_default_greeting(&d->greeting);
		d->greeting_builtin = true;
	}
	if ((d->dir = dir_open(conf_section(c, "directory"))) == NULL)
		return -1;
	if (access(d->spool_dir, W_OK) < 0) {
		msg_error("cannot use spool_dir '%s': %s", d->spool_dir, strerror(errno));
		return -1;
	}
	return 0;
}

void sipd_clear(struct sipd *d)
{
	for (size_t i = 0; i < d->nplans; i++) {
		struct dial_plan *p = &d->plans[i];

		free(p->name);
		strings_free(p->extensions, p->nextensions);
		strings_free(p->gateways, p->ngateways);
		strings_free(p->addresses, p->naddresses);
		free(p->greeting);
		free(p->catch_all);
	}
	free(d->plans);
	strings_free(d->tls_listeners, d->ntls_listeners);
	tls_ctx_free(d->tls);
	free(d->cert_path);
	dir_close(d->dir);
	free(d->greeting);
	free(d->greetings_dir);
	free(d->hostname);
	free(d->media_address);
	free(d->catch_all);
	free(d->spool_dir);
	free(d->smtp_host);
	free(d->mail_from);
	free(d->helo);
	if (d->own_conf)
		conf_free(d->conf);
	memset(d, 0, sizeof(*d));
}
