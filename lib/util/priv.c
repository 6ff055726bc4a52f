/* Dropping root for good after set-up (see priv.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "util/msg.h"
#include "util/priv.h"

int priv_drop(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL || *user == 0)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		msg_error("cannot drop privileges: unknown user '%s'", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		msg_error("cannot drop privileges to '%s': %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		msg_error("cannot drop privileges to '%s': root could be regained", user);
		return -1;
	}
	msg_debug("dropped privileges user=%s uid=%ld", user, (long)pw->pw_uid);
	return 0;
}
