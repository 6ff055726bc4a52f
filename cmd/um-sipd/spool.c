/* The voicemail spool: each recording becomes a complete MIME mail in a
 * file of its own (written atomically: temp file, fsync, rename, fsync
 * of the directory) before anything else happens to it; a delivery
 * process hands the files to the MTA over SMTP, retries with backoff,
 * and removes a file only after the MTA answered 250 to its data.
 * Delivery is at-least-once: a crash between 250 and the unlink sends
 * that mail again after a restart. Files are locked (flock) while they
 * are being sent, so two deliverers never send the same file at once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "media/wav.h"
#include "sipd.h"
#include "smtp/client.h"
#include "util/atomic.h"
#include "util/base64.h"
#include "util/mem.h"
#include "util/msg.h"

#define SPOOL_MAGIC "POSTERN-UM 1 "
#define SPOOL_FILES_MAX 10000
#define SPOOL_FILE_MAX (96 * 1024 * 1024)

/* Header-safe text: printable ASCII only, at most max bytes. */
static void safe(char *out, size_t outlen, const char *s)
{
	size_t i = 0;

	for (; s && *s && i + 1 < outlen; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') ? *s : '_';
	out[i] = 0;
}

static void b64_lines(struct strbuf *out, const void *data, size_t len)
{
	struct strbuf b = STRBUF_INIT;

	base64_encode(data, len, &b);
	for (size_t i = 0; i < b.len; i += 76) {
		strbuf_add(out, b.buf + i, b.len - i < 76 ? b.len - i : 76);
		strbuf_addstr(out, "\r\n");
	}
	strbuf_release(&b);
}

static void compose(const struct sipd *d, const struct recording *r, const char *id,
		    struct strbuf *out)
{
	char date[64], stamp[32], caller[256], name[128], called[64], to[256];
	struct strbuf wav = STRBUF_INIT;
	struct tm tm;
	double secs = (double)r->samples / 8000.0;

	safe(caller, sizeof(caller), r->caller);
	safe(name, sizeof(name), r->caller_name);
	safe(called, sizeof(called), r->called);
	safe(to, sizeof(to), r->mailbox);
	localtime_r(&r->start, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strbuf_addf(out, SPOOL_MAGIC "%s %s\n", d->mail_from, to);
	strbuf_addf(out, "Date: %s\r\nFrom: \"Voicemail\" <%s>\r\nTo: <%s>\r\n", date, d->mail_from, to);
	strbuf_addf(out, "Subject: Voicemail from %s%s%s%s (%.1f s)\r\n", name, name[0] ? " <" : "",
		    caller, name[0] ? ">" : "", secs);
	strbuf_addf(out, "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n", id, d->hostname);
	strbuf_addf(out, "X-Postern-Caller: %s\r\nX-Postern-Called-Number: %s\r\n"
		    "X-Postern-Duration: %.2f\r\n", caller, called, secs);
	strbuf_addf(out, "Content-Type: multipart/mixed; boundary=\"=_um_%s\"\r\n\r\n", id);
	strbuf_addf(out, "--=_um_%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n\r\n", id);
	strbuf_addf(out, "You have a new voice message.\r\n\r\nCaller: %s%s%s%s\r\n"
		    "Called number: %s\r\nTime: %s\r\nDuration: %.1f seconds\r\n\r\n",
		    name, name[0] ? " <" : "", caller, name[0] ? ">" : "", called, date, secs);
	strbuf_addf(out, "--=_um_%s\r\nContent-Type: audio/wav; name=\"voicemail-%s.wav\"\r\n"
		    "Content-Disposition: attachment; filename=\"voicemail-%s.wav\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n", id, stamp, stamp);
	wav_write(&wav, r->pcm, r->samples, WAV_RATE);
	b64_lines(out, wav.buf, wav.len);
	strbuf_release(&wav);
	strbuf_addf(out, "\r\n--=_um_%s--\r\n", id);
}

int spool_add(const struct sipd *d, const struct recording *r)
{
	struct strbuf msg = STRBUF_INIT;
	char id[64], path[4096];
	unsigned rnd = 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned)ts.tv_nsec;
	snprintf(id, sizeof(id), "%lld.%09ld.%ld.%08x", (long long)ts.tv_sec, ts.tv_nsec,
		 (long)getpid(), rnd);
	compose(d, r, id, &msg);
	snprintf(path, sizeof(path), "%s/%s.msg", d->spool_dir, id);
	if (atomic_write(path, msg.buf, msg.len, 0600) < 0) {
		msg_error("cannot spool voicemail '%s': %s; the recording is lost", path,
			  strerror(errno));
		strbuf_release(&msg);
		return -1;
	}
	msg_info("voicemail spooled file=%s mailbox=%s duration_ms=%lld bytes=%zu", msg_q(path),
		 msg_q(r->mailbox), (long long)(r->samples / 8), msg.len);
	strbuf_release(&msg);
	return 0;
}

/* --- delivery --- */

struct sched {
	char *name;
	int attempts;
	long long due;		/* monotonic ms */
	bool seen;
};

static struct sched *sched;
static size_t nsched, sched_cap;

static struct sched *sched_get(const char *name)
{
	for (size_t i = 0; i < nsched; i++)
		if (strcmp(sched[i].name, name) == 0)
			return &sched[i];
	xgrow((void **)&sched, &sched_cap, nsched + 1, sizeof(*sched));
	sched[nsched] = (struct sched){ .name = xstrdup(name) };
	return &sched[nsched++];
}

static void sched_gc(void)
{
	size_t k = 0;

	for (size_t i = 0; i < nsched; i++) {
		if (sched[i].seen)
			sched[k++] = sched[i];
		else
			free(sched[i].name);
	}
	nsched = k;
	for (size_t i = 0; i < nsched; i++)
		sched[i].seen = false;
}

/* 0 delivered (250), 1 temporary failure, 2 permanent (5xx). */
static int send_one(const struct sipd *d, const char *env_from, const char *rcpt,
		    const char *data, size_t len, char *why, size_t whylen)
{
	struct smtp_client_opts o = { .helo = d->helo, .connect_timeout_ms = 10000,
				      .timeout_ms = d->smtp_timeout_ms, .tls = SMTP_TLS_NONE };
	struct smtp_reply r;
	struct smtp_client *c;
	int code, rc = 1;
	char first[256];

	smtp_reply_init(&r);
	c = smtp_client_open(d->smtp_host, d->smtp_port, NULL, &o, &r);
	if (c == NULL) {
		snprintf(why, whylen, "%s", smtp_reply_first(&r, first, sizeof(first)));
		smtp_reply_clear(&r);
		return 1;
	}
	if ((code = smtp_client_cmd(c, &r, "MAIL FROM:<%s>", env_from)) != 250 ||
	    ((code = smtp_client_cmd(c, &r, "RCPT TO:<%s>", rcpt)) != 250 && code != 251) ||
	    (code = smtp_client_data_start(c, &r)) != 354 ||
	    smtp_client_data_write(c, data, len, &r) < 0 ||
	    (code = smtp_client_data_end(c, &r)) != 250) {
		code = r.code;
		snprintf(why, whylen, "%s", smtp_reply_first(&r, first, sizeof(first)));
		rc = code >= 500 && code < 600 ? 2 : 1;
	} else {
		snprintf(why, whylen, "%s", smtp_reply_first(&r, first, sizeof(first)));
		rc = 0;
	}
	smtp_client_close(c, rc == 0);
	smtp_reply_clear(&r);
	return rc;
}

/* One file: lock, send, unlink after 250. Returns 0 gone, 1 to retry. */
static int deliver(const struct sipd *d, const char *name, char *why, size_t whylen)
{
	char path[4096], from[512], to[512];
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	const char *nl;
	int fd, rc = 1;

	snprintf(path, sizeof(path), "%s/%s", d->spool_dir, name);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 || st.st_nlink == 0) {
		close(fd);	/* being sent by another process, or just sent */
		snprintf(why, whylen, "busy");
		return 1;
	}
	if (strbuf_read_fd(&sb, fd, SPOOL_FILE_MAX) < 0 ||
	    strncmp(sb.buf, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) != 0 ||
	    (nl = memchr(sb.buf, '\n', sb.len)) == NULL ||
	    sscanf(sb.buf + strlen(SPOOL_MAGIC), "%511s %511s", from, to) != 2) {
		char bad[4200];

		snprintf(bad, sizeof(bad), "%s.bad", path);
		msg_error("spool file is damaged, set aside file=%s", msg_q(bad));
		rename(path, bad);
		close(fd);
		strbuf_release(&sb);
		return 0;
	}
	rc = send_one(d, from, to, nl + 1, sb.len - (size_t)(nl + 1 - sb.buf), why, whylen);
	if (rc == 0) {
		if (unlink(path) < 0)
			msg_error("delivered but cannot remove '%s': %s (it will be sent again)",
				  path, strerror(errno));
		fsync_parent(path);
		msg_info("voicemail delivered file=%s to=%s reply=%s", name, msg_q(to), msg_q(why));
	} else if (rc == 2) {
		char bad[4200];

		snprintf(bad, sizeof(bad), "%s.failed", path);
		rename(path, bad);
		fsync_parent(path);
		msg_error("voicemail refused by the MTA, kept as %s to=%s reply=%s", msg_q(bad),
			  msg_q(to), msg_q(why));
		rc = 0;
	}
	close(fd);
	strbuf_release(&sb);
	return rc;
}

