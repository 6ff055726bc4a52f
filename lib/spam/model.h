/* The scl-score model file: hashed feature weights (int8 in fixed point)
 * with a bias and a calibration, and the digests of messages learnt one by
 * one (learn/forget). Read through mmap and checked whole (magic, version,
 * size, checksum) before use; written to a temporary file and renamed into
 * place, so a reader sees the old model or the new one, never half.
 *
 * Layout (little-endian; a file written on a host of the other byte order
 * is refused): a 96-byte header (struct spam_model_hdr), 2^bits int8
 * weights, then nlearnt records of 24 bytes (16-byte digest, int32 step,
 * uint32 class). The checksum covers every byte but its own field. */
#ifndef POSTERN_SPAM_MODEL_H
#define POSTERN_SPAM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spam/feature.h"

#define SPAM_MODEL_MAGIC "PSTNSCL1"
/* Version 2: OSB window 2, words as written, Received words, the
 * trainer's ensemble. Version 3: words of the oldest Received only, CJK
 * character bigrams, thick-threshold training with a ham cost, 5-fold
 * calibration. Version 4: 8-bit weights, half the file that every filter
 * process maps and checks (older files are refused with a reason). */
#define SPAM_MODEL_VERSION 4
#define SPAM_BITS_MIN 16
#define SPAM_BITS_MAX 22
#define SPAM_BITS_DEFAULT 19
#define SPAM_DIGEST_LEN 16
#define SPAM_LEARNT_MAX 10000000u
/* The margin's feature sum is divided by the square root of the number
 * of features, so long messages do not outweigh short ones. */
#define SPAM_MODEL_NORM 0x1

struct spam_model_hdr {
	char magic[8];
	uint32_t version;
	uint32_t byteorder;	/* 0x01020304 as written by the host */
	uint32_t bits;
	uint32_t nlearnt;
	float scale;		/* a weight unit in logits */
	float bias;		/* logits */
	float cal_a, cal_b;	/* p = 1 / (1 + exp(-(cal_a * margin + cal_b))) */
	uint64_t ntrain_spam, ntrain_ham;	/* messages in the last train */
	uint64_t nlearn_spam, nlearn_ham;	/* learnt since */
	uint64_t created;	/* seconds since the epoch of the last train */
	uint64_t checksum;
	uint32_t flags;		/* SPAM_MODEL_* */
	uint32_t reserved;
};

struct spam_learnt {
	unsigned char digest[SPAM_DIGEST_LEN];
	int32_t step;		/* weight units added to each feature */
	uint32_t spam;		/* 1 spam, 0 ham */
};

/* A model in memory: mapped read-only (spam_model_load) or owned and
 * writable (spam_model_new, spam_model_load_copy). */
struct spam_model {
	struct spam_model_hdr hdr;
	const int8_t *w;	/* 2^bits weights */
	const struct spam_learnt *learnt;
	void *map;		/* the mapping, or NULL */
	size_t map_len;
	int8_t *w_own;		/* when writable */
	struct spam_learnt *learnt_own;
	size_t learnt_alloc;
};

/* Maps and checks path. Returns NULL with a reason in why (e.g. "bad
 * checksum", "No such file or directory") on any problem. */
struct spam_model *spam_model_load(const char *path, char *why, size_t whysize);
/* The same into writable memory, for learn. */
struct spam_model *spam_model_load_copy(const char *path, char *why, size_t whysize);
/* Checks a model image in memory (the fuzz harness uses it); on success
 * fills *m pointing into data (borrowed). Returns 0 or -1 with why. */
int spam_model_parse(const void *data, size_t len, struct spam_model *m, char *why,
		     size_t whysize);
/* Writes the right checksum into a model image whose header sizes match
 * len (for tests and the fuzz harness, which build images by hand).
 * Returns 0, or -1 when the sizes do not match. */
int spam_model_seal(void *data, size_t len);
/* A new writable model, all weights zero. */
struct spam_model *spam_model_new(unsigned bits, float scale);
void spam_model_free(struct spam_model *m);
/* Writes the model atomically (temporary file, fsync, rename, fsync of
 * the directory). Returns 0 or -1 with errno set. */
int spam_model_save(struct spam_model *m, const char *path);
size_t spam_model_file_size(const struct spam_model *m);

/* The raw margin in logits of a finished feature vector (buckets). */
double spam_model_margin(const struct spam_model *m, const struct spam_fv *fv);
/* The factor applied to the feature sum of n features. */
double spam_model_norm(const struct spam_model *m, size_t n);
/* The calibrated spam probability for a margin. */
double spam_model_prob(const struct spam_model *m, double margin);

/* Digest of a finished feature vector: learning keys on it, so the same
 * message learnt twice counts once and forget finds what learn did. */
void spam_model_digest(const struct spam_fv *fv, unsigned char out[SPAM_DIGEST_LEN]);

enum spam_learn_result {
	SPAM_LEARN_DONE,	/* learnt, or forgotten */
	SPAM_LEARN_ALREADY,	/* learnt before as the same class: nothing to do */
	SPAM_LEARN_UNKNOWN,	/* forget: the message was never learnt */
};

/* Learns fv as spam or ham on a writable model: a passive-aggressive step
 * in integer weight units pushing the margin past a fixed target,
 * recorded with the digest so that spam_model_forget undoes it exactly.
 * Learning a message known as the other class forgets that first. */
enum spam_learn_result spam_model_learn(struct spam_model *m, const struct spam_fv *fv, bool spam);
enum spam_learn_result spam_model_forget(struct spam_model *m, const struct spam_fv *fv);

/* Writable weights of a spam_model_new/load_copy model. */
int8_t *spam_model_weights(struct spam_model *m);

#endif
