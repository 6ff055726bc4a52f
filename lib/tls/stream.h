/* A buffered, line-oriented stream over a plain descriptor or a TLS
 * connection, with a timeout on every operation and a cap on line length:
 * the base of the SMTP, SIP and HTTP speakers. STARTTLS drops whatever
 * plaintext was read ahead before the handshake, so that commands injected
 * behind "STARTTLS" (CVE-2011-0411) are never taken as protected. */
#ifndef POSTERN_TLS_STREAM_H
#define POSTERN_TLS_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "tls/report.h"
#include "tls/tls.h"
#include "util/strbuf.h"

/* Results of the read and flush functions. */
enum {
	STREAM_OK = 1,
	STREAM_EOF = 0,		/* the peer closed */
	STREAM_ERR = -1,	/* I/O or TLS error: stream_error says which */
	STREAM_TIMEOUT = -2,
	STREAM_TOOLONG = -3,	/* a line longer than the cap (skipped) */
};

struct stream;

/* A stream reading rfd and writing wfd (the same socket, or inetd's
 * stdin/stdout). Both are made non-blocking; the caller keeps owning
 * them and closes them after stream_free. timeout_ms bounds each read,
 * flush and handshake; line_max is the longest line accepted, without
 * its CRLF. */
struct stream *stream_new(int rfd, int wfd, long long timeout_ms, size_t line_max);
/* Sends a TLS close_notify (without waiting) and frees s. NULL is fine. */
void stream_free(struct stream *s);
void stream_set_timeout(struct stream *s, long long timeout_ms);
/* Makes a plain socket's reads block in the kernel, bounded by
 * SO_RCVTIMEO kept to the time left, instead of a non-blocking read,
 * then poll, then the read again: one system call for each wait instead
 * of two or three. Timeouts give STREAM_TIMEOUT as before. Writes stay
 * non-blocking (MSG_DONTWAIT on the same socket). Only for a caller that
 * does not read the descriptors itself without a poll first (they block
 * now). STARTTLS makes rfd non-blocking again: TLS is polled. Returns
 * whether reads block (false: rfd is not a socket, or TLS). In a fiber
 * (lib/net/wait) a read never blocks the process: it is made with
 * MSG_DONTWAIT and waits in the fiber loop, and stream_block changes
 * nothing (no system call). */
bool stream_block(struct stream *s);
/* stream_new and stream_block in one, with fewer system calls (the
 * socket stays blocking when it is). */
struct stream *stream_new_blocking(int rfd, int wfd, long long timeout_ms, size_t line_max);
/* Whether stream_block is on: a read waits by itself, no poll needed. */
bool stream_blocks(const struct stream *s);

/* Reads one line, ended by LF or CRLF, into line (reset first; the line
 * ending is stripped). Returns STREAM_OK; STREAM_EOF (line holds any
 * unterminated rest); STREAM_TOOLONG with the first line_max bytes in
 * line and the rest of that line skipped; STREAM_TIMEOUT, after which
 * the partial line stays buffered; or STREAM_ERR. */
int stream_getline(struct stream *s, struct strbuf *line);
/* Reads exactly n bytes (message bodies). STREAM_OK, EOF, TIMEOUT, ERR. */
int stream_read(struct stream *s, void *buf, size_t n);
/* Reads what is there: the bytes buffered (ours first, then what TLS
 * has decrypted), or, when there are none, what one read of the peer
 * brings, waiting up to the timeout; at most max, at least one. *got is
 * the count. STREAM_OK, EOF (nothing read), TIMEOUT, ERR. For callers
 * that keep their own buffer and must not wait for a byte count (SMTP
 * data, where the end marker's position is unknown). */
int stream_read_some(struct stream *s, void *buf, size_t max, size_t *got);
/* Bytes readable now without waiting: our buffer and TLS's. */
size_t stream_buffered(const struct stream *s);
int stream_rfd(const struct stream *s);

/* Writes are buffered until stream_flush. */
void stream_write(struct stream *s, const void *data, size_t n);
void stream_puts(struct stream *s, const char *str);
void stream_printf(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* STREAM_OK, STREAM_TIMEOUT or STREAM_ERR. */
int stream_flush(struct stream *s);

/* Switches to TLS as the client: discards the plaintext read ahead
 * (r->discarded says how much), flushes what is pending, shakes hands
 * with the checks of ctx's policy and fills r (which must outlive s).
 * Also for direct TLS (smtps, sips, https): call it right after the
 * connection is made. peer_host is the name (or address) connected to.
 * Returns 0, or -1 when the handshake failed or the server refused our
 * certificate right after it (r says why; the stream is then dead). */
int stream_starttls_client(struct stream *s, struct tls_ctx *ctx, const char *peer_host,
			   struct tls_report *r);
/* The same as the server; a discard is also logged as a warning, since
 * a client that pipelines past STARTTLS is broken or hostile. */
int stream_starttls_server(struct stream *s, struct tls_ctx *ctx, struct tls_report *r);

bool stream_is_tls(const struct stream *s);
/* The TLS connection (borrowed), or NULL. */
SSL *stream_ssl(const struct stream *s);
/* What went wrong last ("timeout", "Connection reset by peer", "tlsv13
 * alert certificate required"); "" when nothing did. */
const char *stream_error(const struct stream *s);

#endif
