/* Spam confidence level: the calibrated probability mapped to SCL 0..9
 * (-1 for bypass), admin phrases that force 0 or 9, and the thresholds
 * that turn an SCL into an action, as Exchange's content filter does. */
#ifndef POSTERN_SPAM_SCL_H
#define POSTERN_SPAM_SCL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "conf/conf.h"

#define SCL_BYPASS (-1)
#define SCL_MAX 9

enum scl_action {
	SCL_DELIVER,
	SCL_JUNK,
	SCL_QUARANTINE,
	SCL_REJECT,
	SCL_DELETE,
};

/* Thresholds: delete, reject and quarantine apply when enabled and the
 * SCL is at least theirs (checked in that order); junk when the SCL is
 * greater than junk (Exchange's SCLJunkThreshold), if junk_enabled. */
struct scl_policy {
	bool delete_enabled, reject_enabled, quarantine_enabled, junk_enabled;
	int delete_at, reject_at, quarantine_at, junk_above;
};

/* The config keys of a scl_policy (the *_enabled and *_threshold keys),
 * spliced with CONF_INCLUDE into scl-score's section and smtp-edge's
 * content.scl, and the policy read from such a section. */
extern const struct conf_key scl_policy_keys[];
void scl_policy_from_conf(struct scl_policy *pol, const json_t *sec);

/* The smallest probability giving each SCL 1..9 (index 0 unused). */
extern const double scl_cut[SCL_MAX + 1];

/* 0..9 from a probability. */
int scl_from_prob(double p);
enum scl_action scl_action(const struct scl_policy *pol, int scl);
/* "deliver", "junk", "quarantine", "reject", "delete". */
const char *scl_action_name(enum scl_action a);

/* p as printf's "%.4f" writes it (rounded to nearest, ties to even, from
 * the exact binary value), NUL-terminated; returns its length. */
#define SCL_PROB_MAX 32
size_t scl_prob_format(char out[SCL_PROB_MAX], double p);

/* Lowercases UTF-8 text in place: ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic letters (other bytes stay as they are). */
void scl_fold(char *text, size_t len);
/* Whether any of the phrases occurs in text, both folded by scl_fold.
 * Returns the index of the first phrase found, or -1. Empty phrases
 * never match. */
long scl_phrase_find(const char *text, size_t len, const char *const *phrases, size_t n);

#endif
