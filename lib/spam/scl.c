/* SCL from probability, actions from thresholds, phrase matching (see
 * scl.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spam/scl.h"
#include "util/mem.h"

/* Spaced so that SCL 5 starts at even odds and each level above cuts the
 * remaining ham error by about a factor of three to ten; SCL 7 (reject)
 * needs 99.5 %. */
const double scl_cut[SCL_MAX + 1] = {
	0, 0.01, 0.03, 0.08, 0.2, 0.5, 0.9, 0.995, 0.999, 0.9999,
};

int scl_from_prob(double p)
{
	int s = 0;

	if (!(p >= 0))
		return 0;
	while (s < SCL_MAX && p >= scl_cut[s + 1])
		s++;
	return s;
}

enum scl_action scl_action(const struct scl_policy *pol, int scl)
{
	if (scl < 0)
		return SCL_DELIVER;
	if (pol->delete_enabled && scl >= pol->delete_at)
		return SCL_DELETE;
	if (pol->reject_enabled && scl >= pol->reject_at)
		return SCL_REJECT;
	if (pol->quarantine_enabled && scl >= pol->quarantine_at)
		return SCL_QUARANTINE;
	if (pol->junk_enabled && scl > pol->junk_above)
		return SCL_JUNK;
	return SCL_DELIVER;
}

const char *scl_action_name(enum scl_action a)
{
	static const char *const names[] = { "deliver", "junk", "quarantine", "reject", "delete" };

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "deliver";
}

/* Every check and filter run prints p: by hand, because printf's
 * floating-point code and its tables are pages of the C library that a
 * process would fault in for this one number. The decimals are those of
 * the exact value m * 2^e, so the digits are printf's. */
size_t scl_prob_format(char out[SCL_PROB_MAX], double p)
{
	uint64_t bits, m, q;
	unsigned __int128 n, rest, half;
	int ex, sh;

	if (!(p >= 0 && p <= 1))	/* never from the model: printf's way */
		return (size_t)snprintf(out, SCL_PROB_MAX, "%.4f", p);
	memcpy(&bits, &p, sizeof(bits));
	ex = (int)((bits >> 52) & 0x7ff);
	m = bits & ((UINT64_C(1) << 52) - 1);
	if (ex)
		m |= UINT64_C(1) << 52;
	sh = ex ? 1075 - ex : 1074;	/* p = m / 2^sh, sh >= 52 for p <= 1 */
	n = (unsigned __int128)m * 10000;
	if (sh >= 127) {
		q = 0;		/* below 2^-60: far from half a unit */
	} else {
		q = (uint64_t)(n >> sh);
		rest = n & (((unsigned __int128)1 << sh) - 1);
		half = (unsigned __int128)1 << (sh - 1);
		q += rest > half || (rest == half && (q & 1));
	}
	out[0] = (char)('0' + q / 10000);
	out[1] = '.';
	for (int i = 5; i >= 2; i--, q /= 10)
		out[i] = (char)('0' + q % 10);
	out[6] = 0;
	return 6;
}

/* Lowercase of a code point in the ranges mail in European languages
 * uses (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic); every mapping
 * keeps the UTF-8 length, so text can be folded in place. */
static unsigned lower_cp(unsigned c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x137 && c % 2 == 0)
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && c % 2 == 1)
		return c + 1;
	if (c >= 0x14a && c <= 0x177 && c % 2 == 0)
		return c + 1;
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

void scl_fold(char *text, size_t len)
{
	unsigned char *t = (unsigned char *)text;

	for (size_t i = 0; i < len; i++) {
		unsigned c;

		if (t[i] < 0x80) {
			t[i] = (unsigned char)lower_cp(t[i]);
			continue;
		}
		/* Two-byte sequences only: the ranges above are all there. */
		if ((t[i] & 0xe0) != 0xc0 || i + 1 >= len || (t[i + 1] & 0xc0) != 0x80)
			continue;
		c = lower_cp(((t[i] & 0x1fu) << 6) | (t[i + 1] & 0x3fu));
		t[i] = (unsigned char)(0xc0 | (c >> 6));
		t[i + 1] = (unsigned char)(0x80 | (c & 0x3f));
		i++;
	}
}

long scl_phrase_find(const char *text, size_t len, const char *const *phrases, size_t n)
{
	char *folded = NULL;
	long found = -1;

	for (size_t k = 0; k < n && found < 0; k++) {
		size_t pl = strlen(phrases[k]);
		char *p;

		if (pl == 0 || pl > len)
			continue;
		if (folded == NULL) {
			folded = xmemdup(text, len + 1);
			scl_fold(folded, len);
		}
		p = xmemdup(phrases[k], pl + 1);
		scl_fold(p, pl);
		if (memmem(folded, len, p, pl))
			found = (long)k;
		free(p);
	}
	free(folded);
	return found;
}

const struct conf_key scl_policy_keys[] = {
	{ "delete_enabled", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "delete (accept and drop, logged) messages from delete_threshold up" },
	{ "delete_threshold", CONF_INT, "9", 0, 9, NULL, NULL, 0, "SCL from which to delete" },
	{ "reject_enabled", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "refuse messages from reject_threshold up (550 5.7.1)" },
	{ "reject_threshold", CONF_INT, "7", 0, 9, NULL, NULL, 0, "SCL from which to reject" },
	{ "quarantine_enabled", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "quarantine messages from quarantine_threshold up" },
	{ "quarantine_threshold", CONF_INT, "9", 0, 9, NULL, NULL, 0,
	  "SCL from which to quarantine" },
	{ "junk_enabled", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "mark messages above junk_threshold as junk (action=junk in X-Postern-Spam, "
	  "for the mailbox's Junk rule)" },
	{ "junk_threshold", CONF_INT, "4", 0, 9, NULL, NULL, 0,
	  "junk when the SCL is greater than this (posternSCLJunkThreshold overrides it)" },
	{ NULL }
};

void scl_policy_from_conf(struct scl_policy *pol, const json_t *sec)
{
	pol->delete_enabled = conf_bool(sec, "delete_enabled");
	pol->delete_at = (int)conf_int(sec, "delete_threshold");
	pol->reject_enabled = conf_bool(sec, "reject_enabled");
	pol->reject_at = (int)conf_int(sec, "reject_threshold");
	pol->quarantine_enabled = conf_bool(sec, "quarantine_enabled");
	pol->quarantine_at = (int)conf_int(sec, "quarantine_threshold");
	pol->junk_enabled = conf_bool(sec, "junk_enabled");
	pol->junk_above = (int)conf_int(sec, "junk_threshold");
}
