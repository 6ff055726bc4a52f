/* DATA framing: the strict end-of-data decoder and the dot-stuffing
 * encoder of an SMTP proxy (see data.h for why each is strict). */
#include "smtp/data.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* How many bytes of p[0..n) come before the first CR or LF: the runs
 * inside lines that both directions copy as they are, sixteen bytes a
 * step where SSE2 is there (every x86-64). */
static size_t run_len(const char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));

		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

/* Decoder states: where we are relative to the last CRLF. */
enum {
	D_LINE_START,	/* after CRLF (or at the start): "." may follow */
	D_DOT,		/* after CRLF "." */
	D_DOT_CR,	/* after CRLF "." CR */
	D_MID,		/* inside a line */
	D_CR,		/* inside a line, after a CR */
};

void smtp_data_decoder_init(struct smtp_data_decoder *d, bool bdat, bool normalise)
{
	d->state = bdat ? D_MID : D_LINE_START;
	d->bdat = bdat;
	d->normalise = normalise;
	d->done = false;
	d->bare_cr = d->bare_lf = d->bytes = 0;
}

static void put(struct smtp_data_decoder *d, struct strbuf *out, const char *s, size_t n)
{
	strbuf_add(out, s, n);
	d->bytes += n;
}

/* A bare CR or LF: either a line end of ours, or kept as it is. The
 * state after it is D_MID even when normalised, so that a "." behind it
 * is content, never unstuffed, never part of an end marker. */
static void bare(struct smtp_data_decoder *d, struct strbuf *out, char ch)
{
	if (ch == '\r')
		d->bare_cr++;
	else
		d->bare_lf++;
	if (d->normalise)
		put(d, out, "\r\n", 2);
	else
		put(d, out, &ch, 1);
	d->state = D_MID;
}

/* One byte in the middle of a line (also the first after a line start). */
static void mid(struct smtp_data_decoder *d, struct strbuf *out, char ch)
{
	if (ch == '\r')
		d->state = D_CR;
	else if (ch == '\n')
		bare(d, out, '\n');
	else {
		put(d, out, &ch, 1);
		d->state = D_MID;
	}
}

static void step(struct smtp_data_decoder *d, struct strbuf *out, char ch)
{
	switch (d->state) {
	case D_LINE_START:
		if (ch == '.' && !d->bdat)
			d->state = D_DOT;
		else
			mid(d, out, ch);
		break;
	case D_DOT:
		if (ch == '\r') {
			d->state = D_DOT_CR;
		} else if (ch == '\n') {
			/* CRLF "." LF: not an end; the dot is content */
			put(d, out, ".", 1);
			bare(d, out, '\n');
		} else {
			/* a stuffed dot: RFC 5321 4.5.2 drops it */
			mid(d, out, ch);
		}
		break;
	case D_DOT_CR:
		if (ch == '\n') {
			d->done = true;
			break;
		}
		/* CRLF "." CR and something else: the dot is content */
		put(d, out, ".", 1);
		bare(d, out, '\r');
		mid(d, out, ch);
		break;
	case D_CR:
		if (ch == '\n') {
			put(d, out, "\r\n", 2);
			d->state = D_LINE_START;
		} else {
			bare(d, out, '\r');
			mid(d, out, ch);
		}
		break;
	default:
		mid(d, out, ch);
		break;
	}
}

size_t smtp_data_decode(struct smtp_data_decoder *d, const char *in, size_t n,
			struct strbuf *out)
{
	size_t i = 0;

	while (i < n && !d->done) {
		/* The common case, a run of ordinary bytes inside a line. */
		if (d->state == D_MID) {
			size_t j = i + run_len(in + i, n - i);

			if (j > i) {
				put(d, out, in + i, j - i);
				i = j;
				continue;
			}
		}
		step(d, out, in[i++]);
	}
	return i;
}

void smtp_data_decode_finish(struct smtp_data_decoder *d, struct strbuf *out)
{
	if (d->state == D_CR)
		bare(d, out, '\r');
}

void smtp_data_encoder_init(struct smtp_data_encoder *e)
{
	e->line_start = true;
	e->cr = false;
	e->bdat = false;
}

void smtp_data_encoder_init_bdat(struct smtp_data_encoder *e)
{
	smtp_data_encoder_init(e);
	e->bdat = true;
}

void smtp_data_encode(struct smtp_data_encoder *e, const char *in, size_t n,
		      struct strbuf *out)
{
	size_t i = 0;

	strbuf_grow(out, n + n / 64 + 4);
	while (i < n) {
		char ch = in[i];
		bool was_cr = e->cr;

		if (!was_cr && !e->line_start && ch != '\r' && ch != '\n') {
			/* a run inside a line goes out as it is */
			size_t j = i + run_len(in + i, n - i);

			strbuf_add(out, in + i, j - i);
			i = j;
			continue;
		}
		i++;
		e->cr = false;
		if (was_cr && ch != '\n') {
			/* a bare CR: end its line properly */
			strbuf_addch(out, '\n');
			e->line_start = true;
		}
		if (ch == '\r') {
			strbuf_addch(out, '\r');
			e->cr = true;
		} else if (ch == '\n') {
			if (!was_cr)
				strbuf_addch(out, '\r');
			strbuf_addch(out, '\n');
			e->line_start = true;
		} else {
			if (e->line_start && ch == '.' && !e->bdat)
				strbuf_addch(out, '.');
			strbuf_addch(out, ch);
			e->line_start = false;
		}
	}
}

void smtp_data_encode_end(struct smtp_data_encoder *e, struct strbuf *out)
{
	bool bdat = e->bdat;

	if (e->cr)
		strbuf_addch(out, '\n');
	else if (!e->line_start)
		strbuf_addstr(out, "\r\n");
	if (!bdat)
		strbuf_addstr(out, ".\r\n");
	smtp_data_encoder_init(e);
	e->bdat = bdat;
}
