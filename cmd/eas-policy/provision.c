/* The Provision command (MS-ASPROV) answered by eas-policy itself, and
 * the device information and recovery password a Settings request
 * carries on its way to the backend. Every change to a device is one
 * devstore_update: read, change, write atomically, under its lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"
#include "util/msg.h"
#include "wbxml/codepage.h"
#include "eas-policy.h"

/* What the request asked, filled in before the store is touched. */
struct prov {
	struct eas *e;
	const struct eas_req *r;
	const struct wbxml_node *devinfo;	/* settings:DeviceInformation */
	bool wipe_ack;
	int wipe_ack_status;
	bool has_policy;
	const char *policy_type;
	bool ack;			/* PolicyKey and Status: an acknowledgement */
	uint32_t ack_key;
	int ack_status;
	/* The answer. */
	enum { A_POLICY, A_NOPOLICY, A_FINAL, A_WRONGKEY, A_REFUSED, A_WIPE, A_WIPE_ACKED,
	       A_WIPE_FAILED, A_BADTYPE, A_PROTOCOL, A_TOOMANY } answer;
	uint32_t key;			/* the key sent */
};

static void copy_field(char *dst, size_t size, const struct wbxml_node *set, unsigned tag)
{
	const char *v = wbxml_text(wbxml_child(set, CP_SETTINGS, tag));

	if (!v)
		return;
	snprintf(dst, size, "%s", v);
	/* Control characters would spoil the listing and the logs. */
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static void record_devinfo(struct devrec *d, const struct wbxml_node *devinfo)
{
	const struct wbxml_node *set = wbxml_child(devinfo, CP_SETTINGS, SET_SET);

	if (!set)
		return;
	copy_field(d->model, sizeof(d->model), set, SET_MODEL);
	copy_field(d->imei, sizeof(d->imei), set, SET_IMEI);
	copy_field(d->friendly, sizeof(d->friendly), set, SET_FRIENDLYNAME);
	copy_field(d->os, sizeof(d->os), set, SET_OS);
	copy_field(d->os_language, sizeof(d->os_language), set, SET_OSLANGUAGE);
	copy_field(d->phone, sizeof(d->phone), set, SET_PHONENUMBER);
	copy_field(d->user_agent, sizeof(d->user_agent), set, SET_USERAGENT);
	copy_field(d->operator_, sizeof(d->operator_), set, SET_MOBILEOPERATOR);
}

static void touch(struct devrec *d, const struct eas_req *r)
{
	d->last_seen = time(NULL);
	if (*r->q.type)
		snprintf(d->type, sizeof(d->type), "%s", r->q.type);
	if (*r->q.protocol)
		snprintf(d->protocol, sizeof(d->protocol), "%s", r->q.protocol);
	if (r->user_agent && !*d->user_agent)
		snprintf(d->user_agent, sizeof(d->user_agent), "%s", r->user_agent);
}

static int decide(struct devrec *d, bool created, void *ctx)
{
	struct prov *p = ctx;
	const struct eas_req *r = p->r;
	time_t now = time(NULL);

	touch(d, r);
	if (p->devinfo)
		record_devinfo(d, p->devinfo);
	if (p->wipe_ack) {
		d->wipe_acked = now;
		d->wipe_status = p->wipe_ack_status;
		if (p->wipe_ack_status == 1 || d->wipe == DEV_WIPE_NONE) {
			d->wipe = DEV_WIPE_DONE;
			p->answer = A_WIPE_ACKED;
		} else {
			d->wipe = DEV_WIPE_SENT;
			p->answer = A_WIPE_FAILED;
		}
		d->keystate = DEV_KEY_NONE;
		d->key = d->temp_key = 0;
		return 1;
	}
	if (d->wipe == DEV_WIPE_PENDING || d->wipe == DEV_WIPE_SENT) {
		d->wipe = DEV_WIPE_SENT;
		d->wipe_sent = now;
		d->keystate = DEV_KEY_NONE;
		d->key = d->temp_key = 0;
		p->answer = A_WIPE;
		return 1;
	}
	if (!p->has_policy) {
		p->answer = A_PROTOCOL;
		return 1;
	}
	if (!p->policy_type || strcmp(p->policy_type, EAS_PROVISION_TYPE) != 0) {
		p->answer = A_BADTYPE;
		return 1;
	}
	if (!r->policy) {
		p->answer = A_NOPOLICY;
		return 1;
	}
	if (p->ack) {
		if (d->keystate != DEV_KEY_TEMPORARY || p->ack_key != d->temp_key) {
			p->answer = A_WRONGKEY;
			return 1;
		}
		/* 1 applied; 2 partially (the PIN at least): both take
		 * the key unless the policy says allow_partial false. */
		if (p->ack_status != 1 && !(p->ack_status == 2 && r->policy->allow_partial)) {
			d->keystate = DEV_KEY_NONE;
			d->temp_key = 0;
			p->answer = A_REFUSED;
			return 1;
		}
		d->keystate = DEV_KEY_PROVISIONED;
		d->key = p->key = r->current_key;
		d->temp_key = 0;
		d->provisioned = now;
		snprintf(d->policy, sizeof(d->policy), "%s", r->policy->name);
		p->answer = A_FINAL;
		return 1;
	}
	d->keystate = DEV_KEY_TEMPORARY;
	d->temp_key = p->key = policy_temp_key(r->current_key);
	snprintf(d->policy, sizeof(d->policy), "%s", r->policy->name);
	p->answer = A_POLICY;
	(void)created;
	return 1;
}

static void parse_request(struct prov *p, const struct wbxml_doc *in)
{
	const struct wbxml_node *root = in->root, *pol, *rw;

	if (!root || root->page != CP_PROVISION || root->tag != PROV_PROVISION)
		return;
	p->devinfo = wbxml_child(root, CP_SETTINGS, SET_DEVICEINFORMATION);
	if ((rw = wbxml_child(root, CP_PROVISION, PROV_REMOTEWIPE))) {
		const char *s = wbxml_text(wbxml_child(rw, CP_PROVISION, PROV_STATUS));

		p->wipe_ack = s != NULL;
		p->wipe_ack_status = s ? atoi(s) : 0;
	}
	pol = wbxml_path(root, CP_PROVISION, PROV_POLICIES, CP_PROVISION, PROV_POLICY, 0, 0);
	if (pol) {
		const char *k = wbxml_text(wbxml_child(pol, CP_PROVISION, PROV_POLICYKEY));
		const char *s = wbxml_text(wbxml_child(pol, CP_PROVISION, PROV_STATUS));

		p->has_policy = true;
		p->policy_type = wbxml_text(wbxml_child(pol, CP_PROVISION, PROV_POLICYTYPE));
		if (k && s) {
			p->ack = true;
			p->ack_status = atoi(s);
			if (!eas_key_parse(k, &p->ack_key))
				p->ack_key = 0;
		}
	}
}

static void reply(const struct prov *p, struct strbuf *out)
{
	struct wbxml_doc *doc = wbxml_doc_new();
	struct wbxml_node *root = wbxml_add_elem(doc, NULL, CP_PROVISION, PROV_PROVISION);
	struct wbxml_node *pol;
	char key[16];
	const char *pstatus = "1";

	if (p->devinfo) {
		struct wbxml_node *di = wbxml_add_elem(doc, root, CP_SETTINGS,
						       SET_DEVICEINFORMATION);

		wbxml_add_elem_text(doc, di, CP_SETTINGS, SET_STATUS, "1");
	}
	switch (p->answer) {
	case A_PROTOCOL:
		wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS, "2");
		goto done;
	case A_WIPE:
	case A_WIPE_FAILED:
		wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS,
				    p->answer == A_WIPE ? "1" : "2");
		wbxml_add_elem(doc, root, CP_PROVISION, PROV_REMOTEWIPE);
		goto done;
	case A_WIPE_ACKED:
		wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS, "1");
		goto done;
	case A_REFUSED:
		/* MS-ASPROV 3.1.5.2: the device cannot comply with the policy. */
		wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS, "139");
		goto done;
	case A_TOOMANY:
		/* MS-ASCMD 2.2.2: MaximumDevicesReached. */
		wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS, "177");
		goto done;
	case A_NOPOLICY: pstatus = "2"; break;
	case A_BADTYPE: pstatus = "3"; break;
	case A_WRONGKEY: pstatus = "5"; break;
	default: break;
	}
	wbxml_add_elem_text(doc, root, CP_PROVISION, PROV_STATUS, "1");
	pol = wbxml_add_elem(doc, root, CP_PROVISION, PROV_POLICIES);
	pol = wbxml_add_elem(doc, pol, CP_PROVISION, PROV_POLICY);
	wbxml_add_elem_text(doc, pol, CP_PROVISION, PROV_POLICYTYPE,
			    p->policy_type ? p->policy_type : EAS_PROVISION_TYPE);
	wbxml_add_elem_text(doc, pol, CP_PROVISION, PROV_STATUS, pstatus);
	if (p->answer == A_POLICY || p->answer == A_FINAL) {
		snprintf(key, sizeof(key), "%u", (unsigned)p->key);
		wbxml_add_elem_text(doc, pol, CP_PROVISION, PROV_POLICYKEY, key);
	}
	if (p->answer == A_POLICY) {
		struct wbxml_node *data = wbxml_add_elem(doc, pol, CP_PROVISION, PROV_DATA);

		policy_doc(p->r->policy, p->r->q.protocol, doc, data);
	}
