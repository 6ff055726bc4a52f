/* smtp-edge rules test|check: the transport rules from the shell. test
 * reads a message on stdin and says, rule by rule, whether it fires and
 * why, then what the rules that fired would do; check loads the file
 * and reports its errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/prog.h"
#include "content.h"
#include "content/archive.h"
#include "content/rules.h"
#include "mail/address.h"
#include "mail/mime.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/opt.h"

#define MSG_MAX (64u << 20)
#define RCPT_MAX 256

enum { R_FROM = OPT_ID(120), R_TO, R_SCL, R_TLS, R_RULES, R_POLICY };

const struct opt content_cmd_opts[] = {
	{ "from", R_FROM, OPT_ARG, "ADDR", NULL, "rules test: the envelope sender" },
	{ "to", R_TO, OPT_ARG, "ADDR", NULL, "rules test: an envelope recipient (repeatable)" },
	{ "scl", R_SCL, OPT_ARG, "N", NULL, "rules test: the message's SCL (-1..9)" },
	{ "tls", R_TLS, OPT_NOARG, NULL, NULL, "rules test: as if the client used TLS" },
	{ "rules", R_RULES, OPT_ARG, "FILE", "file",
	  "rules test|check: this rules file instead of content.rules_file" },
	{ "policy", R_POLICY, OPT_ARG, "NAME", NULL,
	  "rules test|check: the rules file of this policy (its content.rules_file, else the "
	  "section's)" },
	{ NULL }
};

struct view {
	char **names, **types;
	size_t nnames, ntypes;
};

static void add(char ***v, size_t *n, const char *s)
{
	if (s == NULL || *s == 0 || *n >= 100000)
		return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static int inner(const char *path, unsigned depth, void *ctx)
{
	struct view *v = ctx;

	(void)depth;
	add(&v->names, &v->nnames, path);
	return 0;
}

static void attachments(struct mime_msg *m, struct view *v)
{
	const struct mime_part *p;

	for (unsigned i = 0; (p = mime_part_at(m, i)) != NULL; i++) {
		struct strbuf data = STRBUF_INIT, type = STRBUF_INIT;
		struct arch_info info;

		if (p->nchildren || mime_part_is(p, "multipart", NULL) ||
		    mime_part_is(p, "message", "rfc822") || (!p->is_attachment && !p->filename))
			continue;
		strbuf_addf(&type, "%s/%s", p->type, p->subtype);
		add(&v->names, &v->nnames, p->filename);
		add(&v->types, &v->ntypes, type.buf);
		mime_part_decode(m, p, &data);
		arch_list(data.buf ? data.buf : "", data.len, p->filename, NULL, inner, v, &info);
		strbuf_release(&data);
		strbuf_release(&type);
	}
}

static const char *hdr(const char *name, unsigned nth, void *ctx)
{
	const struct mime_header *h = mime_header_find(mime_root(ctx), name, nth);

	return h ? h->value : NULL;
}

static void actions_print(const struct rules_actions *a)
{
	printf("actions:");
	if (a->reject)
		printf(" reject=\"%s\"", a->reject);
	if (a->delete)
		printf(" delete");
	if (a->quarantine)
		printf(" quarantine");
	if (a->require_tls)
		printf(" require_tls");
	if (a->smime_sign)
		printf(" smime_sign");
	if (a->classification)
		printf(" classification=\"%s\"", a->classification);
	if (a->subject_prefix.len)
		printf(" prepend_subject=\"%s\"", a->subject_prefix.buf);
	for (size_t i = 0; i < a->nredirect; i++)
		printf(" redirect=%s", a->redirect[i]);
	for (size_t i = 0; i < a->nadd_rcpt; i++)
		printf(" add_recipient=%s", a->add_rcpt[i]);
	printf("\n");
	if (a->headers.len)
		printf("add_header:\n%s", a->headers.buf);
}

static struct rules *load(const struct prog_state *st, const char *file, const char *policy)
{
	const json_t *sec = conf_section(st->conf, "smtp-edge"), *member = NULL;
	struct strbuf why = STRBUF_INIT;
	struct rules *r;

	if (policy && strcmp(policy, "default") != 0) {
		member = json_object_get(conf_get(sec, "policies"), policy);
		if (member == NULL) {
			fprintf(stderr, "smtp-edge: no policy '%s' in smtp-edge.policies\n", policy);
			return NULL;
		}
	}
	if (file == NULL && member)
		file = conf_str(member, "content.rules_file");
	if (file == NULL)
		file = conf_str(sec, "content.rules_file");
	if (file == NULL) {
		fprintf(stderr, "smtp-edge: no rules file (content.rules_file or --rules)\n");
		return NULL;
	}
	r = rules_load(file, &why);
	if (r == NULL)
		fprintf(stderr, "%s", why.buf ? why.buf : "");
	strbuf_release(&why);
	return r;
}

static int test(struct rules *r, const char *from, const char *const *to, size_t nto, int scl,
		bool tls)
{
	struct strbuf msg = STRBUF_INIT, subj = STRBUF_INIT, text = STRBUF_INIT, hfrom = STRBUF_INIT;
	struct strbuf ex = STRBUF_INIT;
	struct rules_actions a;
	struct rules_msg m;
	struct view v = { 0 };
	struct mime_msg *mm;
	const struct mime_header *h;
	size_t fired;

	if (strbuf_read_fd(&msg, 0, MSG_MAX) < 0) {
		fprintf(stderr, "smtp-edge: cannot read the message on standard input\n");
		strbuf_release(&msg);
		return EX_DATAERR;
	}
	mm = mime_parse(msg.buf ? msg.buf : "", msg.len, NULL);
	if ((h = mime_header_find(mime_root(mm), "From", 0)) != NULL)
		address_first(h->value, h->value_len, &hfrom);
	mime_subject(mm, &subj);
	mime_text(mm, MIME_TEXT_NO_SUBJECT, 1u << 20, &text);
	attachments(mm, &v);
	memset(&m, 0, sizeof(m));
	m.sender = from ? from : hfrom.buf ? hfrom.buf : "";
	m.from = hfrom.buf ? hfrom.buf : "";
	m.rcpts = to;
	m.nrcpt = nto;
	m.subject = subj.buf ? subj.buf : "";
	m.body = text.buf ? text.buf : "";
	m.body_len = text.len;
	m.header = hdr;
	m.header_ctx = mm;
	m.att_names = (const char *const *)v.names;
	m.natt_names = v.nnames;
	m.att_types = (const char *const *)v.types;
	m.natt_types = v.ntypes;
	m.scl = scl;
	m.tls = tls;
	m.size = msg.len;
	rules_actions_init(&a);
	fired = rules_eval(r, &m, &a, &ex);
	fputs(ex.buf ? ex.buf : "", stdout);
	printf("fired: %zu%s%s\n", fired, fired ? " " : "", fired ? a.fired.buf : "");
	if (fired)
		actions_print(&a);
	rules_actions_release(&a);
	for (size_t i = 0; i < v.nnames; i++)
		free(v.names[i]);
	for (size_t i = 0; i < v.ntypes; i++)
		free(v.types[i]);
	free(v.names);
	free(v.types);
	mime_free(mm);
	strbuf_release(&msg);
	strbuf_release(&subj);
	strbuf_release(&text);
	strbuf_release(&hfrom);
	strbuf_release(&ex);
	return fired ? 0 : 1;
}

int content_cmd_rules(struct prog_state *st, int argc, char **argv)
{
	const struct opt *tables[] = { content_cmd_opts, NULL };
	const char *from = NULL, *file = NULL, *policy = NULL, *to[RCPT_MAX];
	size_t nto = 0;
	struct opt_state os;
	struct rules *r;
	bool tls = false;
	int c, scl = RULES_SCL_UNKNOWN, rc;
	char *end;

	if (argc < 2 || (strcmp(argv[1], "test") && strcmp(argv[1], "check")))
		goto usage;
	opt_init(&os, tables);
	while ((c = opt_next(&os, argc - 1, argv + 1)) != -1) {
		switch (c) {
		case R_FROM: from = os.arg; break;
		case R_TO:
			if (nto == RCPT_MAX)
				goto usage;
			to[nto++] = os.arg;
			break;
		case R_SCL:
			scl = (int)strtol(os.arg, &end, 10);
			if (*end || scl < -1 || scl > 9)
				goto usage;
			break;
		case R_TLS: tls = true; break;
		case R_RULES: file = os.arg; break;
		case R_POLICY: policy = os.arg; break;
		default: goto usage;
		}
	}
	if (os.ind + 1 != argc)
		goto usage;
	if ((r = load(st, file, policy)) == NULL)
		return EX_CONFIG;
	if (strcmp(argv[1], "check") == 0) {
		printf("%zu rules, no errors\n", rules_count(r));
		rc = 0;
	} else {
		rc = test(r, from, to, nto, scl, tls);
	}
	rules_free(r);
	return rc;
usage:
	fprintf(stderr, "usage: smtp-edge rules test [--rules FILE | --policy NAME] [--from ADDR] "
		"[--to ADDR]... [--scl N] [--tls] < MESSAGE | rules check [--rules FILE | --policy NAME]\n");
	return EX_USAGE;
}
