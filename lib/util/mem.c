/* Allocation wrappers that exit on exhaustion (see mem.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

static void *check(void *p, size_t n)
{
	if (p == NULL && n != 0)
		msg_fatal(EX_TEMPFAIL, "out of memory allocating %zu bytes", n);
	return p;
}

void *xmalloc(size_t n)
{
	return check(malloc(n ? n : 1), n ? n : 1);
}

void *xcalloc(size_t nmemb, size_t size)
{
	if (size && nmemb > (size_t)-1 / size)
		msg_fatal(EX_TEMPFAIL, "out of memory: %zu x %zu bytes", nmemb, size);
	return check(calloc(nmemb ? nmemb : 1, size ? size : 1), 1);
}

void *xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1), n ? n : 1);
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n);

	memcpy(q, p, n);
	return q;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg_fatal(EX_TEMPFAIL, "out of memory formatting a string");
	return s;
}

void xgrow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap;

	if (n <= c)
		return;
	c = c ? c : 8;
	while (c < n) {
		if (c > ((size_t)-1 / 2) / sz)
			msg_fatal(EX_TEMPFAIL, "out of memory growing an array");
		c *= 2;
	}
	*p = xrealloc(*p, c * sz);
	*cap = c;
}

void mem_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}