done:
	wbxml_encode(doc, out);
	wbxml_doc_free(doc);
}

static const char *answer_name(int a)
{
	static const char *const names[] = {
		"policy-sent", "no-policy", "provisioned", "wrong-key", "refused", "wipe-sent",
		"wipe-acknowledged", "wipe-failed", "unknown-policy-type", "protocol-error",
		"too-many-devices",
	};

	return names[a];
}

static int count_one(const struct devrec *r, void *ctx)
{
	(*(long *)ctx)++;
	return 0;
}

/* A device new to the store, for a user who has max_devices already. */
static bool too_many(const struct eas *e, struct devstore *ds, const struct eas_req *r)
{
	struct devrec rec;
	long n = 0;

	if (devstore_get(ds, r->user, r->q.device, &rec) != 0)
		return false;
	devstore_list(ds, r->user, count_one, &n);
	return n >= e->max_devices;
}

int provision_handle(struct eas *e, const struct eas_req *r, const struct wbxml_doc *in,
		     struct strbuf *out)
{
	struct prov p = { .e = e, .r = r };
	struct devstore *ds = eas_store(e);

	parse_request(&p, in);
	if (!r->policy) {
		/* A user the directory does not know leaves no record: names
		 * from outside must not grow the store. */
		p.answer = !p.has_policy ? A_PROTOCOL :
			!p.policy_type || strcmp(p.policy_type, EAS_PROVISION_TYPE) != 0 ? A_BADTYPE :
			A_NOPOLICY;
	} else if (!ds) {
		return 503;
	} else if (too_many(e, ds, r)) {
		p.answer = A_TOOMANY;
	} else if (devstore_update(ds, r->user, r->q.device, decide, &p) < 0) {
		return 503;
	}
	reply(&p, out);
	if (p.answer == A_WIPE_ACKED || p.answer == A_WIPE_FAILED)
		msg_info("remote wipe acknowledged user=%s device=%s status=%d",
			 msg_q(r->user), msg_q(r->q.device), p.wipe_ack_status);
	else
		msg_info("provision user=%s device=%s protocol=%s policy=%s result=%s",
			 msg_q(r->user), msg_q(r->q.device), r->q.protocol,
			 r->policy ? msg_q(r->policy->name) : "none", answer_name(p.answer));
	return 200;
}

