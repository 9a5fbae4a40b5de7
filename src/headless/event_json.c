/* One event as one JSON object (doc/headless.md): "event" first, then
 * "ts" (RFC 3339, UTC), then the event's fields.  Headless mode prints it;
 * the core's unit tests read events the same way. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "headless/event_json.h"
#include "loop/loop.h"
#include "util/log.h"
#include "util/stamp.h"

static const char *const kind_names[] = {
    [NT_EV_CONNECTING] = "connecting",
    [NT_EV_CONNECTED] = "connected",
    [NT_EV_DISCONNECTED] = "disconnected",
    [NT_EV_RECONNECTING] = "reconnecting",
    [NT_EV_RESUMED] = "resumed",
    [NT_EV_TLS_UNTRUSTED] = "tls_untrusted",
    [NT_EV_ERROR] = "error",
    [NT_EV_INFO] = "info",
    [NT_EV_MESSAGE] = "message",
    [NT_EV_PRESENCE] = "presence",
    [NT_EV_VERSION] = "version",
    [NT_EV_PONG] = "pong",
    [NT_EV_RAW_SENT] = "raw_sent",
    [NT_EV_ROSTER] = "roster",
    [NT_EV_ROSTER_PUSH] = "roster_push",
    [NT_EV_SUBSCRIPTION] = "subscription",
    [NT_EV_SUB_PENDING] = "sub_pending",
    [NT_EV_CHAT_STATE] = "chat_state",
    [NT_EV_RECEIPT] = "receipt",
    [NT_EV_DISCO_INFO] = "disco_info",
    [NT_EV_DISCO_ITEMS] = "disco_items",
    [NT_EV_VCARD] = "vcard",
    [NT_EV_REGISTERED] = "registered",
    [NT_EV_PASSWORD_CHANGED] = "password_changed",
    [NT_EV_UNREGISTERED] = "unregistered",
    [NT_EV_HISTORY] = "history",
    [NT_EV_SETTING] = "setting",
    [NT_EV_CONTACT] = "contact",
    [NT_EV_MUC_JOINED] = "muc_joined",
    [NT_EV_MUC_PRESENCE] = "muc_presence",
    [NT_EV_MUC_SUBJECT] = "muc_subject",
    [NT_EV_MUC_LEFT] = "muc_left",
    [NT_EV_MUC_INVITE] = "muc_invite",
    [NT_EV_MUC_OCCUPANTS] = "muc_occupants",
    [NT_EV_BOOKMARKS] = "bookmarks",
    [NT_EV_MUC_CONFIG] = "muc_config",
    [NT_EV_OMEMO_FINGERPRINTS] = "omemo_fingerprints",
    [NT_EV_FCM] = "fcm",
    [NT_EV_FCM_ACK_SENT] = "fcm_ack_sent",
    [NT_EV_FCM_SENT] = "fcm_sent",
    [NT_EV_FCM_WAITING] = "fcm_waiting",
    [NT_EV_PUBSUB_SUBSCRIPTIONS] = "pubsub_subscriptions",
    [NT_EV_PUBSUB_SUBSCRIPTION] = "pubsub_subscription",
    [NT_EV_PUBSUB_EVENT] = "pubsub_event",
    [NT_EV_MARKER] = "marker",
    [NT_EV_BLOCKLIST] = "blocklist",
    [NT_EV_UPLOAD_PROGRESS] = "upload_progress",
    [NT_EV_UPLOAD] = "upload",
    [NT_EV_RETRACTED] = "retracted",
};

static void set_str(json_t *o, const char *key, const char *v)
{
	/* Strings reach us sanitised; json_string() refuses invalid UTF-8,
	 * which would be a bug upstream, so it is logged, not hidden. */
	if (!v)
		return;
	if (json_object_set_new(o, key, json_string(v)))
		log_error("event field %s was not valid UTF-8 and was left out", key);
}

static json_t *roster_item(const struct nt_roster_item *it)
{
	json_t *o = json_object(), *groups = json_array();

	if (!o || !groups) {
		json_decref(o);
		json_decref(groups);
		return NULL;
	}
	set_str(o, "jid", it->jid);
	set_str(o, "name", it->name);
	set_str(o, "subscription", it->subscription);
	set_str(o, "ask", it->ask);
	for (size_t i = 0; i < it->ngroups; i++)
		json_array_append_new(groups, json_string(it->groups[i]));
	json_object_set_new(o, "groups", groups);
	return o;
}

