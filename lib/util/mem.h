/* Allocation that never returns NULL: on exhaustion the process logs and
 * exits (EX_TEMPFAIL), since a half-served request is worse than none. */
#ifndef POSTERN_UTIL_MEM_H
#define POSTERN_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* Returns a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *p (holding *cap elements of size sz) so it holds at least n. */
void xgrow(void **p, size_t *cap, size_t n, size_t sz);

/* Zeroes memory that held a secret, in a way the compiler keeps. */
void mem_wipe(void *p, size_t n);

#endif
