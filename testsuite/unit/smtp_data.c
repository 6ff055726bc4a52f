/* Unit tests: SMTP data framing (lib/smtp/data.c). The decoder ends a
 * message at CRLF "." CRLF only, unstuffs dots, counts (or normalises)
 * every bare CR and LF, and gives the same result however the input is
 * split; the encoder's output decodes back to the content with exactly
 * one end marker, so nothing smuggled in can end a message early. */
#include <stdlib.h>

#include "smtp/data.h"
#include "tap.h"

/* memcmp with n == 0 may not be given NULL (an empty strbuf's buffer). */
static bool same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

struct res {
	struct strbuf out;
	size_t used;
	bool done;
	unsigned long long bare_cr, bare_lf, bytes;
};

static void res_init(struct res *r)
{
	strbuf_init(&r->out, 0);
	r->used = 0;
	r->done = false;
	r->bare_cr = r->bare_lf = r->bytes = 0;
}

static bool res_same(const struct res *a, const struct res *b)
{
	return same_bytes(a->out.buf, a->out.len, b->out.buf, b->out.len) &&
	       a->used == b->used && a->done == b->done && a->bare_cr == b->bare_cr &&
	       a->bare_lf == b->bare_lf && a->bytes == b->bytes;
}

/* Decodes in, fed in pieces ending at the offsets cuts[0..ncuts) (DATA:
 * a piece is not fed once the end is found). */
static void decode_cuts(const char *in, size_t n, bool bdat, bool normalise,
			const size_t *cuts, size_t ncuts, struct res *r)
{
	struct smtp_data_decoder d;
	size_t from = 0;

	smtp_data_decoder_init(&d, bdat, normalise);
	res_init(r);
	for (size_t i = 0; i <= ncuts && !d.done; i++) {
		size_t to = i < ncuts ? cuts[i] : n;

		r->used += smtp_data_decode(&d, in + from, to - from, &r->out);
		from = to;
	}
	if (bdat)
		smtp_data_decode_finish(&d, &r->out);
	r->done = d.done;
	r->bare_cr = d.bare_cr;
	r->bare_lf = d.bare_lf;
	r->bytes = d.bytes;
}

static void decode(const char *in, size_t n, bool bdat, bool normalise, struct res *r)
{
	decode_cuts(in, n, bdat, normalise, NULL, 0, r);
}

/* The same result for every split in two and three pieces and byte by
 * byte. */
static bool split_invariant(const char *in, size_t n, bool bdat, bool normalise)
{
	struct res whole, part;
	size_t cuts[3];
	bool same = true;

	decode(in, n, bdat, normalise, &whole);
	for (size_t i = 0; i <= n && same; i++) {
		cuts[0] = i;
		decode_cuts(in, n, bdat, normalise, cuts, 1, &part);
		same = res_same(&whole, &part);
		for (size_t j = i; j <= n && same && n <= 120; j++) {
			cuts[1] = j;
			strbuf_release(&part.out);
			decode_cuts(in, n, bdat, normalise, cuts, 2, &part);
			same = res_same(&whole, &part);
		}
		strbuf_release(&part.out);
	}
	if (same) {
		size_t *each = malloc((n + 1) * sizeof(*each));

		for (size_t i = 0; i < n; i++)
			each[i] = i + 1;
		decode_cuts(in, n, bdat, normalise, each, n, &part);
		same = res_same(&whole, &part);
		strbuf_release(&part.out);
		free(each);
	}
	strbuf_release(&whole.out);
	return same;
}

static bool out_is(const struct res *r, const char *want)
{
	return same_bytes(r->out.buf, r->out.len, want, strlen(want));
}

