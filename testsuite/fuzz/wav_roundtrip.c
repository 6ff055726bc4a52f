/* libFuzzer harness: the WAV reader on arbitrary files; whatever it
 * reads is written back and must read back to the same samples. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wav_info info, info2;
	int16_t *pcm = NULL, *back = NULL;
	char why[128];

	if (wav_read(data, size, &info, &pcm, why, sizeof(why)) == 0) {
		struct strbuf w = STRBUF_INIT;

		wav_write(&w, pcm, info.samples, 8000);
		if (wav_read(w.buf, w.len, &info2, &back, why, sizeof(why)) != 0 ||
		    info2.samples != info.samples ||
		    (info.samples && memcmp(pcm, back, info.samples * sizeof(int16_t)) != 0))
			abort();
		strbuf_release(&w);
		free(back);
	}
	free(pcm);
	return 0;
}