size_t spool_run_once(const struct sipd *d, bool force)
{
	DIR *dir = opendir(d->spool_dir);
	struct dirent *e;
	size_t left = 0, seen = 0;
	long long now = now_ms();

	if (dir == NULL) {
		msg_error("cannot open spool_dir '%s': %s", d->spool_dir, strerror(errno));
		return 0;
	}
	while ((e = readdir(dir)) != NULL && seen < SPOOL_FILES_MAX) {
		size_t n = strlen(e->d_name);
		struct sched *s;
		char why[300] = "";

		if (n < 5 || strcmp(e->d_name + n - 4, ".msg") != 0 || e->d_name[0] == '.')
			continue;
		seen++;
		s = sched_get(e->d_name);
		s->seen = true;
		if (!force && s->due > now) {
			left++;
			continue;
		}
		if (deliver(d, e->d_name, why, sizeof(why)) != 0) {
			long long delay = d->retry_min_ms;

			for (int i = 0; i < s->attempts && delay < d->retry_max_ms; i++)
				delay *= 2;
			if (delay > d->retry_max_ms)
				delay = d->retry_max_ms;
			s->attempts++;
			s->due = now_ms() + delay;
			left++;
			if (strcmp(why, "busy") != 0)
				msg_warn("voicemail delivery failed, will retry file=%s attempt=%d "
					 "retry_in_ms=%lld reason=%s", e->d_name, s->attempts, delay,
					 msg_q(why));
		} else {
			s->seen = false;
		}
	}
	closedir(dir);
	sched_gc();
	return left;
}

