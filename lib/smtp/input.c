/* A consume-what-you-use buffer over lib/tls/stream for the SMTP server:
 * command lines with their real line ending, and raw data bytes. */
#include <string.h>

#include "smtp/input.h"
#include "util/mem.h"

#define INPUT_CHUNK 16384

struct smtp_input {
	struct stream *s;
	size_t line_max;
	struct strbuf buf;
	size_t pos;		/* first unconsumed byte of buf */
	bool skipping;		/* inside an over-long line */
};

struct smtp_input *smtp_input_new(struct stream *s, size_t line_max)
{
	struct smtp_input *in = xcalloc(1, sizeof(*in));

	in->s = s;
	in->line_max = line_max;
	strbuf_init(&in->buf, INPUT_CHUNK);
	return in;
}

void smtp_input_free(struct smtp_input *in)
{
	if (in == NULL)
		return;
	strbuf_release(&in->buf);
	free(in);
}

const char *smtp_input_peek(const struct smtp_input *in, size_t *len)
{
	*len = in->buf.len - in->pos;
	return in->buf.buf + in->pos;
}

void smtp_input_consume(struct smtp_input *in, size_t n)
{
	in->pos += n;
	if (in->pos >= in->buf.len) {
		strbuf_reset(&in->buf);
		in->pos = 0;
	}
}

/* Moves the unconsumed bytes to the front before the buffer grows. */
static void compact(struct smtp_input *in)
{
	if (in->pos == 0)
		return;
	memmove(in->buf.buf, in->buf.buf + in->pos, in->buf.len - in->pos);
	strbuf_setlen(&in->buf, in->buf.len - in->pos);
	in->pos = 0;
}

/* Whatever the stream has, or what one read brings: never waits for
 * more than the peer sent (the end of DATA may be the last byte). */
void smtp_input_set_timeout(struct smtp_input *in, long long timeout_ms)
{
	stream_set_timeout(in->s, timeout_ms);
}

int smtp_input_fill(struct smtp_input *in)
{
	size_t got;
	int rc;

	compact(in);
	strbuf_grow(&in->buf, INPUT_CHUNK);
	rc = stream_read_some(in->s, in->buf.buf + in->buf.len, INPUT_CHUNK, &got);
	if (rc != STREAM_OK)
		return rc;
	strbuf_setlen(&in->buf, in->buf.len + got);
	return STREAM_OK;
}

size_t smtp_input_pending(const struct smtp_input *in)
{
	return in->buf.len - in->pos + stream_buffered(in->s);
}

size_t smtp_input_discard(struct smtp_input *in)
{
	size_t n = in->buf.len - in->pos;

	strbuf_reset(&in->buf);
	in->pos = 0;
	in->skipping = false;
	return n;
}

int smtp_input_getline(struct smtp_input *in, struct strbuf *line, bool *crlf)
{
	strbuf_reset(line);
	for (;;) {
		size_t avail = in->buf.len - in->pos;
		const char *start = in->buf.buf + in->pos;
		const char *nl = avail ? memchr(start, '\n', avail) : NULL;
		int rc;

		if (nl) {
			size_t take = (size_t)(nl - start);
			bool was_skipping = in->skipping;

			*crlf = take > 0 && start[take - 1] == '\r';
			if (*crlf)
				take--;
			in->skipping = false;
			if (!was_skipping && take <= in->line_max)
				strbuf_add(line, start, take);
			smtp_input_consume(in, (size_t)(nl - start) + 1);
			if (was_skipping || take > in->line_max)
				return STREAM_TOOLONG;
			return STREAM_OK;
		}
		if (avail > in->line_max + 1) {
			in->skipping = true;
			smtp_input_consume(in, avail);
		}
		rc = smtp_input_fill(in);
		if (rc != STREAM_OK)
			return rc;
	}
}