static void test_basic(void)
{
	struct res r;
	const char *m = "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";

	decode(m, strlen(m), false, false, &r);
	ok(r.done && r.used == strlen(m) - 6 && out_is(&r, "Subject: hi\r\n\r\nbody\r\n") &&
	   r.bytes == r.out.len && r.bare_cr + r.bare_lf == 0,
	   "a message ends at CRLF.CRLF; the pipelined QUIT is left");
	strbuf_release(&r.out);
	decode(".\r\n", 3, false, false, &r);
	ok(r.done && r.used == 3 && r.out.len == 0, "an empty message: just the end marker");
	strbuf_release(&r.out);
	decode("abc", 3, false, false, &r);
	ok(!r.done && r.used == 3 && out_is(&r, "abc"), "no end marker yet: everything consumed");
	strbuf_release(&r.out);
	decode("abc\r\n.", 6, false, false, &r);
	ok(!r.done && out_is(&r, "abc\r\n"), "CRLF \".\" without its CRLF is not the end");
	strbuf_release(&r.out);
	decode("abc\r\n.\r", 7, false, false, &r);
	ok(!r.done && out_is(&r, "abc\r\n"), "CRLF \".\" CR is not the end either");
	strbuf_release(&r.out);
}

static void test_stuffing(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "..\r\n.\r\n", ".\r\n" },
		{ "...\r\n.\r\n", "..\r\n" },
		{ "..x\r\n.\r\n", ".x\r\n" },
		{ ".x\r\n.\r\n", "x\r\n" },
		{ "a.b\r\n.\r\n", "a.b\r\n" },
		{ "a\r\n..\r\n..\r\n.\r\n", "a\r\n.\r\n.\r\n" },
		{ "a\r\n. \r\n.\r\n", "a\r\n \r\n" },
		{ "x.\r\n.\r\n", "x.\r\n" },
	};
	struct res r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		decode(t[i].in, strlen(t[i].in), false, false, &r);
		ok(r.done && r.used == strlen(t[i].in) && out_is(&r, t[i].out) &&
		   r.bare_cr + r.bare_lf == 0, "dot-stuffing case %zu", i + 1);
		strbuf_release(&r.out);
	}
}

/* Bare CR and LF: counted and kept (reject mode) or made CRLF. */
static void test_bare(void)
{
	static const struct {
		const char *in, *raw, *norm;
		int cr, lf;
	} t[] = {
		{ "a\rb\r\n.\r\n", "a\rb\r\n", "a\r\nb\r\n", 1, 0 },
		{ "a\nb\r\n.\r\n", "a\nb\r\n", "a\r\nb\r\n", 0, 1 },
		{ "a\r\r\n.\r\n", "a\r\r\n", "a\r\n\r\n", 1, 0 },
		{ "a\n\r\n.\r\n", "a\n\r\n", "a\r\n\r\n", 0, 1 },
		{ "\n.\n\r\n.\r\n", "\n.\n\r\n", "\r\n.\r\n\r\n", 0, 2 },
		{ "x\r\n.\nM\r\n.\r\n", "x\r\n.\nM\r\n", "x\r\n.\r\nM\r\n", 0, 1 },
		{ "x\r\n.\rY\r\n.\r\n", "x\r\n.\rY\r\n", "x\r\n.\r\nY\r\n", 1, 0 },
		{ "x\r\n.\r\r\n.\r\n", "x\r\n.\r\r\n", "x\r\n.\r\n\r\n", 1, 0 },
		{ "x\r.\r\n.\r\n", "x\r.\r\n", "x\r\n.\r\n", 1, 0 },
		{ "x\n.\r\n.\r\n", "x\n.\r\n", "x\r\n.\r\n", 0, 1 },
		{ "\r\n\n\r.\r\n.\r\n", "\r\n\n\r.\r\n", "\r\n\r\n\r\n.\r\n", 1, 1 },
	};
	struct res r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in);
		const char *want_end = t[i].in + n - 3;	/* the real ".\r\n" */
		bool end_ok = strcmp(want_end, ".\r\n") == 0;

		decode(t[i].in, n, false, false, &r);
		ok(end_ok && r.done && r.used == n && out_is(&r, t[i].raw) &&
		   r.bare_cr == (unsigned)t[i].cr && r.bare_lf == (unsigned)t[i].lf,
		   "bare case %zu counted and kept (cr=%d lf=%d)", i + 1, t[i].cr, t[i].lf);
		strbuf_release(&r.out);
		decode(t[i].in, n, false, true, &r);
		ok(r.done && r.used == n && out_is(&r, t[i].norm) && r.bytes == r.out.len &&
		   r.bare_cr == (unsigned)t[i].cr && r.bare_lf == (unsigned)t[i].lf,
		   "bare case %zu normalised to CRLF", i + 1);
		strbuf_release(&r.out);
	}
}

