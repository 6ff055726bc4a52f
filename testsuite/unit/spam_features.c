/* Unit tests of scl-score's features and SCL rules: the tokenizer's words
 * and OSB pairs, message features, SCL cut points, actions, phrase
 * folding, ROC area and Platt calibration. */
#include <stdlib.h>
#include <string.h>

#include "spam/feature.h"
#include "spam/scl.h"
#include <math.h>
#include "spam/train.h"
#include "tap.h"

/* Whether fv (names kept, not finished) holds a feature named name. */
static int has(const struct spam_fv *fv, const char *name)
{
	for (size_t i = 0; i < fv->n; i++)
		if (strcmp(spam_fv_name(fv, i), name) == 0)
			return 1;
	return 0;
}

/* scl_prob_format against printf's "%.4f": exact halves (1/32 is
 * 0.03125), the numbers either side of each four-decimal boundary, the
 * ends, subnormals, and a sweep of the range. */
static int prob_differs(double p)
{
	char want[64], got[SCL_PROB_MAX];
	size_t n = scl_prob_format(got, p);

	snprintf(want, sizeof(want), "%.4f", p);
	if (strcmp(got, want) == 0 && n == strlen(want))
		return 0;
	printf("# p %.17g: got %s want %s\n", p, got, want);
	return 1;
}

static void prob_format_cases(void)
{
	static const double edge[] = { 0, 1, 0.5, 0.03125, 0.09375, 0.15625, 0.99996875, 1e-300,
				       4.9e-324, 0.00005, 0.99995, 0.00015, 0.12345, 0.99994999 };
	int bad = 0;
	unsigned long long r = 88172645463325252ull;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		bad += prob_differs(edge[i]);
	for (int k = 0; k <= 20000; k++) {
		double b = k / 20000.0;

		bad += prob_differs(b) + prob_differs(nextafter(b, 0)) + prob_differs(nextafter(b, 1));
	}
	for (int i = 0; i < 200000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		bad += prob_differs((double)(r >> 11) / 9007199254740992.0);
	}
	ok(bad == 0, "p printed as printf's %%.4f does (%d differ)", bad);
	{
		char out[SCL_PROB_MAX];

		scl_prob_format(out, 0.03125);
		is_str(out, "0.0312", "a half rounds to even");
		scl_prob_format(out, 1);
		is_str(out, "1.0000", "p 1");
	}
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = ((const struct spam_feat *)a)->id, y = ((const struct spam_feat *)b)->id;

	return x < y ? -1 : x > y;
}

/* spam_fv_dedup against spam_fv_finish: the same buckets once each, the
 * first name of each, for small tables (bits 16, many collisions) and
 * large, on a message with many repeated words. */
static void dedup_cases(const char *msg)
{
	struct strbuf big = STRBUF_INIT;
	unsigned bad = 0;

	strbuf_addstr(&big, msg);
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&big, "word%d again word%d ", i % 700, i % 13);
	for (unsigned bits = 16; bits <= 22; bits += 3) {
		struct spam_fv a, b;

		spam_fv_init(&a, true);
		spam_fv_init(&b, true);
		spam_features(&a, big.buf, big.len, NULL);
		spam_features(&b, big.buf, big.len, NULL);
		spam_fv_finish(&a, bits);
		spam_fv_dedup(&b, bits);
		qsort(b.f, b.n, sizeof(*b.f), cmp_id);
		bad += a.n != b.n || a.n < 1000;
		for (size_t i = 0; i < a.n && i < b.n; i++)
			bad += a.f[i].id != b.f[i].id || strcmp(spam_fv_name(&a, i), spam_fv_name(&b, i)) != 0;
		spam_fv_release(&a);
		spam_fv_release(&b);
	}
	ok(bad == 0, "dedup: finish's buckets and names, unsorted");
	strbuf_release(&big);
}

