/* Feature extraction for the classifier (see feature.h): a tokenizer over
 * decoded text and the header and structure features of a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/address.h"
#include "mail/mime.h"
#include "spam/feature.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define WORD_MAX 40		/* longer words become a "long word" feature */
/* Bigrams of each word with the two before it. Measured on the
 * SpamAssassin corpus with the ensemble of train.c: a window of 2 gave
 * 1-ROCA% 0.13 on split A where 4 gave 0.16 and 5 0.19 (and a tenth
 * fewer features per message to hash and sort). */
#define OSB_WINDOW 2
#define HEADERS_MAX 100
#define PARTS_MAX 100
#define NAME_MAX_BYTES 64

static uint32_t fnv_add(uint32_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

/* Murmur3's finaliser: the FNV state alone clusters in the top bits. */
static uint32_t fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#define FNV_SEED 2166136261u

void spam_fv_init(struct spam_fv *fv, bool keep_names)
{
	memset(fv, 0, sizeof(*fv));
	fv->keep_names = keep_names;
	fv->max = SPAM_FV_MAX;
	strbuf_init(&fv->names, 0);
}

void spam_fv_reset(struct spam_fv *fv)
{
	fv->n = 0;
	strbuf_reset(&fv->names);
}

void spam_fv_release(struct spam_fv *fv)
{
	free(fv->f);
	strbuf_release(&fv->names);
	memset(fv, 0, sizeof(*fv));
}

static void fv_push(struct spam_fv *fv, uint32_t id, const char *n1, size_t l1, const char *n2,
		    size_t l2, const char *n3, size_t l3)
{
	uint32_t name = 0;

	if (fv->n >= fv->max)
		return;
	if (fv->keep_names) {
		name = (uint32_t)fv->names.len;
		strbuf_add(&fv->names, n1, l1 > NAME_MAX_BYTES ? NAME_MAX_BYTES : l1);
		strbuf_add(&fv->names, n2, l2 > NAME_MAX_BYTES ? NAME_MAX_BYTES : l2);
		strbuf_add(&fv->names, n3, l3 > NAME_MAX_BYTES ? NAME_MAX_BYTES : l3);
		strbuf_addch(&fv->names, 0);
	}
	if (fv->n == fv->alloc)
		xgrow((void **)&fv->f, &fv->alloc, fv->n + 1, sizeof(*fv->f));
	fv->f[fv->n].id = id;
	fv->f[fv->n].name = name;
	fv->n++;
}

void spam_fv_add(struct spam_fv *fv, const char *prefix, const char *tok, size_t len)
{
	size_t pl = strlen(prefix);
	uint32_t h = fnv_add(fnv_add(FNV_SEED, prefix, pl), tok, len);

	fv_push(fv, fmix(h), prefix, pl, tok, len, "", 0);
}

/* LSD radix sort on the bucket (bits at most SPAM_BITS_MAX, 22) in two
 * passes of half the bits each: the filter sorts thousands of features
 * per message, and qsort with a comparator was a tenth of its time; half
 * the bits (at most 2048 counters, 512 for the default table) keep the
 * counters that each pass clears small. Stable, so names keep their
 * order. */
#define RADIX_DIGIT_MAX 11
static void radix_sort(struct spam_feat *f, size_t n, unsigned bits)
{
	struct spam_feat *tmp = xmalloc((n ? n : 1) * sizeof(*tmp)), *src = f, *dst = tmp;
	unsigned digit = bits > 2 * RADIX_DIGIT_MAX ? RADIX_DIGIT_MAX : (bits + 1) / 2;
	uint32_t mask = ((uint32_t)1 << digit) - 1;

	for (unsigned shift = 0; shift < 2 * digit; shift += digit) {
		uint32_t count[(1u << RADIX_DIGIT_MAX) + 1];

		memset(count, 0, (mask + 2) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[((src[i].id >> shift) & mask) + 1]++;
		for (uint32_t k = 1; k <= mask + 1; k++)
			count[k] += count[k - 1];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].id >> shift) & mask]++] = src[i];
		src = dst;
		dst = src == f ? tmp : f;
	}
	free(tmp);
}