/* Encodes content for the next hop and decodes that again: one end
 * marker, at the very end, and nothing bare. Returns the decoded text. */
static bool relay_once(const char *content, size_t n, struct strbuf *back)
{
	struct smtp_data_encoder e;
	struct smtp_data_decoder d;
	struct strbuf wire = STRBUF_INIT;
	size_t used;
	bool good;

	smtp_data_encoder_init(&e);
	smtp_data_encode(&e, content, n, &wire);
	smtp_data_encode_end(&e, &wire);
	smtp_data_decoder_init(&d, false, false);
	used = smtp_data_decode(&d, wire.buf, wire.len, back);
	good = d.done && used == wire.len && d.bare_cr == 0 && d.bare_lf == 0;
	strbuf_release(&wire);
	return good;
}

/* SMTP smuggling: a fake end of data, then a second transaction, then
 * the real end. Neither mode ends the message early, and what goes to
 * the next hop holds one end marker. */
static void test_smuggling(void)
{
	static const char *const fake[] = {
		"\n.\n", "\r.\n", "\n.\r\n", "\r\n.\r", "\r\n.\n", "\r.\r", "\n.\r", "\r.\r\n",
		"\r\n.\r\r\n", "\n\r\n.\n", "\r\r\n.\r\r\n", "\r\n.\n\r\n", "\n.\n.\n",
		"\r\n.\r.\r\n", "\r\n\n.\r\n",
	};
	const char *head = "Subject: x\r\n\r\nhello", *second =
		"MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\nDATA\r\nevil\r\n",
		*real = "\r\n.\r\n", *after = "QUIT\r\n";

	for (size_t i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
		struct strbuf m = STRBUF_INIT, back = STRBUF_INIT;
		size_t end;
		bool good = true;

		strbuf_addf(&m, "%s%s%s%s", head, fake[i], second, real);
		end = m.len;
		strbuf_addstr(&m, after);
		for (int norm = 0; norm < 2; norm++) {
			struct res r;

			decode(m.buf, m.len, false, norm, &r);
			good = good && r.done && r.used == end && r.bare_cr + r.bare_lf > 0;
			strbuf_reset(&back);
			good = good && relay_once(r.out.buf, r.out.len, &back);
			if (norm)	/* normalised: the next hop gets the same text */
				good = good && same_bytes(back.buf, back.len, r.out.buf, r.out.len);
			strbuf_release(&r.out);
		}
		ok(good, "fake end %zu is content in both modes, one end at the next hop", i + 1);
		ok(split_invariant(m.buf, m.len, false, false) &&
		   split_invariant(m.buf, m.len, false, true),
		   "fake end %zu: same result split at every offset", i + 1);
		strbuf_release(&m);
		strbuf_release(&back);
	}
}

