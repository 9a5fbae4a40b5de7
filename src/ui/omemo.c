/* OMEMO in the terminal UI (omemo.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ui/omemo.h"
#include "ui/ui_internal.h"
#include "ui/window.h"
#include "util/log.h"

void ui_omemo_fingerprints(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.omemo_fingerprints) *f = &ev->u.omemo_fingerprints;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out) {
		log_error("ui: out of memory: fingerprints not shown");
		return;
	}
	fprintf(out, "OMEMO fingerprints of %s:", f->jid ? f->jid : "?");
	if (!f->count)
		fprintf(out, "\n  none known (no OMEMO device, or its keys could not be fetched)");
	for (size_t i = 0; i < f->count; i++) {
		const struct nt_omemo_device *d = &f->devices[i];
		const char *fp = d->fingerprint ? d->fingerprint : "?";
		size_t half = strlen(fp) > 35 ? 35 : strlen(fp);

		/* Four groups a line, as Conversations and Gajim show them, so
		 * two screens can be compared line by line. */
		fprintf(out, "\n  device %u%s, %s:\n    %.*s\n    %s", (unsigned)d->id,
		        d->own ? " (this natter)" : "", d->trust ? d->trust : "?", (int)half, fp,
		        fp[half] == ' ' ? fp + half + 1 : fp + half);
	}
	if (fclose(out) == 0 && buf)
		ui_cmd_reply(ui, ev->origin, false, buf);
	free(buf);
}

bool ui_omemo_on(struct ui *ui, const struct window *w)
{
	return ui->core && w && w->jid && core_chat_encryption(ui->core, w->jid);
}

const char *ui_omemo_tag(struct ui *ui, const struct nt_event *ev, const char *bare)
{
	const typeof(ev->u.message) *m = &ev->u.message;

	if (m->encrypted)
		return "[OMEMO] ";
	if (bare && m->type && strcmp(m->type, "error") && !m->outgoing && ui->core &&
	    core_chat_encryption(ui->core, bare))
		return "[unencrypted] ";
	return NULL;
}
