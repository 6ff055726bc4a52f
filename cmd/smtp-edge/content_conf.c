/* The content layer's config keys: the "content" object of the
 * smtp-edge section. */
#include <stddef.h>

#include "content.h"
#include "spam/scl.h"

static const struct conf_key bypass_keys[] = {
	{ "exempt_recipients", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "recipients never scored: user@domain, @domain or domain (all of a message's "
	  "recipients must be exempt)" },
	{ "allowlisted", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "clients that layer 1 allowed (allow list, DNS allow lists) are not scored" },
	{ "partners", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "partners verified by domain security are not scored" },
	{ "relay_clients", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "clients of relay_networks (our own servers, outbound) are not scored" },
	{ NULL }
};

static const struct conf_key scl_keys[] = {
	{ "enabled", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "score messages with scl-score's model" },
	{ "model", CONF_PATH, "\"/var/lib/postern/scl.model\"", 0, 0, NULL, NULL, 0,
	  "the model file (scl-score train writes it; mapped once per process)" },
	{ "scan_bytes", CONF_SIZE, "\"512k\"", 4096, 64LL << 20, NULL, NULL, 0,
	  "bytes of the message the model reads" },
	{ "actions", CONF_INCLUDE, NULL, 0, 0, NULL, scl_policy_keys, 0, NULL },
	{ "exchange_header", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "also write X-MS-Exchange-Organization-SCL" },
	{ "on_failure", CONF_ENUM, "\"tempfail\"", 0, 0, "tempfail|accept", NULL, 0,
	  "a model that cannot be read: 451 4.3.0, or pass the message unscored" },
	{ NULL }
};

static const struct conf_key att_rule_keys[] = {
	{ "types", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "MIME types (globs: \"application/x-msdownload\", \"video/*\")" },
	{ "names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "file names (globs, case ignored), also inside archives" },
	{ "extensions", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "file name extensions without the dot, also inside archives" },
	{ "encrypted", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "matches an encrypted (password-protected) archive" },
	{ "action", CONF_ENUM, "\"reject\"", 0, 0, "reject|delete|strip", NULL, 0,
	  "reject (550 5.7.1 with text), delete the message, or strip the attachment and add "
	  "a notice" },
	{ "text", CONF_STRING, "\"Message refused: attachment not allowed\"", 0, 0, NULL, NULL, 0,
	  "the reject reply's text (after 550 5.7.1) and the notice's reason" },
	{ NULL }
};

static const struct conf_key att_keys[] = {
	{ "rules", CONF_LIST, "[]", 0, 0, NULL, att_rule_keys, 0,
	  "attachment rules, the first that matches an attachment decides" },
	{ "archive_depth", CONF_INT, "3", 0, 16, NULL, NULL, 0,
	  "archives inside archives opened below the attachment's" },
	{ "archive_entries_max", CONF_INT, "10000", 1, 1000000, NULL, NULL, 0,
	  "entries listed in one attachment (more: the listing stops)" },
	{ "archive_bytes_max", CONF_SIZE, "\"64M\"", 65536, 4LL << 30, NULL, NULL, 0,
	  "bytes of one nested archive unpacked to list it" },
	{ NULL }
};

static const struct conf_key av_keys[] = {
	{ "enabled", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "scan messages with clamd" },
	{ "clamd", CONF_STRING, "\"unix:/run/clamav/clamd.ctl\"", 0, 0, NULL, NULL, 0,
	  "clamd's socket: unix:/PATH or HOST:PORT" },
	{ "timeout", CONF_DURATION, "\"60s\"", 100, 3600000, NULL, NULL, 0,
	  "how long to wait for clamd at each step" },
	{ "on_failure", CONF_ENUM, "\"tempfail\"", 0, 0, "tempfail|accept", NULL, 0,
	  "clamd down or failing: 451 4.7.1, or pass the message unscanned (and unstamped)" },
	{ "action", CONF_ENUM, "\"reject\"", 0, 0, "reject|delete|quarantine", NULL, 0,
	  "what a virus gives: 554 5.7.1, accept and drop, or quarantine" },
	{ "stamp", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "add the sealed X-Postern-AV stamp to clean messages (needs organisation.key_file)" },
	{ NULL }
};

static const struct conf_key org_keys[] = {
	{ "key_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "the organisation key shared by our sites (16 bytes or more), for the stamp and "
	  "the header seal" },
	{ "trusted_peers", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "clients (CIDR) that are our own sites: their sealed headers and stamps are believed" },
	{ "seal", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "seal the internal header fields we add (X-Postern-Org-Seal)" },
	{ NULL }
};

static const struct conf_key quar_keys[] = {
	{ "directory", CONF_PATH, "\"/var/spool/postern/quarantine\"", 0, 0, NULL, NULL, 0,
	  "the quarantine Maildir (made when missing)" },
	{ NULL }
};

const struct conf_key content_conf_keys[] = {
	{ "enabled", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "run the content layer: the message is held whole and checked before it goes on" },
	{ "spool_memory", CONF_SIZE, "\"4M\"", 0, 4LL << 30, NULL, NULL, 0,
	  "bytes of a message held in memory; the rest goes to a temporary file" },
	{ "spool_directory", CONF_PATH, "\"/var/tmp\"", 0, 0, NULL, NULL, 0,
	  "where the temporary files go (unlinked at once)" },
	{ "safelists", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "look recipients up in the directory: safe senders (SCL -1), blocked senders "
	  "(550 5.7.1), posternSCLJunkThreshold" },
	{ "bypass", CONF_OBJECT, NULL, 0, 0, NULL, bypass_keys, 0,
	  "messages that skip spam scoring (SCL -1)" },
	{ "scl", CONF_OBJECT, NULL, 0, 0, NULL, scl_keys, 0,
	  "spam confidence level and the actions by threshold" },
	{ "attachments", CONF_OBJECT, NULL, 0, 0, NULL, att_keys, 0,
	  "attachment filtering by type, name and extension, archives included" },
	{ "antivirus", CONF_OBJECT, NULL, 0, 0, NULL, av_keys, 0,
	  "clamd scanning and the sealed stamp" },
	{ "organisation", CONF_OBJECT, NULL, 0, 0, NULL, org_keys, 0,
	  "organisation header authentication between our sites" },
	{ "rules_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "transport rules (JSON, see rules(5)); read at start and on SIGHUP" },
	{ "smime_sign_command", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "the rules' smime_sign action: a filter (argv) that reads the message and writes it "
	  "signed, e.g. [\"/usr/local/bin/smime-sign\", \"-c\", \"/etc/postern/sign.json\", "
	  "\"sign\"]; the key stays in that process; empty: 451 4.7.0" },
	{ "quarantine", CONF_OBJECT, NULL, 0, 0, NULL, quar_keys, 0,
	  "where quarantined messages are kept" },
	{ NULL }
};