int main(void)
{
	struct spam_fv fv;
	const char *msg = "From: Shop <deals@shop.example>\nReply-To: x@other.example\n"
		"Subject: FREE offer\nContent-Type: text/html\n\n"
		"<p>Visit <a href=\"http://www.shop.example/buy\">us</a></p>\n";
	const char *ph[] = { "", "Zürich Deal", "buy now" };
	struct scl_policy pol = { false, true, false, true, 9, 7, 9, 4 };
	double s[] = { 0.1, 0.2, 0.9, 0.8 }, a, b;
	bool y[] = { false, false, true, true }, y2[] = { true, false, true, false };
	char t[] = "the ZÜRICH DEAL is ON";

	spam_fv_init(&fv, true);
	is_int(spam_tokenize(&fv, "", "Hello, World! e-mail me at example.com", 39, true, 0), 6,
	       "six words");
	ok(has(&fv, "hello") && has(&fv, "world") && has(&fv, "e-mail") && has(&fv, "example.com"),
	   "words lowercased, joiners kept inside words");
	ok(has(&fv, "hello world") && has(&fv, "hello _ e-mail") && has(&fv, "world _ me"),
	   "OSB pairs with their distance");
	ok(!has(&fv, "hello _ _ me"), "no pair beyond the window of two");
	ok(has(&fv, "~Hello") && has(&fv, "~World") && !has(&fv, "~e-mail"),
	   "a word with capitals also as written");
	spam_fv_reset(&fv);
	spam_tokenize(&fv, "s:", "FREE money!!! x", 15, false, 0);
	ok(has(&fv, "s:free") && has(&fv, "^free") && has(&fv, "s:!!") && !has(&fv, "s:x"),
	   "prefix, capitals, !! runs, one-letter words dropped");
	spam_fv_reset(&fv);
	spam_tokenize(&fv, "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 50, false, 0);
	ok(has(&fv, "aaaaaaaa~3"), "a long word is cut to its start and length class");
	spam_fv_reset(&fv);
	is_int(spam_tokenize(&fv, "", "a b c d e f g h", 15, true, 3), 0, "one-letter words do not count");
	spam_fv_reset(&fv);
	/* 中文字 and 가나: three and two CJK characters, no spaces. */
	is_int(spam_tokenize(&fv, "", "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97 \xea\xb0\x80\xeb\x82\x98", 16,
			     false, 0), 3, "CJK runs give the bigrams of their characters as words");
	ok(has(&fv, "\xe4\xb8\xad\xe6\x96\x87") && has(&fv, "\xe6\x96\x87\xe5\xad\x97") &&
	   has(&fv, "\xea\xb0\x80\xeb\x82\x98") && !has(&fv, "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97"),
	   "CJK bigrams, not the whole run");
	spam_fv_reset(&fv);
	spam_features(&fv, msg, strlen(msg), NULL);
	ok(has(&fv, "X:replyto-other-domain"), "Reply-To in another domain");
	ok(has(&fv, "X:html-only"), "HTML only");
	ok(has(&fv, "U:www.shop.example") && has(&fv, "U2:shop.example"), "URL host and domain");
	ok(has(&fv, "subject:free") && has(&fv, "from:deals@shop.example"), "worded header fields");
	spam_fv_reset(&fv);
	{
		const char *r = "Received: from mx.spam.example (mx.spam.example [192.0.2.7])\n"
			"\tby mail.example; Thu, 25 Jul 2002 10:59:36 +0100\n\nhi\n";

		spam_features(&fv, r, strlen(r), NULL);
		ok(has(&fv, "received:mx.spam.example") && has(&fv, "received:192.0.2.7") &&
		   !has(&fv, "received:jul") && !has(&fv, "received:2002"),
		   "Received words without the date");
	}
	spam_fv_reset(&fv);
	spam_features(&fv, msg, strlen(msg), NULL);
	ok(has(&fv, "visit") && !has(&fv, "href"), "HTML reduced to text");
	spam_fv_finish(&fv, 20);
	for (size_t i = 1; i < fv.n; i++)
		if (fv.f[i - 1].id >= fv.f[i].id) {
			ok(0, "finished features sorted and unique");
			break;
		}
	ok(fv.n > 10, "finish keeps %zu features", fv.n);
	spam_fv_release(&fv);
	dedup_cases(msg);

	prob_format_cases();
	is_int(scl_from_prob(0.0), 0, "p 0 -> SCL 0");
	is_int(scl_from_prob(0.4999), 4, "just under even odds -> 4");
	is_int(scl_from_prob(0.5), 5, "even odds -> 5");
	is_int(scl_from_prob(0.995), 7, "0.995 -> 7");
	is_int(scl_from_prob(1.0), 9, "p 1 -> 9");
	is_int(scl_from_prob(-1), 0, "nonsense -> 0");
	is_str(scl_action_name(scl_action(&pol, 9)), "reject", "9 rejects by default");
	is_str(scl_action_name(scl_action(&pol, 5)), "junk", "5 is junk (above 4)");
	is_str(scl_action_name(scl_action(&pol, 4)), "deliver", "4 is delivered");
	is_str(scl_action_name(scl_action(&pol, -1)), "deliver", "bypass is delivered");
	pol.delete_enabled = true;
	is_str(scl_action_name(scl_action(&pol, 9)), "delete", "delete before reject");
	pol.delete_enabled = pol.reject_enabled = false;
	pol.quarantine_enabled = true;
	is_str(scl_action_name(scl_action(&pol, 9)), "quarantine", "quarantine");

	is_int(scl_phrase_find("Last chance: Buy NOW", 20, ph, 3), 2, "phrase found without case");
	is_int(scl_phrase_find(t, strlen(t), ph, 3), 1, "non-ASCII letters folded too");
	is_int(scl_phrase_find("nothing here", 12, ph, 3), -1, "no phrase, and the empty one never matches");
	scl_fold(t, strlen(t));
	is_str(t, "the zürich deal is on", "fold");

	ok(spam_roc_above(s, y, 4) == 0, "separable scores: 1-ROCA 0");
	ok(spam_roc_above(s, y2, 4) == 50, "one pair in four inverted: 1-ROCA%% %.1f",
	   spam_roc_above(s, y2, 4));
	spam_platt_fit(s, y, 4, &a, &b);
	ok(a > 0 && 1 / (1 + exp(-(a * 0.9 + b))) > 0.5 &&
	   1 / (1 + exp(-(a * 0.1 + b))) < 0.5, "Platt fit orders the classes");
	return tap_done();
}
