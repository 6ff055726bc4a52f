/* Corpora for train and eval: message files, directories of them,
 * Maildir folders (cur/ and new/) and mbox files, walked in name order,
 * with a progress line on a terminal. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "scl-score.h"

#define FILE_MAX (256u << 20)
#define DEPTH_MAX 8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_update(const char *what, size_t done, bool final)
{
	static double start, last;
	double t;

	if (!isatty(2))
		return;
	t = now();
	if (done <= 1 && start == 0)
		start = last = t;
	if (!final && t - last < 0.2)
		return;
	last = t;
	fprintf(stderr, "\r%s: %zu messages, %.0f/s   %s", what, done,
		t > start ? done / (t - start) : 0.0, final ? "\n" : "");
	if (final)
		start = 0;
}

struct walk {
	const char *what;
	corpus_fn fn;
	void *ctx;
	size_t done;
	int err;
	int stop;
};

static void one(struct walk *w, const char *msg, size_t len, const char *where)
{
	if (w->stop)
		return;
	w->stop = w->fn(msg, len, where, w->ctx);
	w->done++;
	progress_update(w->what, w->done, false);
}

/* Whether the line at s is an mbox separator: "From " and a time of
 * day, so that a body line "From the start..." after a blank line does
 * not cut a message in two. */
static bool from_line(const char *s, size_t len)
{
	if (len < 5 || memcmp(s, "From ", 5) != 0)
		return false;
	for (size_t i = 5; i + 5 < len && s[i] != '\n'; i++)
		if (s[i] == ':' && s[i + 3] == ':' && s[i + 1] >= '0' && s[i + 1] <= '9' &&
		    s[i + 2] >= '0' && s[i + 2] <= '9' && s[i + 4] >= '0' && s[i + 4] <= '9')
			return true;
	return false;
}

/* Separator lines at the start or after a blank line start messages. */
static void mbox(struct walk *w, const char *b, size_t len, const char *path)
{
	size_t start = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(b + pos, '\n', len - pos);
		size_t next = nl ? (size_t)(nl - b) + 1 : len;

		if (from_line(b + next, len - next) &&
		    (next - pos == 1 || (next - pos == 2 && b[pos] == '\r'))) {
			one(w, b + start, next - start, path);
			start = next;
		}
		pos = next;
	}
	if (start < len)
		one(w, b + start, len - start, path);
}

static void walk_path(struct walk *w, const char *path, int depth);

static void walk_file(struct walk *w, const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, FILE_MAX) < 0) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		w->err = -1;
		return;
	}
	if (from_line(sb.buf ? sb.buf : "", sb.len))
		mbox(w, sb.buf, sb.len, path);
	else
		one(w, sb.buf ? sb.buf : "", sb.len, path);
	strbuf_release(&sb);
}

/* Dot files are not mail (and Maildir++ folders are named one by one). */
static int no_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void walk_dir(struct walk *w, const char *path, int depth)
{
	struct dirent **ents;
	int n = scandir(path, &ents, no_dots, alphasort);

	if (n < 0) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		w->err = -1;
		return;
	}
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", path, ents[i]->d_name);

		walk_path(w, p, depth + 1);
		free(p);
		free(ents[i]);
	}
	free(ents);
}

static bool is_maildir(const char *path)
{
	char *c = xasprintf("%s/cur", path), *n = xasprintf("%s/new", path);
	struct stat st;
	bool yes = (stat(c, &st) == 0 && S_ISDIR(st.st_mode)) ||
		   (stat(n, &st) == 0 && S_ISDIR(st.st_mode));

	free(c);
	free(n);
	return yes;
}

static void walk_path(struct walk *w, const char *path, int depth)
{
	struct stat st;

	if (w->stop)
		return;
	if (stat(path, &st) < 0) {
		msg_error("cannot read '%s': %s", path, strerror(errno));
		w->err = -1;
		return;
	}
	if (S_ISREG(st.st_mode)) {
		walk_file(w, path);
	} else if (S_ISDIR(st.st_mode) && depth < DEPTH_MAX) {
		if (is_maildir(path)) {
			char *c = xasprintf("%s/cur", path), *n = xasprintf("%s/new", path);

			if (access(c, F_OK) == 0)
				walk_dir(w, c, depth + 1);
			if (access(n, F_OK) == 0)
				walk_dir(w, n, depth + 1);
			free(c);
			free(n);
		} else {
			walk_dir(w, path, depth);
		}
	}
}

int corpus_walk(const char *const *paths, size_t n, const char *what, corpus_fn fn, void *ctx)
{
	struct walk w = { what, fn, ctx, 0, 0, 0 };

	for (size_t i = 0; i < n && !w.stop; i++)
		walk_path(&w, paths[i], 0);
	progress_update(what, w.done, true);
	return w.err;
}