/* Adds key: [ each(i) for i < n ]; each returns a new object or NULL. */
static void set_array(json_t *o, const char *key, size_t n, json_t *(*each)(const void *, size_t),
                      const void *items)
{
	json_t *a = json_array();

	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *el = each(items, i);

		if (el)
			json_array_append_new(a, el);
	}
	json_object_set_new(o, key, a);
}

static json_t *each_roster(const void *items, size_t i)
{
	return roster_item(&((const struct nt_roster_item *)items)[i]);
}

static json_t *each_request(const void *items, size_t i)
{
	const struct nt_sub_request *r = &((const struct nt_sub_request *)items)[i];
	json_t *o = json_object();

	set_str(o, "from", r->from);
	set_str(o, "status", r->status);
	return o;
}

static json_t *each_identity(const void *items, size_t i)
{
	const struct nt_disco_identity *id = &((const struct nt_disco_identity *)items)[i];
	json_t *o = json_object();

	set_str(o, "category", id->category);
	set_str(o, "type", id->type);
	set_str(o, "name", id->name);
	return o;
}

static json_t *each_string(const void *items, size_t i)
{
	return json_string(((const char *const *)items)[i]);
}

static json_t *each_item(const void *items, size_t i)
{
	const struct nt_disco_item *it = &((const struct nt_disco_item *)items)[i];
	json_t *o = json_object();

	set_str(o, "jid", it->jid);
	set_str(o, "node", it->node);
	set_str(o, "name", it->name);
	return o;
}

static json_t *each_history(const void *items, size_t i)
{
	const struct nt_history_message *m = &((const struct nt_history_message *)items)[i];
	json_t *o = json_object();

	set_str(o, "ts", m->ts);
	json_object_set_new(o, "ts_ms", json_integer((json_int_t)m->ts_ms));
	set_str(o, "from", m->from);
	set_str(o, "to", m->to);
	set_str(o, "body", m->body);
	set_str(o, "xhtml", m->xhtml);
	set_str(o, "direction", m->direction);
	set_str(o, "id", m->stanza_id);
	set_str(o, "delivery", m->delivery);
	if (m->delayed)
		json_object_set_new(o, "delayed", json_true());
	if (m->carbon)
		json_object_set_new(o, "carbon", json_true());
	set_str(o, "encrypted", m->encrypted);
	if (m->edited)
		json_object_set_new(o, "edited", json_true());
	if (m->retracted)
		json_object_set_new(o, "retracted", json_true());
	if (m->action)
		json_object_set_new(o, "action", json_true());
	set_str(o, "oob_url", m->oob_url);
	return o;
}

static json_t *each_omemo_device(const void *items, size_t i)
{
	const struct nt_omemo_device *d = &((const struct nt_omemo_device *)items)[i];
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(d->id));
	set_str(o, "fingerprint", d->fingerprint);
	set_str(o, "trust", d->trust);
	if (d->own)
		json_object_set_new(o, "own", json_true());
	return o;
}

/* An occupant's fields, into o (an occupant object or a muc_presence). */
static void occupant_fields(json_t *o, const struct nt_occupant *oc)
{
	set_str(o, "nick", oc->nick);
	set_str(o, "jid", oc->jid);
	set_str(o, "role", oc->role);
	set_str(o, "affiliation", oc->affiliation);
	set_str(o, "show", oc->show);
	set_str(o, "status", oc->status);
}

static json_t *each_occupant(const void *items, size_t i)
{
	json_t *o = json_object();

	if (o)
		occupant_fields(o, &((const struct nt_occupant *)items)[i]);
	return o;
}

static json_t *each_bookmark(const void *items, size_t i)
{
	const struct nt_bookmark *b = &((const struct nt_bookmark *)items)[i];
	json_t *o = json_object();

	set_str(o, "room", b->room);
	set_str(o, "name", b->name);
	set_str(o, "nick", b->nick);
	json_object_set_new(o, "autojoin", json_boolean(b->autojoin));
	set_str(o, "password", b->password);
	return o;
}

static json_t *each_form_field(const void *items, size_t i)
{
	const struct nt_form_field *f = &((const struct nt_form_field *)items)[i];
	json_t *o = json_object();

	set_str(o, "var", f->var);
	set_str(o, "type", f->type);
	set_str(o, "label", f->label);
	set_array(o, "values", f->nvalues, each_string, f->values);
	if (f->noptions)
		set_array(o, "options", f->noptions, each_string, f->options);
	return o;
}

