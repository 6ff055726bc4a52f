/* Named device policies from the config, the EASProvisionDoc built from
 * one, and the policy keys: the final key is derived from the policy's
 * settings, the user and the device (HMAC-SHA256 under the shared secret
 * when one is configured), so every host computes the same key, a
 * changed policy changes it once and an unchanged one never does. */
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "wbxml/codepage.h"
#include "eas-policy.h"

const struct conf_key policy_keys[] = {
	{ "password_required", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "a device password is required (DevicePasswordEnabled)" },
	{ "alphanumeric", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "the password must hold letters and digits (AlphanumericDevicePasswordRequired)" },
	{ "min_length", CONF_INT, "4", 1, 16, NULL, NULL, 0,
	  "shortest device password (MinDevicePasswordLength)" },
	{ "min_complex_characters", CONF_INT, "1", 1, 4, NULL, NULL, 0,
	  "character classes an alphanumeric password needs (MinDevicePasswordComplexCharacters, 12.1+)" },
	{ "allow_simple_password", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "\"1111\" and \"1234\" are accepted (AllowSimpleDevicePassword, 12.1+)" },
	{ "wipe_after_failures", CONF_INT, NULL, 4, 16, NULL, NULL, 0,
	  "wipe the device after this many failed unlocks, 4 to 16 (MaxDevicePasswordFailedAttempts); absent: never" },
	{ "max_inactivity", CONF_DURATION, NULL, 1000, 9999000, NULL, NULL, 0,
	  "idle time before the device locks (MaxInactivityTimeDeviceLock); absent: no limit" },
	{ "password_expiration_days", CONF_INT, "0", 0, 730, NULL, NULL, 0,
	  "days before the password must change, 0 for never (DevicePasswordExpiration, 12.1+)" },
	{ "password_history", CONF_INT, "0", 0, 50, NULL, NULL, 0,
	  "earlier passwords that may not be reused (DevicePasswordHistory, 12.1+)" },
	{ "storage_card_encryption", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "storage cards must be encrypted (RequireStorageCardEncryption)" },
	{ "device_encryption", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "the device must be encrypted (RequireDeviceEncryption, 12.1+)" },
	{ "attachments", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "attachments may be downloaded (AttachmentsEnabled)" },
	{ "max_attachment_size", CONF_SIZE, NULL, 1, 1LL << 31, NULL, NULL, 0,
	  "largest attachment downloaded (MaxAttachmentSize); absent: no limit" },
	{ "password_recovery", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "the device sends a recovery password (PasswordRecoveryEnabled), shown by eas-policy recovery" },
	{ "allow_partial", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "a device that applied the policy only in part (acknowledgement Status 2) is let in; false: Status 139" },
	{ NULL }
};

int policy_load(struct eas *e, const json_t *sec)
{
	json_t *map = conf_get(sec, "policies");
	const char *name, *def = conf_str(sec, "default_policy");
	json_t *p;
	size_t i = 0;

	e->npolicies = map ? json_object_size(map) : 0;
	e->policies = xcalloc(e->npolicies + 1, sizeof(*e->policies));
	if (map)
		json_object_foreach(map, name, p) {
			struct eas_policy *q = &e->policies[i++];

			q->name = name;
			q->password_required = conf_bool(p, "password_required");
			q->alphanumeric = conf_bool(p, "alphanumeric");
			q->min_length = (int)conf_int(p, "min_length");
			q->complex_characters = (int)conf_int(p, "min_complex_characters");
			q->allow_simple = conf_bool(p, "allow_simple_password");
			q->wipe_after_failures = (int)conf_int(p, "wipe_after_failures");
			q->max_inactivity_s = conf_int(p, "max_inactivity") / 1000;
			q->password_expiration_days = (int)conf_int(p, "password_expiration_days");
			q->password_history = (int)conf_int(p, "password_history");
			q->storage_card_encryption = conf_bool(p, "storage_card_encryption");
			q->device_encryption = conf_bool(p, "device_encryption");
			q->attachments = conf_bool(p, "attachments");
			q->max_attachment_size = conf_int(p, "max_attachment_size");
			q->password_recovery = conf_bool(p, "password_recovery");
			q->allow_partial = conf_bool(p, "allow_partial");
		}
	e->default_policy = policy_find(e, def);
	if (!e->default_policy) {
		if (map && json_object_size(map) > 0) {
			msg_error("%s: eas-policy.default_policy: '%s' is not one of the policies",
				  conf_path(e->st->conf), def);
			return -1;
		}
		/* No policies at all: an open policy (nothing required),
		 * so devices still provision and can be wiped. */
		struct eas_policy *q = &e->policies[0];

		q->name = def;
		q->min_length = 4;
		q->complex_characters = 1;
		q->allow_simple = true;
		q->attachments = true;
		q->allow_partial = true;
		e->npolicies = 1;
		e->default_policy = q;
	}
	return 0;
}

