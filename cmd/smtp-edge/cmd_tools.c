/* smtp-edge spf and smtp-edge check-ip: layers 1 and 2's verdicts from the
 * shell, with the configured resolver and lists, for troubleshooting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd_tools.h"
#include "connfilter.h"
#include "dns/dns.h"
#include "edge.h"
#include "spf/spf.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "util/strbuf.h"

enum { T_IP = OPT_ID(80), T_SENDER, T_HELO, T_RECEIVER, T_POLICY };

const struct opt edge_tools_opts[] = {
	{ "ip", T_IP, OPT_ARG, "IP", NULL, "spf: the client address" },
	{ "sender", T_SENDER, OPT_ARG, "ADDR", NULL, "spf: the MAIL FROM address (empty: HELO check)" },
	{ "helo", T_HELO, OPT_ARG, "NAME", "host", "spf: the HELO name" },
	{ "receiver", T_RECEIVER, OPT_ARG, "NAME", "host", "spf: our name for %{r} and Received-SPF" },
	{ "policy", T_POLICY, OPT_ARG, "NAME", NULL,
	  "judge under this member of \"policies\" (its keys on top of the section's)" },
	{ NULL }
};

static struct {
	const char *ip, *sender, *helo, *receiver, *policy;
} tool;

int edge_tools_option(int id, const char *arg)
{
	switch (id) {
	case T_IP: tool.ip = arg; return 1;
	case T_SENDER: tool.sender = arg; return 1;
	case T_HELO: tool.helo = arg; return 1;
	case T_RECEIVER: tool.receiver = arg; return 1;
	case T_POLICY: tool.policy = arg; return 1;
	}
	return 0;
}

/* Options left after the command word (argv[0]); other operands kept in
 * rest[]. Returns the number of operands, or -1 on a usage error. */
static int tool_args(int argc, char **argv, char **rest, int max)
{
	const struct opt *tables[] = { edge_tools_opts, NULL };
	struct opt_state os;
	int n = 0, c;

	opt_init(&os, tables);
	for (;;) {
		c = opt_next(&os, argc, argv);
		if (c == '?')
			return -1;
		if (c != -1) {
			edge_tools_option(c, os.arg);
			continue;
		}
		if (os.ind >= argc)
			break;
		if (n == max)
			return -1;
		rest[n++] = argv[os.ind++];
	}
	return n;
}

static struct dns *tool_dns(struct prog_state *st)
{
	return dns_new(conf_section(st->conf, "dns"));
}

static bool key_is_object(const char *name)
{
	for (const struct conf_key *k = edge_conf_section.keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k->type == CONF_OBJECT;
	return false;
}

/* The keys a session under policy --policy judges with: the section's,
 * with the member's on top as serving merges them (an object key such as
 * "spf" member by member, any other replaced). Without --policy, or with
 * "default", the section alone. NULL (logged) for an unknown policy. */
static json_t *tool_section(struct prog_state *st)
{
	const json_t *sec = conf_section(st->conf, "smtp-edge"), *pols, *member = NULL, *v;
	json_t *out, *old;
	const char *key;

	pols = conf_get(sec, "policies");
	if (tool.policy && strcmp(tool.policy, "default") != 0 &&
	    (member = json_object_get(pols, tool.policy)) == NULL) {
		struct strbuf names = STRBUF_INIT;

		json_object_foreach((json_t *)pols, key, v)
			strbuf_addf(&names, "%s%s", names.len ? ", " : "", key);
		msg_error("no policy %s in smtp-edge.policies (there are: %s)", msg_q(tool.policy),
			  names.len ? names.buf : "none");
		strbuf_release(&names);
		return NULL;
	}
	out = json_deep_copy(sec);
	json_object_del(out, "policies");
	json_object_foreach((json_t *)member, key, v) {
		old = json_object_get(out, key);
		if (key_is_object(key) && json_is_object(old))
			json_object_update(old, (json_t *)v);
		else
			json_object_set(out, key, (json_t *)v);
	}
	return out;
}

static void print_header(const char *h)
{
	for (; *h; h++)
		if (*h != '\r')
			putchar(*h);
}

static void spf_json(const struct spf_result *r, const char *header, const char *action)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s}",
			      "result", spf_result_name(r->result), "identity", r->identity,
			      "ip", r->ip, "sender", r->sender, "helo", r->helo, "domain", r->domain,
			      "mechanism", r->mechanism, "explanation", r->explanation,
			      "problem", r->problem, "lookups", r->lookups,
			      "void_lookups", r->void_lookups, "received_spf", header);
	char *s;

	if (tool.policy) {
		json_object_set_new(o, "policy", json_string(tool.policy));
		json_object_set_new(o, "action", json_string(action));
	}
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	puts(s ? s : "{}");
	free(s);
	json_decref(o);
}

