/* Unit tests of util/sha256: the FIPS 180-4 examples, and every length
 * from 0 to 300 bytes fed in odd pieces against OpenSSL's SHA-256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "util/sha256.h"
#include "tap.h"

static const char *hex(const unsigned char *d)
{
	static char s[2 * SHA256_LEN + 1];

	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(s + 2 * i, 3, "%02x", d[i]);
	return s;
}

int main(void)
{
	unsigned char d[SHA256_LEN], want[SHA256_LEN], buf[300];
	struct sha256 c;
	char *million;
	int bad = 0;

	sha256("abc", 3, d);
	is_str(hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
	sha256("", 0, d);
	is_str(hex(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	is_str(hex(d), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "448 bits: the length block of its own");
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	sha256_init(&c);
	for (size_t i = 0; i < 1000000; i += 977)
		sha256_update(&c, million + i, 1000000 - i < 977 ? 1000000 - i : 977);
	sha256_final(&c, d);
	is_str(hex(d), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "a million a's in pieces of 977");
	free(million);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		SHA256(buf, len, want);
		sha256_init(&c);
		for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 67 + 1)
			sha256_update(&c, buf + off, len - off < step ? len - off : step);
		sha256_final(&c, d);
		bad += memcmp(d, want, SHA256_LEN) != 0;
	}
	ok(bad == 0, "lengths 0..300 in odd pieces match OpenSSL (%d differ)", bad);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