void spam_fv_finish(struct spam_fv *fv, unsigned bits)
{
	size_t j = 0;

	for (size_t i = 0; i < fv->n; i++)
		fv->f[i].id >>= 32 - bits;
	radix_sort(fv->f, fv->n, bits);
	for (size_t i = 0; i < fv->n; i++)
		if (j == 0 || fv->f[j - 1].id != fv->f[i].id)
			fv->f[j++] = fv->f[i];
	fv->n = j;
}

/* Open addressing over the buckets, at most four fifths full if every
 * feature were another bucket (a message repeats a fifth of them): the
 * buckets are the top bits of mixed hashes, so their low bits index the
 * table as they are. */
void spam_fv_dedup(struct spam_fv *fv, unsigned bits)
{
	size_t size = 64, j = 0;
	uint32_t *seen;

	while (size < fv->n + fv->n / 4)
		size *= 2;
	seen = xcalloc(size, sizeof(*seen));
	for (size_t i = 0; i < fv->n; i++) {
		uint32_t b = fv->f[i].id >> (32 - bits);
		size_t k = b & (size - 1);

		/* A slot holds its bucket plus one: zero is empty. */
		while (seen[k] != 0 && seen[k] != b + 1)
			k = (k + 1) & (size - 1);
		if (seen[k] != 0)
			continue;
		seen[k] = b + 1;
		fv->f[j] = fv->f[i];
		fv->f[j++].id = b;
	}
	fv->n = j;
	free(seen);
}

const char *spam_fv_name(const struct spam_fv *fv, size_t i)
{
	if (!fv->keep_names || i >= fv->n || fv->names.buf == NULL)
		return "";
	return fv->names.buf + fv->f[i].name;
}

/* The classes of bytes, a table: the tokenizer looks at every byte of
 * the text, where five comparisons a byte were a tenth of the filter's
 * work on a message. */
enum { WORD = 1, JOIN = 2 };
static const unsigned char byte_class[256] = {
	/* Bytes that make words: ASCII letters and digits, '$' (prices),
	 * and every byte of a UTF-8 sequence, so non-Latin words stay
	 * whole. */
	['0' ... '9'] = WORD, ['A' ... 'Z'] = WORD, ['a' ... 'z'] = WORD, ['$'] = WORD,
	[0x80 ... 0xff] = WORD,
	/* Joiners kept inside a word ("e-mail", "don't", "example.com",
	 * "3.50"). */
	['.'] = JOIN, ['-'] = JOIN, ['\''] = JOIN, ['@'] = JOIN, ['_'] = JOIN,
};

static int word_byte(unsigned char c)
{
	return byte_class[c] & WORD;
}

static int joiner(unsigned char c)
{
	return byte_class[c] & JOIN;
}

struct osb {
	const char *prefix;
	size_t pl;		/* strlen(prefix), once per text */
	uint32_t pseed;		/* the prefix's hash */
	uint32_t h[OSB_WINDOW];
	const char *w[OSB_WINDOW];
	size_t wl[OSB_WINDOW];
	char store[OSB_WINDOW][WORD_MAX + 16];
	unsigned n;		/* words seen */
};

/* The hash of the pair of the word hashed wh with the one k before it. */
static inline uint32_t osb_pair(const struct osb *o, unsigned k, uint32_t wh)
{
	return fmix((o->h[(o->n - k) % OSB_WINDOW] * 0x9e3779b1u + wh) ^ (k * 0x27d4eb2du) ^
		    o->pseed);
}

