/* libFuzzer harness: the scl-score model loader. The input is checked as
 * a model file as it is; then its first 96 bytes are taken as a header
 * (bits forced to 16), the rest as weights and learnt records padded to
 * the sizes the header gives, sealed with the right checksum, and the
 * model must load, score, learn and forget back to the same weights. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spam/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spam_model m, *w;
	struct spam_model_hdr h;
	struct spam_fv fv;
	char why[128];
	size_t len;
	unsigned char *img;

	(void)spam_model_parse(data, size, &m, why, sizeof(why));
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	memcpy(h.magic, SPAM_MODEL_MAGIC, 8);
	h.version = SPAM_MODEL_VERSION;
	h.byteorder = 0x01020304u;
	h.bits = 16;
	h.nlearnt %= 8;
	h.flags &= SPAM_MODEL_NORM;
	len = sizeof(h) + ((size_t)1 << 16) + h.nlearnt * sizeof(struct spam_learnt);
	img = calloc(1, len);
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), data + sizeof(h), size - sizeof(h) < len - sizeof(h) ?
	       size - sizeof(h) : len - sizeof(h));
	if (spam_model_seal(img, len) != 0)
		abort();
	if (spam_model_parse(img, len, &m, why, sizeof(why)) == 0) {
		unsigned char *before;

		w = spam_model_new(16, m.hdr.scale);
		memcpy(spam_model_weights(w), m.w, (size_t)1 << 16);
		w->hdr.bias = m.hdr.bias;
		w->hdr.flags = m.hdr.flags;
		before = malloc((size_t)1 << 16);
		memcpy(before, w->w, (size_t)1 << 16);
		spam_fv_init(&fv, false);
		for (size_t i = 0; i < 64 && i * 2 + 1 < size; i++)
			spam_fv_add(&fv, "", (const char *)data + i * 2, 2);
		spam_fv_finish(&fv, 16);
		(void)spam_model_prob(w, spam_model_margin(w, &fv));
		if (spam_model_learn(w, &fv, data[0] & 1) != SPAM_LEARN_DONE ||
		    spam_model_forget(w, &fv) != SPAM_LEARN_DONE ||
		    memcmp(before, w->w, (size_t)1 << 16) != 0)
			abort();
		spam_fv_release(&fv);
		spam_model_free(w);
		free(before);
	}
	free(img);
	return 0;
}