static long long next_due(const struct sipd *d)
{
	long long best = now_ms() + d->spool_scan_ms;

	for (size_t i = 0; i < nsched; i++)
		if (sched[i].due && sched[i].due < best)
			best = sched[i].due;
	return best;
}

static volatile sig_atomic_t got_term;

static void on_signal(int sig)
{
	(void)sig;
	got_term = 1;
}

/* The delivery process: the spool and the certificate's expiry timer.
 * A new file wakes it through inotify (no signal to a pid that may be
 * gone after a reload); the spool is also looked at every spool_scan. */
static void spooler(const struct sipd *d, pid_t parent)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long long cert_due = 0;
	int ino;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	msg_context("process", "spool");
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino >= 0 && inotify_add_watch(ino, d->spool_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		msg_warn("cannot watch spool_dir '%s': %s; scanning every spool_scan only",
			 d->spool_dir, strerror(errno));
		close(ino);
		ino = -1;
	}
	while (!got_term && getppid() == parent) {
		long long now = now_ms(), wake, ms;
		struct pollfd pf = { .fd = ino, .events = POLLIN };
		char ev[4096];

		if (d->tls && now >= cert_due) {
			sipd_cert_check(d);
			cert_due = now + d->cert_check_ms;
		}
		spool_run_once(d, false);
		wake = next_due(d);
		if (d->tls && cert_due < wake)
			wake = cert_due;
		ms = wake - now_ms();
		if (ms > 1000)
			ms = 1000;	/* notice a dead listener */
		if (ms < 0)
			ms = 0;
		if (poll(&pf, ino >= 0 ? 1 : 0, (int)ms) > 0)
			while (read(ino, ev, sizeof(ev)) > 0)
				;
	}
	_exit(0);
}

pid_t spool_start(struct sipd *d)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		msg_error("cannot fork the spool process: %s", strerror(errno));
		return 0;
	}
	if (pid == 0)
		spooler(d, parent);
	d->spooler = pid;
	return pid;
}

void spool_kick(const struct sipd *d)
{
	pid_t pid;

	if (d->spooler != 0)
		return;		/* the delivery process sees the new file */
	/* inetd and Accept=yes: no delivery process; one pass now, and
	 * "um-sipd flush" from a timer for the retries */
	if ((pid = fork()) == 0) {
		/* out of the session's process group: an inetd or a test
		 * harness that ends the group with the session must not cut
		 * a delivery short */
		setsid();
		msg_context("process", "spool");
		spool_run_once(d, true);
		_exit(0);
	}
}
