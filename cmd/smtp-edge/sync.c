/* smtp-edge sync (EdgeSync): copies what an edge needs from the internal
 * LDAP directory (the "directory" section, backend ldap) into an LDIF
 * file for an edge that uses the file backend and must not reach the
 * internal directory: each user's DN, objectClass, uid, cn, sn, mail and
 * alias attributes, safe and blocked sender blobs and SCL junk
 * threshold; never passwords, certificates or anything else. Written
 * atomically, for cron; prints the counts. The search is lib/dir's
 * (dir_search), on the same connection settings as every lookup. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/prog.h"
#include "content.h"
#include "dir/dir.h"
#include "dir/entry.h"
#include "dir/ldif.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/opt.h"

#define SYNC_ENTRIES_MAX 1000000

/* The attributes copied; alias attributes come from the config. */
static const char *const copied[] = {
	"objectClass", "dc", "o", "ou", "uid", "cn", "sn", "displayName", "mail",
	"posternSafeSenders",
	"posternBlockedSenders", "posternSCLJunkThreshold", NULL
};

struct counts {
	size_t entries, recipients, aliases, safelists, thresholds;
};

static bool is_alias(const json_t *dirsec, const char *attr)
{
	for (size_t i = 0; i < conf_strings_len(dirsec, "alias_attributes"); i++)
		if (strcasecmp(conf_strings_at(dirsec, "alias_attributes", i), attr) == 0)
			return true;
	return false;
}

struct sync {
	const json_t *dirsec;
	struct strbuf *out;
	struct counts n;
};

/* One entry found: written as LDIF, counted. */
static int sync_entry(const struct dir_entry *e, void *ctx)
{
	struct sync *y = ctx;
	bool has_mail = false;

	for (size_t i = 0; i < e->nattrs; i++) {
		const struct dir_attr *a = &e->attrs[i];

		if (strcasecmp(a->name, "mail") == 0 && a->nvals)
			has_mail = true;
		if (is_alias(y->dirsec, a->name))
			y->n.aliases += a->nvals;
		if (a->nvals && strcasecmp(a->name, "posternSafeSenders") == 0)
			y->n.safelists++;
		if (a->nvals && strcasecmp(a->name, "posternSCLJunkThreshold") == 0)
			y->n.thresholds++;
	}
	y->n.recipients += has_mail;
	y->n.entries++;
	ldif_write_entry(y->out, e);
	return 0;
}

/* The attributes asked for: the fixed ones and the configured aliases. */
static const char **sync_attrs(const json_t *dirsec)
{
	size_t na = conf_strings_len(dirsec, "alias_attributes"), i = 0;
	const char **attrs = xcalloc(na + sizeof(copied) / sizeof(copied[0]) + 1, sizeof(*attrs));

	for (const char *const *c = copied; *c; c++)
		attrs[i++] = *c;
	for (size_t j = 0; j < na; j++)
		attrs[i++] = conf_strings_at(dirsec, "alias_attributes", j);
	return attrs;
}

enum { S_OUTPUT = OPT_ID(140), S_FILTER };

static const struct opt sync_opts[] = {
	{ "output", S_OUTPUT, OPT_ARG, "FILE", "file", "sync: the LDIF file to write" },
	{ "filter", S_FILTER, OPT_ARG, "FILTER", NULL,
	  "sync: the LDAP filter of the entries copied" },
	{ NULL }
};

int content_cmd_sync(struct prog_state *st, int argc, char **argv)
{
	const struct opt *tables[] = { sync_opts, NULL };
	const json_t *dirsec = conf_section(st->conf, "directory");
	const char *output = NULL, *filter = "(|(mail=*)(posternMailAlias=*))";
	const char **attrs;
	struct strbuf out = STRBUF_INIT;
	struct sync y = { .dirsec = dirsec, .out = &out };
	struct opt_state os;
	struct dir *d;
	enum dir_status s;
	int c, rc = 0;

	opt_init(&os, tables);
	while ((c = opt_next(&os, argc, argv)) != -1) {
		if (c == S_OUTPUT)
			output = os.arg;
		else if (c == S_FILTER)
			filter = os.arg;
		else
			goto usage;
	}
	if (os.ind != argc || output == NULL)
		goto usage;
	if (strcmp(conf_str(dirsec, "backend"), "ldap") != 0) {
		fprintf(stderr, "smtp-edge: sync reads LDAP: directory.backend must be \"ldap\"\n");
		return EX_CONFIG;
	}
	if ((d = dir_open(dirsec)) == NULL)
		return EX_CONFIG;
	strbuf_addf(&out, "# smtp-edge sync from %s base %s\n\n",
		    conf_str(dirsec, "ldap.uri"), conf_str(dirsec, "ldap.base"));
	attrs = sync_attrs(dirsec);
	s = dir_search(d, filter, attrs, SYNC_ENTRIES_MAX, sync_entry, &y);
	free(attrs);
	if (s != DIR_OK) {
		fprintf(stderr, "smtp-edge: sync: directory unavailable: %s\n", dir_error(d));
		rc = EX_TEMPFAIL;
	}
	dir_close(d);
	if (rc == 0 && atomic_write(output, out.buf, out.len, 0640) < 0) {
		fprintf(stderr, "smtp-edge: cannot write '%s': %s\n", output, strerror(errno));
		rc = EX_CANTCREAT;
	}
	if (rc == 0) {
		msg_info("synced entries=%zu recipients=%zu aliases=%zu safelists=%zu "
			 "thresholds=%zu output=%s", y.n.entries, y.n.recipients, y.n.aliases,
			 y.n.safelists, y.n.thresholds, msg_q(output));
		printf("entries=%zu recipients=%zu aliases=%zu safelists=%zu thresholds=%zu\n",
		       y.n.entries, y.n.recipients, y.n.aliases, y.n.safelists, y.n.thresholds);
	}
	strbuf_release(&out);
	return rc;
usage:
	fprintf(stderr, "usage: smtp-edge sync --output FILE [--filter FILTER]\n");
	return EX_USAGE;
}