static void osb_word(struct spam_fv *fv, struct osb *o, const char *w, size_t wl)
{
	static const char gaps[] = " _ _ _ ";
	const char *prefix = o->prefix;
	uint32_t pseed = o->pseed, wh = FNV_SEED, ph = pseed;
	size_t pl = o->pl;
	unsigned slot = o->n % OSB_WINDOW;

	/* The word's hash alone (for the pairs) and with the prefix's, in
	 * one pass: fnv_add twice, the same values. Without a prefix (the
	 * body) the two are one. */
	if (pl == 0) {
		for (size_t i = 0; i < wl; i++)
			wh = (wh ^ (unsigned char)w[i]) * 16777619u;
		ph = wh;
	} else {
		for (size_t i = 0; i < wl; i++) {
			wh = (wh ^ (unsigned char)w[i]) * 16777619u;
			ph = (ph ^ (unsigned char)w[i]) * 16777619u;
		}
	}
	/* Without names and with room for the word and its pairs (the
	 * array is sized from the message), written here: fv_push's call
	 * a feature was a tenth of the tokenizer's work. */
	if (!fv->keep_names && fv->n + OSB_WINDOW + 1 <= fv->alloc &&
	    fv->n + OSB_WINDOW + 1 <= fv->max) {
		struct spam_feat *f = fv->f + fv->n;
		unsigned m = 0;

		f[m++] = (struct spam_feat){ fmix(ph), 0 };
		for (unsigned k = 1; k <= OSB_WINDOW && k <= o->n; k++)
			f[m++] = (struct spam_feat){ osb_pair(o, k, wh), 0 };
		fv->n += m;
		o->h[slot] = wh;
		o->n++;
		return;
	}
	fv_push(fv, fmix(ph), prefix, pl, w, wl, "", 0);
	for (unsigned k = 1; k <= OSB_WINDOW && k <= o->n; k++) {
		unsigned s = (o->n - k) % OSB_WINDOW;
		uint32_t h = osb_pair(o, k, wh);

		if (fv->keep_names) {
			char left[WORD_MAX + 24];
			int ll = snprintf(left, sizeof(left), "%.*s%.*s", (int)o->wl[s], o->w[s],
					  (int)(2 * k - 1), gaps);

			fv_push(fv, h, prefix, pl, left, (size_t)ll, w, wl);
		} else {
			fv_push(fv, h, "", 0, "", 0, "", 0);
		}
	}
	o->h[slot] = wh;
	if (fv->keep_names) {	/* the words are only for the names */
		memcpy(o->store[slot], w, wl);
		o->w[slot] = o->store[slot];
		o->wl[slot] = wl;
	}
	o->n++;
}

/* Cuts a word into the feature it gives: lowercased, long ones reduced
 * to their start and a length class. Returns its length in out; *caps:
 * a word in capitals; *cased: out differs from s (a capital lowered). */
static size_t word_form(const char *s, size_t len, char *out, bool *caps, bool *cased)
{
	size_t n = len > WORD_MAX ? 8 : len, letters = 0, upper = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z') {
			upper++;
			c = (unsigned char)(c - 'A' + 'a');
		}
		letters += c >= 'a' && c <= 'z';
		out[i] = (char)c;
	}
	*caps = len <= WORD_MAX && letters >= 3 && upper == letters;
	*cased = upper > 0;
	if (len > WORD_MAX) {	/* "~N", N the length class */
		out[n++] = '~';
		n += dec_format(out + n, len / 16);
	}
	return n;
}

/* The code point of a 3-byte UTF-8 sequence at s (len bytes left) in
 * the CJK ranges (kana, CJK ideographs, Hangul syllables), else 0. */
static unsigned cjk_at(const unsigned char *s, size_t len)
{
	unsigned c;

	if (len < 3 || (s[0] & 0xf0) != 0xe0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
		return 0;
	c = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
	if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) ||
	    (c >= 0xac00 && c <= 0xd7af))
		return c;
	return 0;
}

/* Text in Chinese, Japanese or Korean has no spaces between words, so a
 * run of it would be one long "word": such a run gives the bigrams of
 * its characters instead, each counted as a word. Returns whether w was
 * such a run. */
