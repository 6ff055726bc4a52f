/* Growable byte strings (see strbuf.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

static char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->buf = strbuf_empty;
	sb->len = sb->alloc = 0;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (!sb->alloc)
		strbuf_grow(sb, 0);
	p = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, 0);
	return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	void *p;

	if (want <= sb->len)
		msg_fatal(EX_TEMPFAIL, "string too long");
	if (!sb->alloc) {
		/* STRBUF_INIT or strbuf_init: nothing of ours to reuse yet. */
		size_t cap = want < 64 ? 64 : want;
		char *q = xmalloc(cap);

		if (sb->buf && sb->len)
			memcpy(q, sb->buf, sb->len);
		q[sb->len] = 0;
		sb->buf = q;
		sb->alloc = cap;
		return;
	}
	p = sb->buf;
	xgrow(&p, &sb->alloc, want, 1);
	sb->buf = p;
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc) {
		if (len == 0)
			return;
		strbuf_grow(sb, len);
	}
	sb->len = len;
	sb->buf[len] = 0;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = 0;
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_rtrim(struct strbuf *sb)
{
	while (sb->len > 0 && (sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\t' ||
			       sb->buf[sb->len - 1] == '\r' || sb->buf[sb->len - 1] == '\n'))
		sb->len--;
	if (sb->alloc)
		sb->buf[sb->len] = 0;
}

int strbuf_read_fd(struct strbuf *sb, int fd, size_t max)
{
	for (;;) {
		ssize_t n;

		strbuf_grow(sb, 8192);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		sb->len += (size_t)n;
		sb->buf[sb->len] = 0;
		if (sb->len > max) {
			errno = EFBIG;
			return -1;
		}
	}
}

int strbuf_read_file(struct strbuf *sb, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = strbuf_read_fd(sb, fd, max);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

long strbuf_getline(struct strbuf *sb, FILE *fp, size_t max)
{
	size_t start = sb->len;
	int c;

	strbuf_grow(sb, 128);
	while (sb->len - start < max && (c = getc(fp)) != EOF) {
		strbuf_addch(sb, c);
		if (c == '\n')
			break;
	}
	if (ferror(fp))
		return -1;
	return (long)(sb->len - start);
}

size_t dec_format(char out[STRBUF_DEC_MAX], unsigned long long v)
{
	char buf[STRBUF_DEC_MAX], *p = buf + sizeof(buf);
	size_t n;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	n = (size_t)(buf + sizeof(buf) - p);
	memcpy(out, p, n);
	return n;
}

void strbuf_adddec(struct strbuf *sb, unsigned long long v)
{
	char buf[STRBUF_DEC_MAX];

	strbuf_add(sb, buf, dec_format(buf, v));
}
