/* Cloud-messaging traffic as one line per payload: what came (upstream
 * messages, receipts, the server's answers and control messages) and what
 * natter did (sent, acknowledged, held back).  A nack is shown as an error,
 * naming the service's error code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/fcmview.h"
#include "ui/ui_internal.h"

/* A payload's data is shown up to this many bytes (the service's own
 * limit is 4 KiB; a line should stay readable). */
#define DATA_SHOWN 400

static const char * or (const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static void show_payload(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.fcm) *f = &ev->u.fcm;
	const char *type = or (f->message_type, "?");
	bool nack = !strcmp(type, "nack");
	char *line = NULL, *data = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);

	if (!out)
		return;
	if (f->data) {
		size_t n = strlen(f->data);

		/* Cut on a UTF-8 boundary: the text is valid UTF-8 already. */
		if (n > DATA_SHOWN) {
			n = DATA_SHOWN;
			while (n && (f->data[n] & 0xc0) == 0x80)
				n--;
		}
		data = strndup(f->data, n);
		if (data && n < strlen(f->data)) {
			char *more = NULL;

			if (asprintf(&more, "%s …", data) >= 0) {
				free(data);
				data = more;
			}
		}
	}
	if (!strcmp(type, "control"))
		fprintf(out, "fcm control %s%s", or (f->control_type, "?"),
		        f->control_type && !strcmp(f->control_type, "CONNECTION_DRAINING")
		            ? ": the server drains this connection; natter opens a new one "
		              "and sends nothing more on this"
		            : "");
	else
		fprintf(out, "fcm %s %s", type, or (f->message_id, "(no message_id)"));
	if (f->from && strcmp(type, "control"))
		fprintf(out, " from %s", f->from);
	if (f->category)
		fprintf(out, " (%s)", f->category);
	if (nack)
		fprintf(out, ": %s%s%s", or (f->error, "no error given"),
		        f->error_description && *f->error_description ? ": " : "",
		        or (f->error_description, ""));
	if (f->registration_id)
		fprintf(out, "; the device's new registration id is %s", f->registration_id);
	if (data)
		fprintf(out, ": %s", data);
	if (fclose(out) == 0 && line)
		ui_cmd_reply(ui, ev->origin, nack, line);
	free(line);
	free(data);
}

void fcmview_show(struct ui *ui, const struct nt_event *ev)
{
	char *s = NULL;
	int rc = -1;

	switch (ev->kind) {
	case NT_EV_FCM:
		show_payload(ui, ev);
		return;
	case NT_EV_FCM_ACK_SENT:
		rc = asprintf(&s, "fcm ack sent for %s", or (ev->u.fcm_ack_sent.message_id, "?"));
		break;
	case NT_EV_FCM_SENT:
		rc = asprintf(&s, "fcm sent %s (%u unacknowledged)",
		              or (ev->u.fcm_sent.message_id, "?"), ev->u.fcm_sent.in_flight);
		break;
	case NT_EV_FCM_WAITING: {
		const char *r = or (ev->u.fcm_waiting.reason, "");
		const char *why = !strcmp(r, "window")     ? "100 messages are unacknowledged"
		                  : !strcmp(r, "draining") ? "a new connection is being made"
		                  : !strcmp(r, "offline")  ? "not connected"
		                  : !strcmp(r, "resend")
		                      ? "its connection ended unanswered; it goes again"
		                      : r;

		rc = asprintf(&s, "fcm %s waits: %s (%u waiting)",
		              or (ev->u.fcm_waiting.message_id, "?"), why,
		              ev->u.fcm_waiting.waiting);
		break;
	}
	default:
		return;
	}
	if (rc >= 0 && s)
		ui_cmd_reply(ui, ev->origin, false, s);
	free(s);
}
