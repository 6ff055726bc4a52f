/* Growable byte strings, after git's strbuf. A strbuf always owns its
 * buffer, which is NUL-terminated (buf[len] == 0) and may hold NULs.
 * strbuf_detach hands the buffer to the caller, who frees it. */
#ifndef POSTERN_UTIL_STRBUF_H
#define POSTERN_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the buffer and leaves sb empty and reusable. */
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (caller frees) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
/* Inline: a byte at a time is how the parsers build their tokens, and
 * the room is there nearly always. */
static inline void strbuf_addch(struct strbuf *sb, int c)
{
	if (sb->len + 2 > sb->alloc)	/* the byte and the NUL */
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = 0;
}
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_rtrim(struct strbuf *sb);
/* Writes v in decimal at the start of out (no NUL; 20 bytes at most) and
 * returns the length: for hot paths where printf's cost shows. */
#define STRBUF_DEC_MAX 20
size_t dec_format(char out[STRBUF_DEC_MAX], unsigned long long v);
/* v in decimal, appended. */
void strbuf_adddec(struct strbuf *sb, unsigned long long v);
/* Reads the whole of fd (up to max bytes; more is an error, errno EFBIG).
 * Returns 0, or -1 with errno set. */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t max);
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);
/* Reads one line including its '\n' from a stdio stream, at most max
 * bytes (a longer line is cut there and the rest left in the stream).
 * Returns the number of bytes read, 0 at EOF, -1 on error. */
#include <stdio.h>
long strbuf_getline(struct strbuf *sb, FILE *fp, size_t max);

#endif
