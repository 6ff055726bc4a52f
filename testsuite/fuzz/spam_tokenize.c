/* libFuzzer harness: scl-score's feature extraction on any bytes, as a
 * whole message (through the MIME parser) and as plain text with feature
 * names kept; the finished vector must be sorted and without duplicates. */
#include <stdint.h>
#include <stdlib.h>

#include "spam/feature.h"

static void check_sorted(const struct spam_fv *fv)
{
	for (size_t i = 1; i < fv->n; i++)
		if (fv->f[i - 1].id >= fv->f[i].id)
			abort();
	for (size_t i = 0; i < fv->n; i++)
		if (fv->f[i].id >> 20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spam_fx_limits lim = { 16384, 8192, 500, 256 };
	struct spam_fv fv;

	spam_fv_init(&fv, false);
	spam_features(&fv, (const char *)data, size, &lim);
	spam_fv_finish(&fv, 20);
	check_sorted(&fv);
	spam_fv_release(&fv);
	spam_fv_init(&fv, true);
	spam_tokenize(&fv, "s:", (const char *)data, size, true, 0);
	spam_fv_finish(&fv, 20);
	check_sorted(&fv);
	for (size_t i = 0; i < fv.n; i++)
		(void)spam_fv_name(&fv, i);
	spam_fv_release(&fv);
	return 0;
}