static void test_splits(void)
{
	static const char *const t[] = {
		"a\r\n.\r\n", "..\r\n...x\r\n.\r\n", "a\rb\nc\r\r\n\n\r.\r\n",
		"x\r\n.\r\r\n.\r\n", "\r\n.\n.\r\n.\r\nQUIT\r\n", ".\r\nRSET\r\n",
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(split_invariant(t[i], strlen(t[i]), false, false) &&
		   split_invariant(t[i], strlen(t[i]), false, true),
		   "DATA case %zu: same result split at every offset", i + 1);
	ok(split_invariant("a\r\nb\rc\nd\r", 9, true, false) &&
	   split_invariant("a\r\nb\rc\nd\r", 9, true, true),
	   "BDAT: same result split at every offset");
}

static void test_bdat(void)
{
	struct res r;
	size_t cut = 2;

	decode("a.\r\n.b\r\n.\r\n", 11, true, false, &r);
	ok(!r.done && r.used == 11 && out_is(&r, "a.\r\n.b\r\n.\r\n") &&
	   r.bare_cr + r.bare_lf == 0, "BDAT: no dot-stuffing, no end marker");
	strbuf_release(&r.out);
	decode_cuts("a\r\nb", 4, true, false, &cut, 1, &r);
	ok(out_is(&r, "a\r\nb") && r.bare_cr == 0, "BDAT: a CRLF split between chunks is not bare");
	strbuf_release(&r.out);
	decode("a\r", 2, true, false, &r);
	ok(out_is(&r, "a\r") && r.bare_cr == 1, "BDAT: a CR at the end of the last chunk is bare");
	strbuf_release(&r.out);
	decode("a\r", 2, true, true, &r);
	ok(out_is(&r, "a\r\n") && r.bare_cr == 1, "BDAT: ...and normalised to CRLF");
	strbuf_release(&r.out);
	decode("a\nb", 3, true, false, &r);
	ok(out_is(&r, "a\nb") && r.bare_lf == 1, "BDAT: a bare LF counted");
	strbuf_release(&r.out);
}

static void encode_str(const char *in, size_t n, struct strbuf *out)
{
	struct smtp_data_encoder e;

	smtp_data_encoder_init(&e);
	smtp_data_encode(&e, in, n, out);
	smtp_data_encode_end(&e, out);
}

static void test_encode(void)
{
	static const struct {
		const char *in, *wire;
	} t[] = {
		{ "", ".\r\n" },
		{ "abc", "abc\r\n.\r\n" },
		{ "abc\r\n", "abc\r\n.\r\n" },
		{ "a\r\n.b\r\n", "a\r\n..b\r\n.\r\n" },
		{ ".", "..\r\n.\r\n" },
		{ ".\r\n", "..\r\n.\r\n" },
		{ "a\nb", "a\r\nb\r\n.\r\n" },
		{ "a\rb", "a\r\nb\r\n.\r\n" },
		{ "a\r", "a\r\n.\r\n" },
		{ "\n.", "\r\n..\r\n.\r\n" },
		{ "\r.", "\r\n..\r\n.\r\n" },
		{ "a.b.\r\n..", "a.b.\r\n...\r\n.\r\n" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct strbuf w = STRBUF_INIT;

		encode_str(t[i].in, strlen(t[i].in), &w);
		ok(same_bytes(w.buf, w.len, t[i].wire, strlen(t[i].wire)),
		   "encode case %zu", i + 1);
		strbuf_release(&w);
	}
	{
		const char *in = "a\r\n.\r\nb\rc\n.\r..x";
		size_t n = strlen(in);
		struct strbuf whole = STRBUF_INIT;
		bool same = true;

		encode_str(in, n, &whole);
		for (size_t i = 0; i <= n && same; i++) {
			struct smtp_data_encoder e;
			struct strbuf w = STRBUF_INIT;

			smtp_data_encoder_init(&e);
			smtp_data_encode(&e, in, i, &w);
			smtp_data_encode(&e, in + i, n - i, &w);
			smtp_data_encode_end(&e, &w);
			same = same_bytes(w.buf, w.len, whole.buf, whole.len);
			strbuf_release(&w);
		}
		ok(same, "encoding split at every offset gives the same text");
		strbuf_release(&whole);
	}
}

/* What the content becomes after a round trip: every bare CR or LF a
 * CRLF, and a CRLF at the end of an unfinished last line. */
static void norm_ref(const char *in, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n') {
			strbuf_addstr(out, "\r\n");
			i++;
		} else if (in[i] == '\r' || in[i] == '\n') {
			strbuf_addstr(out, "\r\n");
		} else {
			strbuf_addch(out, in[i]);
		}
	}
	if (out->len && (out->len < 2 || memcmp(out->buf + out->len - 2, "\r\n", 2) != 0))
		strbuf_addstr(out, "\r\n");
}