static bool cjk_run(struct spam_fv *fv, struct osb *o, const char *w, size_t len, bool osb,
		    size_t *words, size_t max_words)
{
	const unsigned char *u = (const unsigned char *)w;
	size_t n = 0, prev = SIZE_MAX;

	for (size_t i = 0; i + 3 <= len; i++)
		if (cjk_at(u + i, len - i)) {
			n++;
			i += 2;
		}
	if (n < 2)
		return false;
	for (size_t i = 0; i < len && (max_words == 0 || *words < max_words);) {
		if (!cjk_at(u + i, len - i)) {
			prev = SIZE_MAX;
			i++;
			continue;
		}
		if (prev != SIZE_MAX) {
			(*words)++;
			if (osb)
				osb_word(fv, o, w + prev, 6);
			else
				spam_fv_add(fv, o->prefix, w + prev, 6);
		}
		prev = i;
		i += 3;
	}
	return true;
}

size_t spam_tokenize(struct spam_fv *fv, const char *prefix, const char *text, size_t len,
		     bool osb, size_t max_words)
{
	struct osb o;
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, words = 0;
	char w[WORD_MAX + 16];

	o.prefix = prefix;
	o.pl = strlen(prefix);
	o.pseed = fnv_add(FNV_SEED, prefix, o.pl);
	o.n = 0;
	while (i < len && (max_words == 0 || words < max_words)) {
		size_t start, wl;
		bool caps, cased, lead3;

		if (s[i] == '!' && i + 1 < len && s[i + 1] == '!') {
			while (i < len && s[i] == '!')
				i++;
			spam_fv_add(fv, prefix, "!!", 2);
			continue;
		}
		if (!word_byte(s[i])) {
			i++;
			continue;
		}
		start = i;
		lead3 = false;
		while (i < len && (word_byte(s[i]) ||
				   (joiner(s[i]) && i + 1 < len && word_byte(s[i + 1])))) {
			lead3 |= s[i] >= 0xe0;
			i++;
		}
		if (i - start < 2 && s[start] != '$')
			continue;
		/* CJK characters are 3-byte sequences: a word without their
		 * lead byte is not looked at again. */
		if (lead3 && cjk_run(fv, &o, text + start, i - start, osb, &words, max_words))
			continue;
		wl = word_form(text + start, i - start, w, &caps, &cased);
		words++;
		if (osb)
			osb_word(fv, &o, w, wl);
		else
			spam_fv_add(fv, prefix, w, wl);
		if (caps)
			spam_fv_add(fv, "^", w, wl);
		else if (i - start <= WORD_MAX && cased)	/* lowered: not as written */
			spam_fv_add(fv, "~", text + start, wl);	/* "Free", "iPhone": case as written */
	}
	return words;
}

static size_t lim_or(size_t v, size_t def)
{
	return v ? v : def;
}

static void add_num(struct spam_fv *fv, const char *prefix, unsigned long v)
{
	char b[STRBUF_DEC_MAX];

	spam_fv_add(fv, prefix, b, dec_format(b, v));
}

static unsigned log2_class(size_t v)
{
	unsigned c = 0;

	while (v > 1 && c < 40) {
		v >>= 1;
		c++;
	}
	return c;
}