static void set_codes(json_t *o, const int *codes, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(codes[i]));
	if (a)
		json_object_set_new(o, "codes", a);
}

static void set_true(json_t *o, const char *key, bool v)
{
	if (v)
		json_object_set_new(o, key, json_true());
}

static json_t *each_resource(const void *items, size_t i)
{
	const struct nt_contact_resource *r = &((const struct nt_contact_resource *)items)[i];
	json_t *o = json_object();

	set_str(o, "jid", r->jid);
	set_str(o, "show", r->show);
	set_str(o, "status", r->status);
	set_str(o, "client", r->client);
	json_object_set_new(o, "priority", json_integer(r->priority));
	return o;
}

static json_t *each_pubsub_sub(const void *items, size_t i)
{
	const struct nt_pubsub_sub *s = &((const struct nt_pubsub_sub *)items)[i];
	json_t *o = json_object();

	set_str(o, "node", s->node);
	set_str(o, "jid", s->jid);
	set_str(o, "subid", s->subid);
	set_str(o, "subscription", s->subscription);
	set_str(o, "expire", s->expire);
	return o;
}

static json_t *each_pubsub_item(const void *items, size_t i)
{
	const struct nt_pubsub_item *it = &((const struct nt_pubsub_item *)items)[i];
	json_t *o = json_object();

	set_str(o, "id", it->id);
	set_str(o, "payload", it->payload);
	set_true(o, "retracted", it->retracted);
	return o;
}

static void set_fields(json_t *o, const char *key, const struct nt_field *f, size_t n)
{
	json_t *fields = json_object();

	for (size_t i = 0; fields && i < n; i++)
		set_str(fields, f[i].name, f[i].value);
	if (fields)
		json_object_set_new(o, key, fields);
}

static void timestamp(json_t *o)
{
	char buf[STAMP_LEN];

	stamp_format(loop_wall_now_ms(), buf);
	set_str(o, "ts", buf);
}

static void fill_fcm(json_t *o, const struct nt_event *ev)
{
	const typeof(ev->u.fcm) *f = &ev->u.fcm;

	set_str(o, "message_type", f->message_type);
	set_str(o, "message_id", f->message_id);
	set_str(o, "from", f->from);
	set_str(o, "to", f->to);
	set_str(o, "category", f->category);
	if (f->data) {
		/* The core hands the payload's data as JSON text (sanitised):
		 * scripts get it as the object it was. */
		json_t *data = json_loads(f->data, JSON_DECODE_ANY, NULL);

		if (data)
			json_object_set_new(o, "data", data);
		else
			log_error("an fcm event's data was not JSON and was left out");
	}
	set_str(o, "error", f->error);
	set_str(o, "error_description", f->error_description);
	set_str(o, "registration_id", f->registration_id);
	set_str(o, "control_type", f->control_type);
}

