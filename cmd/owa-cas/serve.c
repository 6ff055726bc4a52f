/* The web mail server. It is built on lib/http; until that layer is in
 * the library this build cannot serve. */
#include "util/exitcodes.h"
#include "util/msg.h"
#include "owa-cas.h"

int owa_serve(const struct prog_state *st, enum serve_mode mode)
{
	(void)st;
	(void)mode;
	msg_error("cannot serve: this build has no HTTP layer yet");
	return EX_UNAVAILABLE;
}
