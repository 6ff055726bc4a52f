/* The quarantine Maildir (see quarantine.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "content/quarantine.h"
#include "mail/mime.h"
#include "util/atomic.h"
#include "util/mem.h"

int quar_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= QUAR_ID_MAX || id[0] == '.')
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int mkdirs(const char *dir)
{
	static const char *const subs[] = { "", "/tmp", "/new", "/cur" };

	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s%s", dir, subs[i]);
		int rc = mkdir(p, 0700);

		free(p);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static void make_id(char id[QUAR_ID_MAX])
{
	struct timeval tv;
	unsigned char r[6];

	gettimeofday(&tv, NULL);
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	snprintf(id, QUAR_ID_MAX, "%lld.M%06ldP%dR%02x%02x%02x%02x%02x%02x", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (int)getpid(), r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* A header value on one line, without controls. */
static void clean(struct strbuf *out, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++)
		strbuf_addch(out, (unsigned char)s[i] < ' ' ? ' ' : s[i]);
}

static void report(struct strbuf *out, const struct quar_env *env, const char *id,
		   const char *boundary, size_t len)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	strbuf_addf(out, "Return-Path: <>\r\nX-Postern-Quarantine-Id: %s\r\n", id);
	strbuf_addstr(out, "X-Postern-Quarantine-Reason: ");
	clean(out, env->reason, 900);
	strbuf_addstr(out, "\r\nX-Postern-Envelope-From: <");
	clean(out, env->sender, 900);
	strbuf_addstr(out, ">\r\n");
	for (size_t i = 0; i < env->nrcpt; i++) {
		strbuf_addstr(out, "X-Postern-Envelope-To: <");
		clean(out, env->rcpts[i], 900);
		strbuf_addstr(out, ">\r\n");
	}
	strbuf_addf(out, "X-Postern-Client: %s\r\nX-Postern-Original-Size: %zu\r\n",
		    env->client ? env->client : "", len);
	strbuf_addf(out, "Date: %s\r\nFrom: Mail Quarantine <postmaster@%s>\r\n", date,
		    env->hostname);
	strbuf_addstr(out, "Subject: Quarantined: ");
	clean(out, env->subject ? env->subject : "(no subject)", 900);
	strbuf_addf(out, "\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
		    "\tboundary=\"%s\"\r\n\r\n", boundary);
	strbuf_addf(out, "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "This message was quarantined by %s.\r\n\r\nReason: ", boundary, env->hostname);
	clean(out, env->reason, 900);
	strbuf_addstr(out, "\r\nSender: <");
	clean(out, env->sender, 900);
	strbuf_addstr(out, ">\r\n");
	for (size_t i = 0; i < env->nrcpt; i++) {
		strbuf_addstr(out, "Recipient: <");
		clean(out, env->rcpts[i], 900);
		strbuf_addstr(out, ">\r\n");
	}
	strbuf_addf(out, "\r\nTo deliver it: smtp-edge quarantine release %s\r\n"
		    "To remove it: smtp-edge quarantine delete %s\r\n\r\n--%s\r\n"
		    "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; %s\r\n"
		    "Arrival-Date: %s\r\n", id, id, boundary, env->hostname, date);
	for (size_t i = 0; i < env->nrcpt; i++) {
		strbuf_addstr(out, "\r\nFinal-Recipient: rfc822; ");
		clean(out, env->rcpts[i], 900);
		strbuf_addstr(out, "\r\nAction: failed\r\nStatus: 5.7.1\r\n"
			      "Diagnostic-Code: smtp; quarantined: ");
		clean(out, env->reason, 900);
		strbuf_addstr(out, "\r\n");
	}
	strbuf_addf(out, "\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n", boundary);
}

int quar_store(const char *dir, const struct quar_env *env, const char *msg, size_t len,
	       char id[QUAR_ID_MAX])
{
	struct strbuf head = STRBUF_INIT, tail = STRBUF_INIT;
	char boundary[160], *tmp = NULL, *final = NULL;
	int fd = -1, e;

	if (mkdirs(dir) < 0)
		return -1;
	do {
		make_id(id);
		snprintf(boundary, sizeof(boundary), "=_postern_%s", id);
	} while (memmem(msg, len, boundary, strlen(boundary)) != NULL);
	report(&head, env, id, boundary, len);
	strbuf_addf(&tail, "%s--%s--\r\n", len && msg[len - 1] == '\n' ? "" : "\r\n", boundary);
	tmp = xasprintf("%s/tmp/%s", dir, id);
	final = xasprintf("%s/new/%s", dir, id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (write_all(fd, head.buf, head.len) < 0 || write_all(fd, msg, len) < 0 ||
	    write_all(fd, "\r\n", len && msg[len - 1] == '\n' ? 2 : 0) < 0 ||
	    write_all(fd, tail.buf, tail.len) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, final) < 0 || fsync_parent(final) < 0)
		goto fail;
	strbuf_release(&head);
	strbuf_release(&tail);
	free(tmp);
	free(final);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	strbuf_release(&head);
	strbuf_release(&tail);
	free(tmp);
	free(final);
	errno = e;
	return -1;
}

void quar_item_clear(struct quar_item *it)
{
	free(it->sender);
	for (size_t i = 0; i < it->nrcpt; i++)
		free(it->rcpts[i]);
	free(it->rcpts);
	free(it->reason);
	free(it->client);
	free(it->subject);
	strbuf_release(&it->original);
	memset(it, 0, sizeof(*it));
}

/* "<addr>" -> "addr". */
static char *unbracket(const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		return xstrndup(v + 1, n - 2);
	return xstrdup(v);
}

