/* smtp-edge quarantine list|show|release|delete: the quarantine Maildir
 * from the shell. Release sends the original on through the route of
 * its recipients' domain, with the original envelope, and removes the
 * item once the next hop has accepted it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conf/prog.h"
#include "content.h"
#include "edge.h"
#include "util/exitcodes.h"
#include "util/msg.h"

static const char *quar_dir(const struct prog_state *st)
{
	return conf_str(conf_section(st->conf, "smtp-edge"), "content.quarantine.directory");
}

static void when(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static json_t *item_json(const struct quar_item *it)
{
	json_t *o = json_object(), *r = json_array();
	char date[64];

	when(it->when, date, sizeof(date));
	for (size_t i = 0; i < it->nrcpt; i++)
		json_array_append_new(r, json_string(it->rcpts[i]));
	json_object_set_new(o, "id", json_string(it->id));
	json_object_set_new(o, "date", json_string(date));
	json_object_set_new(o, "sender", json_string(it->sender));
	json_object_set_new(o, "recipients", r);
	json_object_set_new(o, "reason", json_string(it->reason));
	json_object_set_new(o, "client", json_string(it->client));
	json_object_set_new(o, "subject", json_string(it->subject));
	json_object_set_new(o, "size", json_integer((json_int_t)it->size));
	return o;
}

static int list_one(const struct quar_item *it, void *ctx)
{
	json_t *arr = ctx;
	char date[64];

	if (arr) {
		json_array_append_new(arr, item_json(it));
		return 0;
	}
	when(it->when, date, sizeof(date));
	printf("%s  %s  <%s> ->", it->id, date, it->sender);
	for (size_t i = 0; i < it->nrcpt; i++)
		printf(" <%s>", it->rcpts[i]);
	printf("  %zu bytes\n\treason: %s\n\tsubject: %s\n", it->size, it->reason, it->subject);
	return 0;
}

static int cmd_list(const struct prog_state *st)
{
	json_t *arr = st->json ? json_array() : NULL;
	int rc = quar_list(quar_dir(st), list_one, arr);

	if (rc < 0) {
		fprintf(stderr, "smtp-edge: cannot read quarantine '%s': %s\n", quar_dir(st),
			strerror(errno));
		json_decref(arr);
		return EX_IOERR;
	}
	if (arr) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		json_decref(arr);
	}
	return 0;
}

static int read_or_say(const struct prog_state *st, const char *id, struct quar_item *it)
{
	if (quar_read(quar_dir(st), id, it) == 0)
		return 0;
	if (errno == ENOENT) {
		fprintf(stderr, "smtp-edge: no quarantined message '%s'\n", id);
		return 1;
	}
	fprintf(stderr, "smtp-edge: cannot read quarantined message '%s': %s\n", id,
		strerror(errno));
	return EX_IOERR;
}

static int cmd_show(const struct prog_state *st, const char *id)
{
	struct quar_item it;
	int rc = read_or_say(st, id, &it);

	if (rc)
		return rc;
	if (st->json) {
		json_t *o = item_json(&it);
		char *s;

		json_object_set_new(o, "message", json_stringn(it.original.buf ? it.original.buf : "",
							       it.original.len));
		s = json_dumps(o, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		list_one(&it, NULL);
		printf("\n");
		fwrite(it.original.buf, 1, it.original.len, stdout);
	}
	quar_item_clear(&it);
	return 0;
}

static int cmd_delete(const struct prog_state *st, const char *id)
{
	if (quar_delete(quar_dir(st), id) == 0) {
		printf("deleted %s\n", id);
		return 0;
	}
	if (errno == ENOENT) {
		fprintf(stderr, "smtp-edge: no quarantined message '%s'\n", id);
		return 1;
	}
	fprintf(stderr, "smtp-edge: cannot delete '%s': %s\n", id, strerror(errno));
	return EX_IOERR;
}

/* Sends it on to the recipients of one route. Returns 0, or an exit
 * code with the reply printed. */