struct settings {
	const struct eas_req *r;
	const struct wbxml_node *devinfo;
	const char *recovery;
};

static int settings_apply(struct devrec *d, bool created, void *ctx)
{
	struct settings *s = ctx;

	touch(d, s->r);
	if (s->devinfo)
		record_devinfo(d, s->devinfo);
	if (s->recovery) {
		snprintf(d->recovery, sizeof(d->recovery), "%s", s->recovery);
		d->recovery_time = time(NULL);
	}
	return 1;
}

int settings_record(struct eas *e, const struct eas_req *r, const struct wbxml_doc *in)
{
	struct settings s = { .r = r };
	const struct wbxml_node *root = in->root;
	struct devstore *ds;

	if (!root || root->page != CP_SETTINGS || root->tag != SET_SETTINGS)
		return 0;
	s.devinfo = wbxml_child(root, CP_SETTINGS, SET_DEVICEINFORMATION);
	s.recovery = wbxml_text(wbxml_path(root, CP_SETTINGS, SET_DEVICEPASSWORD, CP_SETTINGS,
					   SET_SET, CP_SETTINGS, SET_PASSWORD, 0, 0));
	if (!s.devinfo && !s.recovery)
		return 0;
	if (!(ds = eas_store(e)) || devstore_update(ds, r->user, r->q.device, settings_apply, &s) < 0)
		return -1;
	msg_info("settings recorded user=%s device=%s%s%s", msg_q(r->user), msg_q(r->q.device),
		 s.devinfo ? " device_information=yes" : "",
		 s.recovery ? " recovery_password=stored" : "");
	return 0;
}