int quar_parse(const char *text, size_t len, int with_original, struct quar_item *it)
{
	struct mime_limits lim = MIME_LIMITS_INIT;
	struct mime_msg *m;
	const struct mime_part *root, *p;
	const struct mime_header *h;
	const char *id;
	int rc = -1;

	memset(it, 0, sizeof(*it));
	lim.depth_max = 2;
	lim.parts_max = 8;
	lim.header_bytes_max = QUAR_HEADER_MAX;
	m = mime_parse(text, len, &lim);
	root = mime_root(m);
	if ((h = mime_header_find(root, "X-Postern-Quarantine-Id", 0)) == NULL ||
	    !quar_id_valid(id = h->value))
		goto out;
	snprintf(it->id, sizeof(it->id), "%s", id);
	h = mime_header_find(root, "X-Postern-Envelope-From", 0);
	it->sender = unbracket(h ? h->value : "");
	it->nrcpt = mime_header_count(root, "X-Postern-Envelope-To");
	if (it->nrcpt > QUAR_RCPT_MAX)
		it->nrcpt = QUAR_RCPT_MAX;
	it->rcpts = xcalloc(it->nrcpt + 1, sizeof(*it->rcpts));
	for (unsigned i = 0; i < it->nrcpt; i++)
		it->rcpts[i] = unbracket(mime_header_find(root, "X-Postern-Envelope-To", i)->value);
	h = mime_header_find(root, "X-Postern-Quarantine-Reason", 0);
	it->reason = xstrdup(h ? h->value : "");
	h = mime_header_find(root, "X-Postern-Client", 0);
	it->client = xstrdup(h ? h->value : "");
	h = mime_header_find(root, "Subject", 0);
	it->subject = xstrdup(h && strncmp(h->value, "Quarantined: ", 13) == 0 ? h->value + 13 :
			      h ? h->value : "");
	h = mime_header_find(root, "X-Postern-Original-Size", 0);
	it->size = h ? strtoull(h->value, NULL, 10) : 0;
	h = mime_header_find(root, "X-Postern-Quarantine-Id", 0);
	it->when = (time_t)strtoll(it->id, NULL, 10);
	if (with_original) {
		/* the original: the body of the message/rfc822 part */
		for (unsigned i = 1; (p = mime_part_at(m, i)) != NULL; i++)
			if (p->depth == 1 && mime_part_is(p, "message", "rfc822")) {
				size_t n;
				const char *b = mime_part_body(m, p, &n);

				strbuf_add(&it->original, b, n);
				break;
			}
		if (p == NULL)
			goto out;
	}
	rc = 0;
out:
	mime_free(m);
	if (rc < 0)
		quar_item_clear(it);
	return rc;
}

int quar_path(const char *dir, const char *id, char *buf, size_t size)
{
	static const char *const subs[] = { "new", "cur" };
	size_t idlen = strlen(id);

	if (!quar_id_valid(id)) {
		errno = ENOENT;
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		char *d = xasprintf("%s/%s", dir, subs[i]);
		DIR *dp = opendir(d);
		struct dirent *de;

		while (dp && (de = readdir(dp)) != NULL)
			if (strncmp(de->d_name, id, idlen) == 0 &&
			    (de->d_name[idlen] == 0 || de->d_name[idlen] == ':')) {
				snprintf(buf, size, "%s/%s", d, de->d_name);
				closedir(dp);
				free(d);
				return 0;
			}
		if (dp)
			closedir(dp);
		free(d);
	}
	errno = ENOENT;
	return -1;
}

static int read_item(const char *path, int with_original, struct quar_item *it)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (strbuf_read_file(&sb, path, with_original ? (size_t)4 << 30 : QUAR_HEADER_MAX) < 0 &&
	    !(errno == EFBIG && !with_original)) {
		strbuf_release(&sb);
		return -1;
	}
	if (!with_original) {
		/* the header block is enough */
		char *end = sb.buf ? memmem(sb.buf, sb.len, "\r\n\r\n", 4) : NULL;

		if (end)
			strbuf_setlen(&sb, (size_t)(end - sb.buf) + 4);
	}
	rc = quar_parse(sb.buf ? sb.buf : "", sb.len, with_original, it);
	strbuf_release(&sb);
	if (rc < 0)
		errno = EBADMSG;
	return rc;
}

int quar_read(const char *dir, const char *id, struct quar_item *it)
{
	char path[4096];

	if (quar_path(dir, id, path, sizeof(path)) < 0)
		return -1;
	return read_item(path, 1, it);
}

int quar_delete(const char *dir, const char *id)
{
	char path[4096];

	if (quar_path(dir, id, path, sizeof(path)) < 0)
		return -1;
	if (unlink(path) < 0)
		return -1;
	return fsync_parent(path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int quar_list(const char *dir, quar_list_fn fn, void *ctx)
{
	static const char *const subs[] = { "new", "cur" };
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;

	for (size_t i = 0; i < 2; i++) {
		char *d = xasprintf("%s/%s", dir, subs[i]);
		DIR *dp = opendir(d);
		struct dirent *de;

		if (dp == NULL) {
			free(d);
			if (errno == ENOENT)
				continue;
			rc = -1;
			goto out;
		}
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			xgrow((void **)&names, &alloc, n + 1, sizeof(*names));
			names[n++] = xasprintf("%s/%s", d, de->d_name);
		}
		closedir(dp);
		free(d);
	}
	/* IDs start with the time: sorting the base names sorts by age */
	for (size_t i = 0; i < n; i++) {
		char *b = strrchr(names[i], '/') + 1, *tmp = xasprintf("%s\t%s", b, names[i]);

		free(names[i]);
		names[i] = tmp;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct quar_item it;

		if (read_item(strchr(names[i], '\t') + 1, 0, &it) < 0)
			continue;	/* not ours, or gone meanwhile */
		rc = fn(&it, ctx);
		quar_item_clear(&it);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
