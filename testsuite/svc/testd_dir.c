/* postern-testd lookup and auth: the directory module driven from the
 * shell, with the exit codes a real program would give (0 found / good,
 * 1 not found / bad, 75 directory unavailable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "dir/dir.h"
#include "dir/ldif.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "testd.h"

#define TESTD_LINE_MAX 4096

static int status_code(enum dir_status s)
{
	return s == DIR_OK ? EX_OK : s == DIR_NOTFOUND ? EX_NEGATIVE : EX_TEMPFAIL;
}

static struct dir *testd_dir_open(struct prog_state *st)
{
	return dir_open(conf_section(st->conf, "directory"));
}

static enum dir_status lookup_one(struct dir *d, const char *by, const char *key,
				  struct dir_entry **ep)
{
	if (strcmp(by, "mail") == 0)
		return dir_lookup_mail(d, key, ep);
	if (strcmp(by, "uid") == 0)
		return dir_lookup_uid(d, key, ep);
	return dir_lookup_phone(d, key, ep);
}

/* Prints the entry as LDIF, or a comment line saying why there is none;
 * each answer ends with a blank line so a script can read them one by
 * one. */
static void lookup_print(struct dir *d, enum dir_status s, const char *key,
			 struct dir_entry *e)
{
	struct strbuf sb = STRBUF_INIT;

	if (s == DIR_OK)
		ldif_write_entry(&sb, e);
	else if (s == DIR_NOTFOUND)
		strbuf_addf(&sb, "# not found: %s\n\n", key);
	else
		strbuf_addf(&sb, "# temporary failure: directory unavailable: %s\n\n",
			    dir_error(d));
	fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	strbuf_release(&sb);
}

/* With ATTR, only that attribute's values (as dir_entry_get finds them:
 * case and ";binary" do not matter), each in base64, under the name
 * asked for. */
static void attr_print(const struct dir_entry *e, const char *attr)
{
	struct strbuf sb = STRBUF_INIT;
	const struct dir_value *v;
	size_t n = dir_entry_get(e, attr, &v);

	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s:: ", attr);
		base64_encode(v[i].data, v[i].len, &sb);
		strbuf_addch(&sb, '\n');
	}
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

/* KEY "-" reads keys from stdin, one a line, on one open directory: that
 * is how tests see connections reused and re-established. */
static int lookup_stdin(struct dir *d, const char *by)
{
	struct strbuf line = STRBUF_INIT;
	int worst = EX_OK;

	while (strbuf_getline(&line, stdin, TESTD_LINE_MAX) > 0) {
		struct dir_entry *e = NULL;
		enum dir_status s;

		strbuf_rtrim(&line);
		s = lookup_one(d, by, line.buf, &e);
		lookup_print(d, s, line.buf, e);
		dir_entry_free(e);
		if (status_code(s) > worst)
			worst = status_code(s);
		strbuf_reset(&line);
	}
	strbuf_release(&line);
	return worst;
}

int testd_lookup(struct prog_state *st, int argc, char **argv)
{
	struct dir_entry *e = NULL;
	struct dir *d;
	enum dir_status s;
	int rc;

	if ((argc != 3 && argc != 4) || (strcmp(argv[1], "mail") != 0 && strcmp(argv[1], "uid") != 0 &&
			  strcmp(argv[1], "phone") != 0)) {
		fprintf(stderr, "usage: postern-testd lookup mail|uid|phone KEY|- [ATTR]\n");
		return EX_USAGE;
	}
	if ((d = testd_dir_open(st)) == NULL)
		return EX_CONFIG;
	if (strcmp(argv[2], "-") == 0) {
		rc = lookup_stdin(d, argv[1]);
		dir_close(d);
		return rc;
	}
	s = lookup_one(d, argv[1], argv[2], &e);
	if (s == DIR_OK && argc == 4)
		attr_print(e, argv[3]);
	else if (s == DIR_OK)
		lookup_print(d, s, argv[2], e);
	else if (s == DIR_NOTFOUND)
		fprintf(stderr, "postern-testd: not found: %s\n", argv[2]);
	else
		fprintf(stderr, "postern-testd: temporary failure: directory unavailable: %s\n",
			dir_error(d));
	dir_entry_free(e);
	dir_close(d);
	return status_code(s);
}

int testd_auth(struct prog_state *st, int argc, char **argv)
{
	struct strbuf pw = STRBUF_INIT;
	struct dir *d;
	enum dir_status s;

	if (argc != 2) {
		fprintf(stderr, "usage: postern-testd auth USER < password\n");
		return EX_USAGE;
	}
	if ((d = testd_dir_open(st)) == NULL)
		return EX_CONFIG;
	if (strbuf_getline(&pw, stdin, TESTD_LINE_MAX) < 0) {
		dir_close(d);
		return EX_DATAERR;
	}
	if (pw.len > 0 && pw.buf[pw.len - 1] == '\n')
		strbuf_setlen(&pw, pw.len - 1);
	if (pw.len > 0 && pw.buf[pw.len - 1] == '\r')
		strbuf_setlen(&pw, pw.len - 1);
	s = dir_check_password(d, argv[1], pw.buf ? pw.buf : "");
	if (pw.alloc)
		mem_wipe(pw.buf, pw.alloc);
	strbuf_release(&pw);
	if (s == DIR_OK)
		printf("authenticated: %s\n", argv[1]);
	else if (s == DIR_NOTFOUND)
		fprintf(stderr, "postern-testd: authentication failed: %s\n", argv[1]);
	else
		fprintf(stderr, "postern-testd: temporary failure: directory unavailable: %s\n",
			dir_error(d));
	dir_close(d);
	return status_code(s);
}

static int search_print(const struct dir_entry *e, void *ctx)
{
	struct strbuf *sb = ctx;

	ldif_write_entry(sb, e);
	return 0;
}

/* Every entry matching FILTER as LDIF, then "# N entries"; the exit code
 * as for lookup (75 when the search fails, with the reason). */
int testd_search(struct prog_state *st, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct dir *d;
	enum dir_status s;
	char *end;
	unsigned long max;

	if (argc < 3 || (max = strtoul(argv[2], &end, 10), *end != '\0')) {
		fprintf(stderr, "usage: postern-testd search FILTER MAX [ATTR...]\n");
		return EX_USAGE;
	}
	if ((d = testd_dir_open(st)) == NULL)
		return EX_CONFIG;
	s = dir_search(d, argv[1], argc > 3 ? (const char *const *)argv + 3 : NULL, max,
		       search_print, &sb);
	if (s == DIR_OK && sb.len)
		fwrite(sb.buf, 1, sb.len, stdout);
	else if (s != DIR_OK)
		fprintf(stderr, "postern-testd: temporary failure: %s\n", dir_error(d));
	strbuf_release(&sb);
	dir_close(d);
	return status_code(s);
}