const struct eas_policy *policy_find(const struct eas *e, const char *name)
{
	for (size_t i = 0; i < e->npolicies; i++)
		if (e->policies[i].name && strcmp(e->policies[i].name, name) == 0)
			return &e->policies[i];
	return NULL;
}

/* One element of the document: its text, "" for an empty element. */
struct field {
	unsigned tag;
	int since;		/* protocol version that has it */
	char value[24];
};

static size_t fields(const struct eas_policy *p, struct field *f)
{
	size_t n = 0;

#define B(t, v, s) (f[n].tag = (t), f[n].since = (s), snprintf(f[n].value, sizeof(f[n].value), "%d", (v) ? 1 : 0), n++)
#define I(t, v, s) (f[n].tag = (t), f[n].since = (s), snprintf(f[n].value, sizeof(f[n].value), "%lld", (long long)(v)), n++)
#define E(t, s) (f[n].tag = (t), f[n].since = (s), f[n].value[0] = 0, n++)
	B(PROV_DEVICEPASSWORDENABLED, p->password_required, 120);
	B(PROV_ALPHANUMERICDEVICEPASSWORDREQUIRED, p->alphanumeric, 120);
	B(PROV_REQUIRESTORAGECARDENCRYPTION, p->storage_card_encryption, 120);
	B(PROV_PASSWORDRECOVERYENABLED, p->password_recovery, 120);
	B(PROV_ATTACHMENTSENABLED, p->attachments, 120);
	I(PROV_MINDEVICEPASSWORDLENGTH, p->min_length, 120);
	if (p->max_inactivity_s)
		I(PROV_MAXINACTIVITYTIMEDEVICELOCK, p->max_inactivity_s, 120);
	else
		E(PROV_MAXINACTIVITYTIMEDEVICELOCK, 120);
	if (p->wipe_after_failures)
		I(PROV_MAXDEVICEPASSWORDFAILEDATTEMPTS, p->wipe_after_failures, 120);
	else
		E(PROV_MAXDEVICEPASSWORDFAILEDATTEMPTS, 120);
	if (p->max_attachment_size)
		I(PROV_MAXATTACHMENTSIZE, p->max_attachment_size, 120);
	else
		E(PROV_MAXATTACHMENTSIZE, 120);
	B(PROV_ALLOWSIMPLEDEVICEPASSWORD, p->allow_simple, 121);
	I(PROV_DEVICEPASSWORDEXPIRATION, p->password_expiration_days, 121);
	I(PROV_DEVICEPASSWORDHISTORY, p->password_history, 121);
	B(PROV_REQUIREDEVICEENCRYPTION, p->device_encryption, 121);
	I(PROV_MINDEVICEPASSWORDCOMPLEXCHARACTERS, p->complex_characters, 121);
#undef B
#undef I
#undef E
	return n;
}

void policy_doc(const struct eas_policy *p, const char *protocol, struct wbxml_doc *doc,
		struct wbxml_node *parent)
{
	struct field f[32];
	size_t n = fields(p, f);
	int v = eas_version_num(protocol);
	struct wbxml_node *d = wbxml_add_elem(doc, parent, CP_PROVISION, PROV_EASPROVISIONDOC);

	for (size_t i = 0; i < n; i++)
		if (v >= f[i].since)
			wbxml_add_elem_text(doc, d, CP_PROVISION, f[i].tag,
					    f[i].value[0] ? f[i].value : NULL);
}

void policy_canonical(const struct eas_policy *p, struct strbuf *out)
{
	struct field f[32];
	size_t n = fields(p, f);

	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s=%s;", wbxml_tag_name(CP_PROVISION, f[i].tag), f[i].value);
}

uint32_t policy_key(const struct eas *e, const struct eas_policy *p, const char *user,
		    const char *device)
{
	struct strbuf in = STRBUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	uint32_t k;

	strbuf_addstr(&in, "postern eas-policy key 1\n");
	policy_canonical(p, &in);
	strbuf_addf(&in, "\n%s\n%s", user, device);
	HMAC(EVP_sha256(), e->secret, (int)e->secret_len, (const unsigned char *)in.buf, in.len,
	     mac, &maclen);
	strbuf_release(&in);
	k = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
	return k ? k : 1;
}

uint32_t policy_temp_key(uint32_t avoid)
{
	uint32_t k = 0;

	while (k == 0 || k == avoid)
		if (RAND_bytes((unsigned char *)&k, sizeof(k)) != 1)
			msg_fatal(EX_SOFTWARE, "cannot get random bytes for a policy key");
	return k;
}
