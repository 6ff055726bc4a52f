/* SPF, RFC 7208: whether a client IP may send mail for the MAIL FROM (or
 * HELO) domain, with the explanation, the Received-SPF header and the
 * spf= part of Authentication-Results, and the per-result actions of the
 * "spf" config object. */
#ifndef POSTERN_SPF_SPF_H
#define POSTERN_SPF_SPF_H

#include <jansson.h>
#include <time.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "util/strbuf.h"

enum spf_res {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};
#define SPF_RESULTS 7

#define SPF_LOOKUP_LIMIT 10	/* DNS-querying terms (4.6.4) */
#define SPF_VOID_LIMIT 2	/* lookups giving NXDOMAIN or no records */
#define SPF_NAMES_LIMIT 10	/* MX hosts, PTR names looked at (4.6.4) */

/* Keys of the "spf" object (for a CONF_OBJECT the program defines):
 * enabled, and an action per result named after it ("pass", "fail", ...):
 * accept|tag|reject|tempfail; defaults fail: reject, temperror: tempfail,
 * the others tag. */
extern const struct conf_key spf_conf_keys[];

enum spf_action { SPF_ACTION_ACCEPT, SPF_ACTION_TAG, SPF_ACTION_REJECT, SPF_ACTION_TEMPFAIL };

/* Everything plain arrays: nothing to free. */
struct spf_result {
	enum spf_res result;
	char identity[10];	/* "mailfrom" or "helo" */
	char ip[46];		/* the client, canonical */
	char sender[512];	/* the identity checked: MAIL FROM, or postmaster@HELO */
	char helo[256];
	char domain[256];	/* the domain whose record decided (after
				   redirect=; includes leave it at the top) */
	char mechanism[512];	/* the term that matched as written ("-all",
				   "ip4:192.0.2.0/24", "include:x"); "default"
				   when none did; "" for none/errors */
	char explanation[1024];	/* fail: exp= expanded, or the default text */
	char problem[256];	/* temperror, permerror: what went wrong */
	int lookups, void_lookups;
};

/* What spf_check needs; receiver names us for %{r} and Received-SPF
 * (NULL: the host name), now is %{t} (0: the time now). */
struct spf_request {
	const char *ip;
	const char *mail_from;	/* "" or "<>" for the null sender */
	const char *helo;
	const char *receiver;
	time_t now;
};

/* check_host() for the request: the MAIL FROM identity, or postmaster@HELO
 * when MAIL FROM is empty. Lookups go through dns (they wait on it, so
 * other pending lookups' callbacks may run). Returns r->result. */
enum spf_res spf_check_request(struct dns *dns, const struct spf_request *req,
			       struct spf_result *r);
/* The same with receiver and now left to their defaults. */
enum spf_res spf_check(struct dns *dns, const char *ip, const char *mail_from,
		       const char *helo, struct spf_result *r);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *spf_result_name(enum spf_res res);
/* The result named s, or -1. */
int spf_result_parse(const char *s);

/* The action the "spf" object gives for res (SPF_ACTION_ACCEPT when
 * enabled is false). */
enum spf_action spf_action_for(const json_t *spf_object, enum spf_res res);
/* "accept", "tag", "reject", "tempfail". */
const char *spf_action_name(enum spf_action a);
/* The SMTP reply for a reject or tempfail (no CRLF): "550 5.7.23 ..."
 * with the explanation, "451 4.7.24 ..." for temperror, "550 5.7.24" for
 * permerror (RFC 7372). */
void spf_reply(const struct spf_result *r, enum spf_action a, struct strbuf *out);

/* Appends a whole "Received-SPF: ..." header (RFC 7208 9.1), folded,
 * ending in CRLF. receiver: our host name, or NULL for the host name. */
void spf_received_header(const struct spf_result *r, const char *receiver, struct strbuf *out);
/* Appends the result as text lines for the shell (smtp-edge spf): the
 * result name alone, then identity=, domain=, mechanism=, explanation=,
 * problem=, lookups= lines (those without a value left out). */
void spf_result_format(const struct spf_result *r, struct strbuf *out);
/* Appends the Authentication-Results method part (RFC 8601):
 * "spf=pass smtp.mailfrom=user@example.test" (smtp.helo= for the helo
 * identity), without a leading ";". */
void spf_auth_results(const struct spf_result *r, struct strbuf *out);

#endif