int edge_cmd_spf(struct prog_state *st, int argc, char **argv)
{
	struct spf_request req = { 0 };
	struct spf_result r;
	struct strbuf out = STRBUF_INIT, hdr = STRBUF_INIT;
	struct dns *dns;
	char *rest[3], receiver[256] = "";
	const char *action = "";
	const json_t *spf_obj;
	json_t *sec = NULL;
	int n = tool_args(argc, argv, rest, 3);

	/* Also "spf IP SENDER [HELO]" as operands. */
	if (n >= 1 && !tool.ip)
		tool.ip = rest[0];
	if (n >= 2 && !tool.sender)
		tool.sender = rest[1];
	if (n >= 3 && !tool.helo)
		tool.helo = rest[2];
	if (n < 0 || !tool.ip || (!tool.sender && !tool.helo)) {
		fprintf(stderr, "usage: %s spf --ip IP --sender ADDR [--helo NAME] [--receiver NAME] "
			"[--policy NAME]\n", msg_progname());
		return EX_USAGE;
	}
	if (tool.policy) {
		/* the policy's receiver name (its hostname) unless given */
		if ((sec = tool_section(st)) == NULL)
			return EX_CONFIG;
		if (!tool.receiver && conf_str(sec, "hostname")) {
			snprintf(receiver, sizeof(receiver), "%s", conf_str(sec, "hostname"));
			tool.receiver = receiver;
		}
	}
	if ((dns = tool_dns(st)) == NULL) {
		json_decref(sec);
		return EX_UNAVAILABLE;
	}
	req = (struct spf_request){ .ip = tool.ip, .mail_from = tool.sender ? tool.sender : "",
				    .helo = tool.helo ? tool.helo : "", .receiver = tool.receiver };
	spf_check_request(dns, &req, &r);
	spf_received_header(&r, tool.receiver, &hdr);
	if (sec) {
		/* what a session under the policy would do with the result */
		spf_obj = conf_get(sec, "spf");
		action = conf_bool(spf_obj, "enabled") ?
			 spf_action_name(spf_action_for(spf_obj, r.result)) : "none";
	}
	if (st->json) {
		spf_json(&r, hdr.buf, action);
	} else {
		spf_result_format(&r, &out);
		if (sec)
			strbuf_addf(&out, "policy=%s action=%s%s\n", tool.policy, action,
				    *action == 'n' ? " (SPF is not enabled)" : "");
		fwrite(out.buf, 1, out.len, stdout);
		print_header(hdr.buf);
	}
	strbuf_release(&out);
	strbuf_release(&hdr);
	dns_free(dns);
	json_decref(sec);
	return r.result == SPF_PASS ? EX_OK : r.result == SPF_TEMPERROR ? EX_TEMPFAIL : 1;
}

static const char *dns_status_text(enum connfilter_dns_status s)
{
	return s == CONNFILTER_DNS_LISTED ? "listed" : s == CONNFILTER_DNS_ERROR ? "error" : "not-listed";
}

static void check_ip_text(const char *ip, enum connfilter_action act,
			  const struct connfilter_result *res)
{
	printf("client=%s\n", ip);
	if (tool.policy)
		printf("policy=%s\n", tool.policy);
	if (res->list_hit[0])
		printf("list_hit=%s\n", msg_q(res->list_hit));
	for (size_t i = 0; i < res->nanswers; i++) {
		const struct connfilter_dns_answer *a = &res->answers[i];

		printf("%s zone=%s weight=%d answer=%s status=%s%s\n", a->allowlist ? "dnswl" : "dnsbl",
		       a->zone, a->weight, msg_q(a->answer), dns_status_text(a->status),
		       a->cached ? " cached" : "");
	}
	if (res->nanswers)
		printf("score=%d threshold=%d\n", res->score, res->threshold);
	printf("decision=%s reason=%s\n", connfilter_action_name(act), msg_q(res->reason));
	if (res->reply[0])
		printf("reply=%s\n", msg_q(res->reply));
}

static void check_ip_json(const char *ip, enum connfilter_action act,
			  const struct connfilter_result *res)
{
	json_t *lists = json_array(), *o;
	char *s;

	for (size_t i = 0; i < res->nanswers; i++) {
		const struct connfilter_dns_answer *a = &res->answers[i];

		json_array_append_new(lists, json_pack("{s:s, s:s, s:i, s:s, s:s, s:b}",
			"type", a->allowlist ? "dnswl" : "dnsbl", "zone", a->zone, "weight", a->weight,
			"answer", a->answer, "status", dns_status_text(a->status), "cached", a->cached));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o}", "client", ip,
		      "decision", connfilter_action_name(act), "reason", res->reason,
		      "reply", res->reply, "list_hit", res->list_hit, "score", res->score,
		      "threshold", res->threshold, "lists", lists);
	if (tool.policy)
		json_object_set_new(o, "policy", json_string(tool.policy));
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	puts(s ? s : "{}");
	free(s);
	json_decref(o);
}

int edge_cmd_check_ip(struct prog_state *st, int argc, char **argv)
{
	json_t *sec;
	struct connfilter_result res;
	struct connfilter *cf;
	struct dns *dns = NULL;
	enum connfilter_action act;
	char *rest[1];
	int n = tool_args(argc, argv, rest, 1);

	if (n != 1) {
		fprintf(stderr, "usage: %s check-ip [--policy NAME] IP\n", msg_progname());
		return EX_USAGE;
	}
	if ((sec = tool_section(st)) == NULL)
		return EX_CONFIG;
	if ((conf_get(sec, "dnsbl") && json_array_size(conf_get(sec, "dnsbl"))) ||
	    (conf_get(sec, "dnswl") && json_array_size(conf_get(sec, "dnswl")))) {
		if ((dns = tool_dns(st)) == NULL) {
			json_decref(sec);
			return EX_UNAVAILABLE;
		}
	}
	if ((cf = connfilter_new(sec, dns)) == NULL) {
		dns_free(dns);
		json_decref(sec);
		return EX_CONFIG;
	}
	act = connfilter_check(cf, rest[0], &res);
	if (st->json)
		check_ip_json(rest[0], act, &res);
	else
		check_ip_text(rest[0], act, &res);
	connfilter_free(cf);
	dns_free(dns);
	json_decref(sec);
	return act == CONNFILTER_REJECT ? 1 : act == CONNFILTER_TEMPFAIL ? EX_TEMPFAIL : EX_OK;
}
