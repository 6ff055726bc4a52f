/* Unit tests of the scl-score model: save and load, every check of the
 * loader, scoring, and learn/forget restoring the weights exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spam/model.h"
#include "util/strbuf.h"
#include "tap.h"

static void fv_of(struct spam_fv *fv, const char *text)
{
	spam_fv_reset(fv);
	spam_tokenize(fv, "", text, strlen(text), true, 0);
	spam_fv_finish(fv, 16);
}

int main(void)
{
	char dir[] = "/tmp/spam_model.XXXXXX", path[64], why[128];
	struct spam_model *m, *l;
	struct spam_fv fv, other;
	struct strbuf img = STRBUF_INIT;
	struct spam_model pm;
	int8_t *w, *before;
	size_t nw = (size_t)1 << 16;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/m", dir);
	spam_fv_init(&fv, false);
	spam_fv_init(&other, false);

	m = spam_model_new(16, 0.01f);
	w = spam_model_weights(m);
	for (size_t i = 0; i < nw; i++)
		w[i] = (int8_t)((i * 7919) % 101 - 50);
	m->hdr.bias = -0.25f;
	m->hdr.cal_a = 0.8f;
	m->hdr.flags = SPAM_MODEL_NORM;
	m->hdr.created = 1700000000;
	ok(spam_model_save(m, path) == 0, "save");
	/* The checksum is part of the file format: the same value from the
	 * AVX2 lanes and the generic ones (GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2
	 * runs the latter), as since version 4. */
	ok(m->hdr.checksum == 0x40d3a7b5c5560085ull, "checksum of a known model: %016llx",
	   (unsigned long long)m->hdr.checksum);
	l = spam_model_load(path, why, sizeof(why));
	ok(l != NULL, "load: %s", l ? "ok" : why);
	fv_of(&fv, "free lottery winner claim your prize now");
	ok(l && spam_model_margin(l, &fv) == spam_model_margin(m, &fv), "same margin after a round trip");
	ok(l && spam_model_file_size(l) == 96 + nw, "file size");
	spam_model_free(l);

	strbuf_read_file(&img, path, 1 << 20);
	img.buf[1000] ^= 1;
	ok(spam_model_parse(img.buf, img.len, &pm, why, sizeof(why)) < 0 &&
	   strstr(why, "checksum"), "a flipped bit: %s", why);
	img.buf[1000] ^= 1;
	ok(spam_model_parse(img.buf, img.len - 2, &pm, why, sizeof(why)) < 0 &&
	   strstr(why, "truncated"), "truncated: %s", why);
	ok(spam_model_parse(img.buf, 10, &pm, why, sizeof(why)) < 0, "too short: %s", why);
	((struct spam_model_hdr *)img.buf)->flags = 0x80;
	spam_model_seal(img.buf, img.len);
	ok(spam_model_parse(img.buf, img.len, &pm, why, sizeof(why)) < 0 &&
	   strstr(why, "flags"), "unknown flags: %s", why);
	((struct spam_model_hdr *)img.buf)->flags = 0;
	((struct spam_model_hdr *)img.buf)->scale = -1;
	spam_model_seal(img.buf, img.len);
	ok(spam_model_parse(img.buf, img.len, &pm, why, sizeof(why)) < 0, "negative scale: %s", why);
	((struct spam_model_hdr *)img.buf)->scale = 0.001f;
	ok(spam_model_seal(img.buf, img.len) == 0 &&
	   spam_model_parse(img.buf, img.len, &pm, why, sizeof(why)) == 0, "sealed image parses");
	ok(spam_model_seal(img.buf, img.len - 1) < 0, "seal refuses a wrong size");

	before = malloc(nw);
	memcpy(before, m->w, nw);
	is_int(spam_model_learn(m, &fv, true), SPAM_LEARN_DONE, "learn spam");
	ok(spam_model_margin(m, &fv) > 0, "the margin moved to the spam side");
	is_int(m->hdr.nlearnt, 1, "one learnt record");
	is_int(spam_model_learn(m, &fv, true), SPAM_LEARN_ALREADY, "learning twice counts once");
	is_int(m->hdr.nlearnt, 1, "still one record");
	fv_of(&other, "meeting agenda for the quarterly budget review");
	is_int(spam_model_forget(m, &other), SPAM_LEARN_UNKNOWN, "forget a message never learnt");
	is_int(spam_model_learn(m, &fv, false), SPAM_LEARN_DONE, "relearn as ham");
	ok(spam_model_margin(m, &fv) < 0, "the margin moved to the ham side");
	is_int(m->hdr.nlearn_spam, 0, "the spam learning was undone");
	is_int(spam_model_forget(m, &fv), SPAM_LEARN_DONE, "forget");
	ok(memcmp(before, m->w, nw) == 0, "weights restored exactly");
	is_int(m->hdr.nlearnt, 0, "no record left");

	/* Weights near the int8 limits: the step stops short of them, so
	 * forget is still exact. */
	for (size_t i = 0; i < fv.n; i++)
		spam_model_weights(m)[fv.f[i].id] = (int8_t)(i % 2 ? -125 : 125);
	memcpy(before, m->w, nw);
	spam_model_learn(m, &fv, true);
	spam_model_forget(m, &fv);
	ok(memcmp(before, m->w, nw) == 0, "exact near saturation");
	ok(spam_model_save(m, path) == 0 && (l = spam_model_load_copy(path, why, sizeof(why))) != NULL,
	   "load_copy");
	spam_model_free(l);

	free(before);
	strbuf_release(&img);
	spam_fv_release(&fv);
	spam_fv_release(&other);
	spam_model_free(m);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
