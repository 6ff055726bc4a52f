/* certsel's output: the chosen path alone, the ranked --list, one --json
 * object, or a Nagios status line for --check. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tls/names.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "certsel.h"

static long days_left(time_t not_after, time_t at)
{
	return (long)((not_after - at) / 86400);
}

/* Exit code for the normal and --json modes. */
static int exit_code(int rc)
{
	switch (rc) {
	case CERTSTORE_CHOSEN: return 0;
	case CERTSTORE_NONE: return EX_NEGATIVE;
	case CERTSTORE_ERR_GENERATE: return EX_CANTCREAT;
	default: return EX_NOINPUT;
	}
}

/* The log lines every run gives: the choice, the expiry warning, or why
 * there is none (with each refusal, for whoever reads the cron mail). */
static void log_outcome(const struct certsel *cs, int rc, const struct certstore_choice *ch,
			const struct certstore_list *l, const char *why)
{
	char when[32];
	long days;

	if (rc != CERTSTORE_CHOSEN) {
		for (size_t i = 0; l && i < l->n; i++)
			if (!l->c[i].valid)
				msg_info("refused certificate path=%s reason=%s",
					 msg_q(l->c[i].path), msg_q(l->c[i].reason));
		msg_error("%s", why);
		return;
	}
	certstore_choice_log(ch, cs->at);
	days = days_left(ch->not_after, cs->at);
	if (days <= cs->warn_days) {
		cert_time_format(ch->not_after, when, sizeof(when));
		msg_warn("certificate expires soon path=%s not_after=%s days_left=%ld warn_days=%ld",
			 msg_q(ch->cert_path), when, days, cs->warn_days);
	}
}

int report_path(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		const struct certstore_list *l, const char *why)
{
	log_outcome(cs, rc, ch, l, why);
	if (rc == CERTSTORE_CHOSEN)
		printf("%s\n", ch->cert_path);
	return exit_code(rc);
}

int report_list(const struct certsel *cs, int rc, const struct certstore_list *l,
		const char *why)
{
	char when[32], rank[16];

	if (rc < 0) {
		msg_error("%s", why);
		return exit_code(rc);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct certstore_cand *c = &l->c[i];

		snprintf(rank, sizeof(rank), c->valid ? "%d" : "-", c->rank);
		if (c->not_after)
			cert_time_format(c->not_after, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "-");
		printf("%-3s %-11s %-20s %s%s%s\n", rank,
		       !c->valid ? "refused" : c->self_signed ? "self-signed" : "ca-issued",
		       when, c->path, c->valid ? "" : ": ", c->reason);
	}
	return l->nvalid ? 0 : EX_NEGATIVE;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jtime(time_t t)
{
	char when[32];

	if (!t)
		return json_null();
	cert_time_format(t, when, sizeof(when));
	return json_string(when);
}

/* The facts about one certificate: names, thumbprints in both forms. */
static void json_cert(json_t *o, X509 *x)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[CERT_FP_MAX];

	cert_subject(x, &sb);
	json_object_set_new(o, "subject", json_string(sb.buf));
	strbuf_reset(&sb);
	cert_issuer(x, &sb);
	json_object_set_new(o, "issuer", json_string(sb.buf));
	strbuf_reset(&sb);
	tls_names_list(x, &sb);
	json_object_set_new(o, "names", json_string(sb.buf));
	strbuf_release(&sb);
	cert_serial(x, buf, sizeof(buf));
	json_object_set_new(o, "serial", json_string(buf));
	cert_fingerprint(x, EVP_sha1(), true, buf, sizeof(buf));
	json_object_set_new(o, "sha1", json_string(buf));
	cert_fingerprint(x, EVP_sha1(), false, buf, sizeof(buf));
	json_object_set_new(o, "thumbprint", json_string(buf));
	cert_fingerprint(x, EVP_sha256(), true, buf, sizeof(buf));
	json_object_set_new(o, "sha256", json_string(buf));
	json_object_set_new(o, "not_before", jtime(cert_not_before(x)));
}