/* Random contents over alphabet, up to max - 1 bytes: short runs (CR
 * and LF everywhere) and long ones (the 16-byte steps of run_len, a CR
 * or LF at any place in a step or after it). */
static void round_trips(const char *alphabet, size_t alen, size_t max, const char *what)
{
	unsigned seed = 12345;
	int bad = 0;

	for (int round = 0; round < 2000; round++) {
		char in[512];
		size_t n;
		struct strbuf back = STRBUF_INIT, want = STRBUF_INIT;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % max;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = alphabet[(seed >> 16) % alen];
		}
		norm_ref(in, n, &want);
		if (!relay_once(in, n, &back) || !same_bytes(back.buf, back.len, want.buf, want.len))
			bad++;
		strbuf_release(&back);
		strbuf_release(&want);
	}
	is_int(bad, 0, "2000 random contents (%s): encode then decode gives the content back, "
	       "with one end marker and nothing bare", what);
}

static void test_round_trip(void)
{
	static const char dense[] = "a.\r\n .";
	static const char sparse[] = "abcdefghijklmnopqrstuvwxyz0123456789 .\r\n";

	round_trips(dense, sizeof(dense) - 1, 96, "CR and LF dense");
	round_trips(sparse, sizeof(sparse) - 1, 512, "long runs between CR and LF");
}

/* BDAT to the next hop: the chunk carries its length, so no dot is
 * stuffed and no end marker is added; line ends are made CRLF as for
 * DATA, the last line ended. Split anywhere, the bytes are the same. */
static void test_encode_bdat(void)
{
	static const struct {
		const char *in, *wire;
	} t[] = {
		{ "", "" },
		{ "abc", "abc\r\n" },
		{ "abc\r\n", "abc\r\n" },
		{ "a\r\n.b\r\n", "a\r\n.b\r\n" },
		{ ".", ".\r\n" },
		{ "a\r\n.\r\nb", "a\r\n.\r\nb\r\n" },
		{ "a\nb", "a\r\nb\r\n" },
		{ "a\rb", "a\r\nb\r\n" },
		{ "a\r", "a\r\n" },
		{ "\n.\n", "\r\n.\r\n" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in);

		for (size_t cut = 0; cut <= n; cut++) {
			struct smtp_data_encoder e;
			struct strbuf w = STRBUF_INIT;

			smtp_data_encoder_init_bdat(&e);
			smtp_data_encode(&e, t[i].in, cut, &w);
			smtp_data_encode(&e, t[i].in + cut, n - cut, &w);
			smtp_data_encode_end(&e, &w);
			if (cut == n || !same_bytes(w.buf, w.len, t[i].wire, strlen(t[i].wire))) {
				ok(same_bytes(w.buf, w.len, t[i].wire, strlen(t[i].wire)),
				   "BDAT encode case %zu (cut at %zu)", i + 1, cut);
				strbuf_release(&w);
				break;
			}
			strbuf_release(&w);
		}
	}
	{
		struct smtp_data_encoder e;
		struct strbuf w = STRBUF_INIT;

		smtp_data_encoder_init_bdat(&e);
		smtp_data_encode(&e, "x", 1, &w);
		smtp_data_encode_end(&e, &w);
		smtp_data_encode(&e, ".y", 2, &w);
		smtp_data_encode_end(&e, &w);
		ok(same_bytes(w.buf, w.len, "x\r\n.y\r\n", 7),
		   "BDAT: the encoder stays in BDAT mode after an end");
		strbuf_release(&w);
	}
}

int main(void)
{
	test_basic();
	test_stuffing();
	test_bare();
	test_smuggling();
	test_splits();
	test_bdat();
	test_encode();
	test_encode_bdat();
	test_round_trip();
	return tap_done();
}