/* The header name as a prefix "name:", lowercased and cut. */
static void header_prefix(const char *name, char *out, size_t size)
{
	size_t i = 0;

	for (; name[i] && i + 2 < size; i++)
		out[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
	out[i++] = ':';
	out[i] = 0;
}

/* Fields whose words count. Measured on the SpamAssassin corpus: the
 * words of every field (Date, Message-ID, list headers) fit the training
 * mail's dates and cost accuracy on new mail; these carry the sender,
 * the subject, the mailer and, in the oldest Received without its date
 * (cut at the ';'), the host the message came from and its first relay.
 * Only the oldest: the newer ones name the receiving site's own relays,
 * in ham and spam alike, and where a corpus collected the two through
 * different relays (the SpamAssassin corpus: phobos.labs.netnoteinc.com
 * in 500 of 2750 training hams and no training spam, in 507 of 1396 test
 * spams) the model learnt the route instead of the message: split A
 * missed 87% of spam at SCL >= 7 with every Received, 50% with the
 * oldest. With the dates of every field split A's 1-ROCA% went from 0.11
 * to 0.19. */
static const char *const worded_fields[] = {
	"subject:", "from:", "reply-to:", "to:", "content-type:", "x-mailer:", "user-agent:",
	"received:", NULL
};

static bool worded(const char *prefix)
{
	for (const char *const *f = worded_fields; *f; f++)
		if ((*f)[0] == prefix[0] && strcmp(*f, prefix) == 0)
			return true;
	return false;
}

static void header_features(struct spam_fv *fv, const struct mime_part *root, size_t max)
{
	struct strbuf v = STRBUF_INIT;
	unsigned nrcvd = 0, oldest = 0;

	for (unsigned i = 0; i < root->nheaders && i < HEADERS_MAX; i++)
		if (ascii_caseeq(root->headers[i].name, "Received"))
			oldest = i;
	for (unsigned i = 0; i < root->nheaders && i < HEADERS_MAX; i++) {
		const struct mime_header *h = &root->headers[i];
		char prefix[NAME_MAX_BYTES];
		bool rcvd;

		header_prefix(h->name, prefix, sizeof(prefix));
		rcvd = strcmp(prefix, "received:") == 0;
		nrcvd += rcvd;
		if (!worded(prefix))
			continue;
		if (rcvd && i != oldest)
			continue;
		strbuf_reset(&v);
		mime_header_decode(h, &v);
		if (rcvd && v.buf) {
			const char *semi = memchr(v.buf, ';', v.len);

			if (semi)
				strbuf_setlen(&v, (size_t)(semi - v.buf));
		}
		spam_tokenize(fv, prefix, v.buf ? v.buf : "", v.len > max ? max : v.len,
			      strcmp(prefix, "subject:") == 0, 0);
	}
	add_num(fv, "X:rcvd=", nrcvd > 12 ? 12 : nrcvd);
	strbuf_release(&v);
}

static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

static void address_features(struct spam_fv *fv, const struct mime_part *root)
{
	const struct mime_header *from = mime_header_find(root, "From", 0);
	const struct mime_header *rt = mime_header_find(root, "Reply-To", 0);
	struct strbuf fa = STRBUF_INIT, ra = STRBUF_INIT;

	if (from == NULL || address_first(from->value, from->value_len, &fa) < 0) {
		spam_fv_add(fv, "X:", "no-from", 7);
	} else {
		const char *d = domain_of(fa.buf);

		spam_fv_add(fv, "X:fromdom=", d, strlen(d));
	}
	if (rt && address_first(rt->value, rt->value_len, &ra) == 0 && fa.len) {
		if (!ascii_caseeq(domain_of(fa.buf), domain_of(ra.buf)))
			spam_fv_add(fv, "X:", "replyto-other-domain", 20);
		else if (!ascii_caseeq(fa.buf, ra.buf))
			spam_fv_add(fv, "X:", "replyto-other-addr", 18);
	}
	strbuf_release(&fa);
	strbuf_release(&ra);
}

static void ext_feature(struct spam_fv *fv, const char *filename)
{
	const char *dot = strrchr(filename, '.');
	char ext[12];
	size_t n;

	if (dot == NULL || dot[1] == 0)
		return;
	for (n = 0; dot[1 + n] && n + 1 < sizeof(ext); n++)
		ext[n] = (char)((dot[1 + n] >= 'A' && dot[1 + n] <= 'Z') ? dot[1 + n] + 32 : dot[1 + n]);
	spam_fv_add(fv, "M:ext=", ext, n);
}

static void structure_features(struct spam_fv *fv, const struct mime_msg *m)
{
	unsigned nparts = mime_part_count(m), html = 0, plain = 0, defects = mime_defects(m);
	struct strbuf t = STRBUF_INIT;

	for (unsigned i = 0; i < nparts && i < PARTS_MAX; i++) {
		const struct mime_part *p = mime_part_at(m, i);

		strbuf_reset(&t);
		strbuf_add(&t, p->type, strnlen(p->type, 30));
		strbuf_addch(&t, '/');
		strbuf_add(&t, p->subtype, strnlen(p->subtype, 40));
		spam_fv_add(fv, "M:", t.buf, t.len);
		if (p->charset)
			spam_fv_add(fv, "M:cs=", p->charset, strnlen(p->charset, 30));
		add_num(fv, "M:cte=", (unsigned long)p->cte);
		if (p->filename)
			ext_feature(fv, p->filename);
		if (!p->is_attachment && mime_part_is(p, "text", "html"))
			html++;
		if (!p->is_attachment && mime_part_is(p, "text", "plain") && p->child == NULL &&
		    strcmp(p->type, "text") == 0)
			plain++;
	}
	add_num(fv, "X:parts=", nparts > 20 ? 20 : nparts);
	if (html && !plain)
		spam_fv_add(fv, "X:", "html-only", 9);
	for (unsigned b = 0; b < MIME_D_COUNT; b++)
		if (defects & (1u << b)) {
			const char *n = mime_defect_name(b);

			if (n)
				spam_fv_add(fv, "D:", n, strlen(n));
		}
	strbuf_release(&t);
}

struct url_ctx {
	struct spam_fv *fv;
	struct strbuf host;
	unsigned n;
};

#define URLS_MAX 200		/* URLs looked at per message */

static int url_one(const char *url, size_t len, void *ctx)
{
	struct url_ctx *u = ctx;
	const char *h, *dot = NULL;
	bool numeric = true;

	/* mime_urls gives the URLs in the same order whatever its limit:
	 * the first URLS_MAX of a tree parsed with a higher limit are those
	 * of one parsed with this one. */
	if (u->n >= URLS_MAX)
		return 1;
	u->n++;
	strbuf_reset(&u->host);
	if (mime_url_host(url, len, &u->host) < 0 || u->host.len == 0) {
		spam_fv_add(u->fv, "X:", "url-nohost", 10);
		return 0;
	}
	h = u->host.buf;
	spam_fv_add(u->fv, "U:", h, u->host.len);
	for (size_t i = 0; i < u->host.len; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
			numeric = false;
	if (numeric) {
		spam_fv_add(u->fv, "X:", "url-ip", 6);
		return 0;
	}
	/* The last two labels: the registered domain, near enough. */
	for (size_t i = u->host.len; i-- > 0;)
		if (h[i] == '.') {
			if (dot) {
				dot = h + i + 1;
				break;
			}
			dot = h + i;
		}
	if (dot && dot != h && dot[-1] == '.')
		spam_fv_add(u->fv, "U2:", dot, u->host.len - (size_t)(dot - h));
	return 0;
}

/* The URL features, and the body text into text: one walk over the
 * parts (mime_urls and then mime_text decoded each part twice). */
static void url_text_features(struct spam_fv *fv, const struct mime_msg *m,
			      const struct spam_fx_limits *l, struct strbuf *text)
{
	struct url_ctx u = { fv, STRBUF_INIT, 0 };
	int stopped;

	mime_text_urls(m, MIME_TEXT_NO_SUBJECT, l->text_bytes, text, url_one, &u, &stopped);
	add_num(fv, "X:urls=", log2_class(u.n + 1));
	strbuf_release(&u.host);
}

/* The limits with their defaults. */
static struct spam_fx_limits fx_limits(const struct spam_fx_limits *lim)
{
	struct spam_fx_limits l = { 0, 0, 0, 0 };

	if (lim)
		l = *lim;
	l.scan_bytes = lim_or(l.scan_bytes, 512 * 1024);
	l.text_bytes = lim_or(l.text_bytes, 64 * 1024);
	l.words = lim_or(l.words, 6000);
	l.header_bytes = lim_or(l.header_bytes, 512);
	return l;
}

/* The bytes of msg that are parsed: an mbox From_ line is no header
 * field, and at most scan_bytes. *len becomes the message's length
 * without the From_ line (its size feature); *scan the bytes parsed. */
static const char *fx_span(const char *msg, size_t *len, const struct spam_fx_limits *l,
			   size_t *scan)
{
	if (*len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', *len);
		size_t skip = nl ? (size_t)(nl - msg) + 1 : *len;

		msg += skip;
		*len -= skip;
	}
	*scan = *len > l->scan_bytes ? l->scan_bytes : *len;
	return msg;
}

static struct mime_msg *fx_parse(const char *msg, size_t scan, const struct spam_fx_limits *l)
{
	struct mime_limits ml = MIME_LIMITS_INIT;

	ml.decode_max = l->scan_bytes;
	/* One more than url_one takes: it stops the walk at once, sooner
	 * than mime_urls would at its own limit. */
	ml.urls_max = URLS_MAX + 1;
	ml.parts_max = 1000;
	return mime_parse(msg, scan, &ml);
}

/* Whether the tree m gives the features fx_parse's tree of msg[0..scan)
 * gives: the same bytes, the same structural limits, decoding never cut
 * (decoded bytes are no more than encoded ones) and URLs at least
 * URLS_MAX (url_one stops there). */
static bool fx_tree_fits(const struct mime_msg *m, const char *msg, size_t scan)
{
	const struct mime_limits *ml = mime_limits(m);
	size_t rlen;
	const char *raw = mime_raw(m, &rlen);

	if (rlen != scan || (raw != msg && memcmp(raw, msg, scan) != 0))
		return false;
	return ml->depth_max == MIME_DEPTH_MAX_DEFAULT && ml->parts_max == 1000 &&
	       ml->header_bytes_max == MIME_HEADER_BYTES_MAX_DEFAULT &&
	       ml->headers_max == MIME_HEADERS_MAX_DEFAULT && ml->decode_max >= scan &&
	       ml->urls_max >= URLS_MAX;
}

/* Room at once for the features a message of len bytes gives: one for
 * every four bytes, where the SpamAssassin corpus's median message gives
 * one for every seven (growing by doubling copied the array each time
 * onto fresh memory). At most 8192 (64 KiB, below malloc's mmap
 * threshold); only the pages written cost anything. */
static void fv_reserve(struct spam_fv *fv, size_t len)
{
	size_t want = fv->n + len / 4;

	if (want > 8192)
		want = 8192;
	if (want > fv->max)
		want = fv->max;
	xgrow((void **)&fv->f, &fv->alloc, want, sizeof(*fv->f));
}

static void fx_tree(struct spam_fv *fv, const struct mime_msg *m, size_t len,
		    const struct spam_fx_limits *l)
{
	struct strbuf text = STRBUF_INIT;

	fv_reserve(fv, len);

	add_num(fv, "X:size=", log2_class(len));
	header_features(fv, mime_root(m), l->header_bytes);
	address_features(fv, mime_root(m));
	structure_features(fv, m);
	url_text_features(fv, m, l, &text);
	spam_tokenize(fv, "", text.buf ? text.buf : "", text.len, true, l->words);
	strbuf_release(&text);
}

void spam_features_mime(struct spam_fv *fv, const struct mime_msg *m, const char *msg,
			size_t len, const struct spam_fx_limits *lim)
{
	struct spam_fx_limits l = fx_limits(lim);
	struct mime_msg *own = NULL;
	size_t scan;

	msg = fx_span(msg, &len, &l, &scan);
	if (m == NULL || !fx_tree_fits(m, msg, scan))
		m = own = fx_parse(msg, scan, &l);
	fx_tree(fv, m, len, &l);
	mime_free(own);
}

void spam_features(struct spam_fv *fv, const char *msg, size_t len,
		   const struct spam_fx_limits *lim)
{
	struct spam_fx_limits l = fx_limits(lim);
	size_t left = len, scan;
	const char *p = fx_span(msg, &left, &l, &scan);
	struct mime_msg *m = fx_parse(p, scan, &l);

	spam_features_mime(fv, m, msg, len, lim);
	mime_free(m);
}