static json_t *json_cand(const struct certsel *cs, const struct certstore_cand *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "rank", c->valid ? json_integer(c->rank) : json_null());
	json_object_set_new(o, "path", json_string(c->path));
	json_object_set_new(o, "key", jstr(c->key_path));
	json_object_set_new(o, "valid", json_boolean(c->valid));
	json_object_set_new(o, "reason", c->valid ? json_null() : json_string(c->reason));
	if (c->b.cert) {
		json_object_set_new(o, "self_signed", json_boolean(c->self_signed));
		json_cert(o, c->b.cert);
		json_object_set_new(o, "not_after", jtime(c->not_after));
		json_object_set_new(o, "days_left", json_integer(days_left(c->not_after, cs->at)));
	}
	return o;
}

static json_t *json_chosen(const struct certsel *cs, const struct certstore_choice *ch)
{
	json_t *o = json_object();
	long days = days_left(ch->not_after, cs->at);

	json_object_set_new(o, "path", json_string(ch->cert_path));
	json_object_set_new(o, "key", jstr(ch->key_path));
	json_object_set_new(o, "self_signed", json_boolean(ch->self_signed));
	json_object_set_new(o, "generated", json_boolean(ch->generated));
	json_cert(o, ch->cert);
	json_object_set_new(o, "not_after", jtime(ch->not_after));
	json_object_set_new(o, "days_left", json_integer(days));
	json_object_set_new(o, "expiring", json_boolean(days <= cs->warn_days));
	return o;
}

int report_json(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		const struct certstore_list *l, const char *why)
{
	json_t *o = json_object(), *names = json_array(), *cands = json_array();

	log_outcome(cs, rc, ch, l, why);
	for (size_t i = 0; i < cs->q.nnames; i++)
		json_array_append_new(names, json_string(cs->q.names[i]));
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(cands, json_cand(cs, &l->c[i]));
	json_object_set_new(o, "store", json_string(cs->q.store));
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "purpose", json_string(cert_purpose_name(cs->q.purpose)));
	json_object_set_new(o, "at", jtime(cs->at));
	json_object_set_new(o, "chosen", rc == CERTSTORE_CHOSEN ? json_chosen(cs, ch) : json_null());
	json_object_set_new(o, "error", rc == CERTSTORE_CHOSEN ? json_null() : json_string(why));
	json_object_set_new(o, "candidates", cands);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(o);
	return exit_code(rc);
}

/* What the status line names: the first name, else the subject. */
static void check_label(const struct certsel *cs, const struct certstore_choice *ch,
			struct strbuf *sb)
{
	if (cs->q.nnames)
		strbuf_addstr(sb, cs->q.names[0]);
	else if (ch && ch->cert)
		cert_subject(ch->cert, sb);
	else
		strbuf_addstr(sb, cs->q.store);
}

static int check_none(const struct certsel *cs, const struct certstore_list *l,
		      const char *label)
{
	printf("CERTSEL CRITICAL - no valid certificate for %s in %s", label, cs->q.store);
	if (l->n == 1)
		printf(": %s: %s", l->c[0].path, l->c[0].reason);
	else if (l->n > 1)
		printf(" (%zu refused; certsel --list says why)", l->n);
	printf("\n");
	return CHECK_CRITICAL;
}

int report_check(const struct certsel *cs, int rc, const struct certstore_choice *ch,
		 const struct certstore_list *l, const char *why)
{
	struct strbuf label = STRBUF_INIT;
	char when[32];
	long days;
	int code;

	check_label(cs, rc == CERTSTORE_CHOSEN ? ch : NULL, &label);
	if (rc < 0) {
		printf("CERTSEL UNKNOWN - %s\n", why);
		code = CHECK_UNKNOWN;
	} else if (rc == CERTSTORE_NONE) {
		code = check_none(cs, l, label.buf);
	} else {
		days = days_left(ch->not_after, cs->at);
		code = days <= cs->warn_days ? CHECK_WARNING : CHECK_OK;
		cert_time_format(ch->not_after, when, sizeof(when));
		printf("CERTSEL %s - %s expires in %ld days (%s) | days=%ld\n",
		       code == CHECK_OK ? "OK" : "WARNING", label.buf, days, when, days);
	}
	strbuf_release(&label);
	return code;
}