static int release_route(struct edge *e, const struct quar_item *it, const struct edge_route *r,
			 const char *domain, bool *done)
{
	struct smtp_reply rep;
	struct smtp_client *c;
	size_t ok = 0;
	int rc = 0;

	smtp_reply_init(&rep);
	c = edge_route_open(e, r, domain, &rep);
	if (c == NULL || smtp_client_cmd(c, &rep, "MAIL FROM:<%s>", it->sender) != 250)
		goto fail;
	for (size_t i = 0; i < it->nrcpt; i++) {
		const char *at = strrchr(it->rcpts[i], '@');

		if (done[i] || edge_route_for(e, at ? at + 1 : "") != r)
			continue;
		if (smtp_client_cmd(c, &rep, "RCPT TO:<%s>", it->rcpts[i]) / 100 == 2) {
			done[i] = true;
			ok++;
		} else {
			fprintf(stderr, "smtp-edge: next hop refused <%s>: %d %s\n", it->rcpts[i],
				rep.code, rep.text.buf ? rep.text.buf : "");
			rc = rep.code / 100 == 4 ? EX_TEMPFAIL : EX_UNAVAILABLE;
		}
	}
	if (ok == 0)
		goto out;
	if (smtp_client_data_start(c, &rep) != 354 ||
	    smtp_client_data_write(c, it->original.buf, it->original.len, &rep) < 0 ||
	    smtp_client_data_end(c, &rep) / 100 != 2) {
		for (size_t i = 0; i < it->nrcpt; i++)
			done[i] = false;
		goto fail;
	}
	msg_info("released id=%s rcpts=%zu hop=%s reply=%s", it->id, ok,
		 msg_q(smtp_client_peer(c)), msg_q(rep.text.buf ? rep.text.buf : ""));
	goto out;
fail:
	fprintf(stderr, "smtp-edge: cannot release %s: %d %s\n", it->id, rep.code,
		rep.text.buf ? rep.text.buf : "");
	rc = rep.code / 100 == 5 ? EX_UNAVAILABLE : EX_TEMPFAIL;
out:
	smtp_client_close(c, c && smtp_client_usable(c));
	smtp_reply_clear(&rep);
	return rc;
}

static int cmd_release(struct prog_state *st, const char *id)
{
	struct edge_set set;
	struct quar_item it;
	bool *done;
	size_t n = 0;
	int rc = read_or_say(st, id, &it), r2;

	if (rc)
		return rc;
	if (edge_init(&set, st, st->conf) < 0) {
		edge_clear(&set);
		quar_item_clear(&it);
		return EX_CONFIG;
	}
	done = calloc(it.nrcpt + 1, sizeof(*done));
	for (size_t i = 0; i < it.nrcpt; i++) {
		const char *at = strrchr(it.rcpts[i], '@'), *dom = at ? at + 1 : "";
		const struct edge_route *r = edge_route_for(&set.pol[0], dom);

		if (done[i])
			continue;
		if (r == NULL) {
			fprintf(stderr, "smtp-edge: no route for <%s>\n", it.rcpts[i]);
			rc = EX_UNAVAILABLE;
			continue;
		}
		if ((r2 = release_route(&set.pol[0], &it, r, dom, done)) != 0)
			rc = r2;
	}
	for (size_t i = 0; i < it.nrcpt; i++)
		n += done[i];
	if (rc == 0 && n == it.nrcpt) {
		if (quar_delete(quar_dir(st), id) < 0)
			fprintf(stderr, "smtp-edge: released, but cannot remove %s: %s\n", id,
				strerror(errno));
		printf("released %s to %zu recipient%s\n", id, n, n == 1 ? "" : "s");
	} else if (n) {
		fprintf(stderr, "smtp-edge: %s released to %zu of %zu recipients; kept\n", id, n,
			it.nrcpt);
	}
	free(done);
	quar_item_clear(&it);
	edge_clear(&set);
	return rc;
}

int content_cmd_quarantine(struct prog_state *st, int argc, char **argv)
{
	const char *sub;
	int n = 0;

	/* --json may also come after the command words */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			st->json = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "list") == 0 && argc == 2)
		return cmd_list(st);
	if (argc == 3 && strcmp(sub, "show") == 0)
		return cmd_show(st, argv[2]);
	if (argc == 3 && strcmp(sub, "release") == 0)
		return cmd_release(st, argv[2]);
	if (argc == 3 && strcmp(sub, "delete") == 0)
		return cmd_delete(st, argv[2]);
	fprintf(stderr, "usage: smtp-edge quarantine list [--json] | show ID | release ID | "
		"delete ID\n");
	return EX_USAGE;
}
