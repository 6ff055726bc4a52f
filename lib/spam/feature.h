/* Features of a message for scl-score's classifier: word unigrams and
 * orthogonal sparse bigrams (OSB) over the decoded text, words of the
 * header fields by field name (the oldest Received without its date),
 * character bigrams of Chinese, Japanese and Korean text, and
 * structure (From/Reply-To mismatch, Received chain, HTML-only, URL
 * hosts, MIME defects), each hashed to 32 bits. The model maps hashes
 * to its buckets (spam_fv_finish). */
#ifndef POSTERN_SPAM_FEATURE_H
#define POSTERN_SPAM_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* One feature: its hash (a bucket after spam_fv_finish) and, when names
 * are kept (explain), the offset of its NUL-terminated name in names. */
struct spam_feat {
	uint32_t id;
	uint32_t name;
};

/* A feature vector: binary features, owned by the struct. */
struct spam_fv {
	struct spam_feat *f;
	size_t n, alloc;
	bool keep_names;
	struct strbuf names;
	size_t max;		/* features kept at most before finish */
};

/* Limits on the work per message (outside input). Zero: the default. */
struct spam_fx_limits {
	size_t scan_bytes;	/* raw message bytes parsed (512 KiB) */
	size_t text_bytes;	/* decoded text tokenised (64 KiB) */
	size_t words;		/* body words tokenised (6000) */
	size_t header_bytes;	/* bytes of one header value tokenised (512) */
};

#define SPAM_FV_MAX 65536	/* features per message before dedup */

void spam_fv_init(struct spam_fv *fv, bool keep_names);
void spam_fv_reset(struct spam_fv *fv);
void spam_fv_release(struct spam_fv *fv);
/* Adds the feature prefix+tok (hashed; prefix may be ""). */
void spam_fv_add(struct spam_fv *fv, const char *prefix, const char *tok, size_t len);
/* Maps hashes to buckets (the top bits bits of the hashes, bits at most
 * 22), sorts and removes duplicates (a name kept is the first seen for
 * the bucket). */
void spam_fv_finish(struct spam_fv *fv, unsigned bits);
/* The same buckets as spam_fv_finish, each once, but in no order (the
 * first of each kept, where it came): all that scoring needs, without
 * the sort (spam_model_margin sums in integers, in any order). Learning
 * digests and explain take spam_fv_finish's order. */
void spam_fv_dedup(struct spam_fv *fv, unsigned bits);
/* The name of feature i (only with keep_names; else ""). */
const char *spam_fv_name(const struct spam_fv *fv, size_t i);

/* Adds the words of UTF-8 (or any) text: unigrams prefixed by prefix
 * (lowercased; a word written with other case also as written, prefix
 * "~"; one in capitals also as "^"), and with osb the orthogonal sparse
 * bigrams of each word with the two before it. A run of CJK characters
 * (no spaces between words) gives the bigrams of its characters as its
 * words. At most max_words words (0: no limit). Returns the number of
 * words seen. */
size_t spam_tokenize(struct spam_fv *fv, const char *prefix, const char *text, size_t len,
		     bool osb, size_t max_words);

/* All the features of a raw message (any bytes at all). lim may be NULL.
 * Parses msg, then spam_features_mime. */
void spam_features(struct spam_fv *fv, const char *msg, size_t len,
		   const struct spam_fx_limits *lim);

/* The same features from m, a tree the caller has already parsed of msg
 * (one parse per message): bit-identical to spam_features(msg, len).
 * m is used when it is the tree of the bytes spam_features parses (msg
 * without an mbox From_ line, at most lim->scan_bytes of it) with
 * mime_parse's default depth, parts, header limits, decode_max at least
 * those bytes and urls_max at least 200; otherwise (or m NULL) msg is
 * parsed again here. m is only read. */
struct mime_msg;
void spam_features_mime(struct spam_fv *fv, const struct mime_msg *m, const char *msg,
			size_t len, const struct spam_fx_limits *lim);

#endif