static void fill(json_t *o, const struct nt_event *ev)
{
	switch (ev->kind) {
	case NT_EV_CONNECTING:
		json_object_set_new(o, "attempt", json_integer(ev->u.connecting.attempt));
		break;
	case NT_EV_CONNECTED:
		set_str(o, "jid", ev->u.connected.jid);
		json_object_set_new(o, "secure", json_boolean(ev->u.connected.secure));
		set_str(o, "mechanism", ev->u.connected.mechanism);
		break;
	case NT_EV_DISCONNECTED:
		set_str(o, "reason", ev->u.disconnected.reason);
		break;
	case NT_EV_RECONNECTING:
		json_object_set_new(o, "attempt", json_integer(ev->u.reconnecting.attempt));
		json_object_set_new(o, "in_ms", json_integer(ev->u.reconnecting.in_ms));
		break;
	case NT_EV_RESUMED:
	case NT_EV_RAW_SENT:
		break;
	case NT_EV_TLS_UNTRUSTED:
		set_str(o, "fingerprint", ev->u.tls_untrusted.fingerprint);
		set_str(o, "reason", ev->u.tls_untrusted.reason);
		set_str(o, "subject", ev->u.tls_untrusted.subject);
		set_str(o, "issuer", ev->u.tls_untrusted.issuer);
		set_str(o, "valid_from", ev->u.tls_untrusted.valid_from);
		set_str(o, "valid_until", ev->u.tls_untrusted.valid_until);
		json_object_set_new(o, "pin_mismatch",
		                    json_boolean(ev->u.tls_untrusted.pin_mismatch));
		break;
	case NT_EV_ERROR:
		set_str(o, "command", ev->u.error.command);
		set_str(o, "condition", ev->u.error.condition);
		set_str(o, "app_condition", ev->u.error.app_condition);
		set_str(o, "text", ev->u.error.text);
		break;
	case NT_EV_INFO:
		set_str(o, "command", ev->u.info.command);
		set_str(o, "text", ev->u.info.text);
		break;
	case NT_EV_MESSAGE:
		set_str(o, "from", ev->u.message.from);
		set_str(o, "to", ev->u.message.to);
		set_str(o, "type", ev->u.message.type);
		set_str(o, "id", ev->u.message.id);
		set_str(o, "body", ev->u.message.body);
		set_str(o, "xhtml", ev->u.message.xhtml);
		set_str(o, "thread", ev->u.message.thread);
		set_str(o, "subject", ev->u.message.subject);
		if (ev->u.message.delayed)
			json_object_set_new(o, "delayed", json_true());
		set_str(o, "stamp", ev->u.message.stamp);
		json_object_set_new(o, "ts_ms", json_integer((json_int_t)ev->u.message.ts_ms));
		set_str(o, "carbon", ev->u.message.carbon);
		if (ev->u.message.outgoing)
			json_object_set_new(o, "outgoing", json_true());
		set_str(o, "replaces", ev->u.message.replaces);
		set_str(o, "oob_url", ev->u.message.oob_url);
		if (ev->u.message.action)
			json_object_set_new(o, "action", json_true());
		set_str(o, "room", ev->u.message.room);
		set_str(o, "nick", ev->u.message.nick);
		set_str(o, "encrypted", ev->u.message.encrypted);
		if (ev->u.message.undecryptable)
			json_object_set_new(o, "undecryptable", json_true());
		break;
	case NT_EV_PRESENCE:
		set_str(o, "from", ev->u.presence.from);
		set_str(o, "type", ev->u.presence.type);
		set_str(o, "show", ev->u.presence.show);
		set_str(o, "status", ev->u.presence.status);
		json_object_set_new(o, "priority", json_integer(ev->u.presence.priority));
		break;
	case NT_EV_VERSION:
		set_str(o, "from", ev->u.version.from);
		set_str(o, "name", ev->u.version.name);
		set_str(o, "version", ev->u.version.version);
		set_str(o, "os", ev->u.version.os);
		break;
	case NT_EV_PONG:
		set_str(o, "from", ev->u.pong.from);
		json_object_set_new(o, "rtt_ms", json_integer(ev->u.pong.rtt_ms));
		break;
	case NT_EV_ROSTER:
		set_array(o, "items", ev->u.roster.count, each_roster, ev->u.roster.items);
		break;
	case NT_EV_ROSTER_PUSH:
		json_object_set_new(o, "item", roster_item(&ev->u.roster_push.item));
		break;
	case NT_EV_SUBSCRIPTION:
		set_str(o, "from", ev->u.subscription.from);
		set_str(o, "type", ev->u.subscription.type);
		set_str(o, "status", ev->u.subscription.status);
		break;
	case NT_EV_SUB_PENDING:
		set_array(o, "requests", ev->u.sub_pending.count, each_request,
		          ev->u.sub_pending.items);
		break;
	case NT_EV_CHAT_STATE:
		set_str(o, "from", ev->u.chat_state.from);
		set_str(o, "state", ev->u.chat_state.state);
		break;
	case NT_EV_RECEIPT:
		set_str(o, "from", ev->u.receipt.from);
		set_str(o, "id", ev->u.receipt.id);
		break;
	case NT_EV_DISCO_INFO:
		set_str(o, "from", ev->u.disco_info.from);
		set_str(o, "node", ev->u.disco_info.node);
		set_array(o, "identities", ev->u.disco_info.nidentities, each_identity,
		          ev->u.disco_info.identities);
		set_array(o, "features", ev->u.disco_info.nfeatures, each_string,
		          ev->u.disco_info.features);
		break;
	case NT_EV_DISCO_ITEMS:
		set_str(o, "from", ev->u.disco_items.from);
		set_str(o, "node", ev->u.disco_items.node);
		set_array(o, "items", ev->u.disco_items.count, each_item, ev->u.disco_items.items);
		break;
	case NT_EV_VCARD:
		set_str(o, "from", ev->u.vcard.from);
		set_fields(o, "fields", ev->u.vcard.fields, ev->u.vcard.count);
		break;
	case NT_EV_REGISTERED:
		set_str(o, "jid", ev->u.registered.jid);
		break;
	case NT_EV_PASSWORD_CHANGED:
	case NT_EV_UNREGISTERED:
		break;
	case NT_EV_HISTORY:
		set_str(o, "with", ev->u.history.with);
		set_str(o, "query", ev->u.history.query);
		set_array(o, "messages", ev->u.history.count, each_history, ev->u.history.messages);
		break;
	case NT_EV_CONTACT:
		set_str(o, "jid", ev->u.contact.jid);
		if (ev->u.contact.item)
			json_object_set_new(o, "item", roster_item(ev->u.contact.item));
		set_array(o, "resources", ev->u.contact.nresources, each_resource,
		          ev->u.contact.resources);
		break;
	case NT_EV_SETTING:
		set_str(o, "section", ev->u.setting.section);
		set_str(o, "name", ev->u.setting.name);
		set_str(o, "value", ev->u.setting.value);
		break;
	case NT_EV_MUC_JOINED:
		set_str(o, "room", ev->u.muc_joined.room);
		set_str(o, "nick", ev->u.muc_joined.nick);
		set_array(o, "occupants", ev->u.muc_joined.count, each_occupant,
		          ev->u.muc_joined.occupants);
		set_str(o, "subject", ev->u.muc_joined.subject);
		set_true(o, "created", ev->u.muc_joined.created);
		break;
	case NT_EV_MUC_PRESENCE:
		set_str(o, "room", ev->u.muc_presence.room);
		set_str(o, "type", ev->u.muc_presence.type);
		occupant_fields(o, &ev->u.muc_presence.occupant);
		set_codes(o, ev->u.muc_presence.codes, ev->u.muc_presence.ncodes);
		set_str(o, "new_nick", ev->u.muc_presence.new_nick);
		set_str(o, "actor", ev->u.muc_presence.actor);
		set_str(o, "reason", ev->u.muc_presence.reason);
		break;
	case NT_EV_MUC_SUBJECT:
		set_str(o, "room", ev->u.muc_subject.room);
		set_str(o, "nick", ev->u.muc_subject.nick);
		set_str(o, "subject", ev->u.muc_subject.subject);
		break;
	case NT_EV_MUC_LEFT:
		set_str(o, "room", ev->u.muc_left.room);
		set_str(o, "reason", ev->u.muc_left.reason);
		set_codes(o, ev->u.muc_left.codes, ev->u.muc_left.ncodes);
		set_str(o, "actor", ev->u.muc_left.actor);
		set_true(o, "destroyed", ev->u.muc_left.destroyed);
		set_str(o, "alternate", ev->u.muc_left.alternate);
		set_true(o, "rejoining", ev->u.muc_left.rejoining);
		break;
	case NT_EV_MUC_INVITE:
		set_str(o, "room", ev->u.muc_invite.room);
		set_str(o, "from", ev->u.muc_invite.from);
		set_str(o, "reason", ev->u.muc_invite.reason);
		set_str(o, "password", ev->u.muc_invite.password);
		json_object_set_new(o, "direct", json_boolean(ev->u.muc_invite.direct));
		break;
	case NT_EV_MUC_OCCUPANTS:
		set_str(o, "room", ev->u.muc_occupants.room);
		set_array(o, "occupants", ev->u.muc_occupants.count, each_occupant,
		          ev->u.muc_occupants.occupants);
		break;
	case NT_EV_BOOKMARKS:
		set_array(o, "items", ev->u.bookmarks.count, each_bookmark, ev->u.bookmarks.items);
		set_str(o, "storage", ev->u.bookmarks.storage);
		break;
	case NT_EV_MUC_CONFIG:
		set_str(o, "room", ev->u.muc_config.room);
		set_array(o, "fields", ev->u.muc_config.count, each_form_field,
		          ev->u.muc_config.fields);
		break;
	case NT_EV_OMEMO_FINGERPRINTS:
		set_str(o, "jid", ev->u.omemo_fingerprints.jid);
		set_array(o, "devices", ev->u.omemo_fingerprints.count, each_omemo_device,
		          ev->u.omemo_fingerprints.devices);
		break;
	case NT_EV_FCM:
		fill_fcm(o, ev);
		break;
	case NT_EV_FCM_ACK_SENT:
		set_str(o, "message_id", ev->u.fcm_ack_sent.message_id);
		break;
	case NT_EV_FCM_SENT:
		set_str(o, "message_id", ev->u.fcm_sent.message_id);
		json_object_set_new(o, "in_flight", json_integer(ev->u.fcm_sent.in_flight));
		break;
	case NT_EV_FCM_WAITING:
		set_str(o, "message_id", ev->u.fcm_waiting.message_id);
		set_str(o, "reason", ev->u.fcm_waiting.reason);
		json_object_set_new(o, "waiting", json_integer(ev->u.fcm_waiting.waiting));
		break;
	case NT_EV_PUBSUB_SUBSCRIPTIONS:
		set_str(o, "service", ev->u.pubsub_subscriptions.service);
		set_str(o, "node", ev->u.pubsub_subscriptions.node);
		set_array(o, "subscriptions", ev->u.pubsub_subscriptions.count, each_pubsub_sub,
		          ev->u.pubsub_subscriptions.subs);
		set_true(o, "truncated", ev->u.pubsub_subscriptions.truncated);
		break;
	case NT_EV_PUBSUB_SUBSCRIPTION:
		set_str(o, "service", ev->u.pubsub_subscription.service);
		set_str(o, "node", ev->u.pubsub_subscription.node);
		set_str(o, "jid", ev->u.pubsub_subscription.jid);
		set_str(o, "subid", ev->u.pubsub_subscription.subid);
		set_str(o, "subscription", ev->u.pubsub_subscription.subscription);
		set_str(o, "expire", ev->u.pubsub_subscription.expire);
		set_true(o, "reused", ev->u.pubsub_subscription.reused);
		break;
	case NT_EV_PUBSUB_EVENT:
		set_str(o, "service", ev->u.pubsub_event.service);
		set_str(o, "node", ev->u.pubsub_event.node);
		set_str(o, "to", ev->u.pubsub_event.to);
		set_true(o, "other_resource", ev->u.pubsub_event.other_resource);
		set_array(o, "items", ev->u.pubsub_event.count, each_pubsub_item,
		          ev->u.pubsub_event.items);
		set_str(o, "collection", ev->u.pubsub_event.collection);
		set_str(o, "subid", ev->u.pubsub_event.subid);
		set_str(o, "stamp", ev->u.pubsub_event.stamp);
		set_true(o, "purged", ev->u.pubsub_event.purged);
		set_true(o, "deleted", ev->u.pubsub_event.deleted);
		set_true(o, "truncated", ev->u.pubsub_event.truncated);
		break;
	case NT_EV_MARKER:
		set_str(o, "from", ev->u.marker.from);
		set_str(o, "type", ev->u.marker.type);
		set_str(o, "id", ev->u.marker.id);
		break;
	case NT_EV_BLOCKLIST:
		set_array(o, "items", ev->u.blocklist.count, each_string, ev->u.blocklist.items);
		break;
	case NT_EV_UPLOAD_PROGRESS:
		set_str(o, "path", ev->u.upload_progress.path);
		set_str(o, "to", ev->u.upload_progress.to);
		json_object_set_new(o, "sent",
		                    json_integer((json_int_t)ev->u.upload_progress.sent));
		json_object_set_new(o, "total",
		                    json_integer((json_int_t)ev->u.upload_progress.total));
		break;
	case NT_EV_UPLOAD:
		set_str(o, "path", ev->u.upload.path);
		set_str(o, "to", ev->u.upload.to);
		set_str(o, "url", ev->u.upload.url);
		json_object_set_new(o, "size", json_integer((json_int_t)ev->u.upload.size));
		break;
	case NT_EV_RETRACTED:
		set_str(o, "from", ev->u.retracted.from);
		set_str(o, "to", ev->u.retracted.to);
		set_str(o, "id", ev->u.retracted.id);
		break;
	}
}

char *event_json(const struct nt_event *ev)
{
	json_t *o = json_object();
	char *line;

	if (!o)
		return NULL;
	set_str(o, "event", kind_names[ev->kind]);
	timestamp(o);
	/* Which input line caused it (its number in headless mode): a script
	 * can tell the answers to two /version commands apart. */
	if (ev->origin)
		json_object_set_new(o, "origin", json_integer((json_int_t)ev->origin));
	fill(o, ev);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return line;
}
