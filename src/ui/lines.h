/* Message lines that change after they are printed: corrections
 * (XEP-0308) and retractions (XEP-0424) in place, delivery marks
 * (XEP-0184 receipts and XEP-0333 markers: one check mark delivered, two
 * read), the link of a shared file (XEP-0066), /me lines (XEP-0245), and
 * the progress line of an upload (XEP-0363). */
#ifndef NATTER_UI_LINES_H
#define NATTER_UI_LINES_H

#include <stdbool.h>
#include <wchar.h>

#include "core/event.h"
#include "ui/window.h"

struct ui;

/* What a message line shows: the XHTML-IM rendering when it says
 * anything, else the body (of a /me line, what follows "/me "); a link
 * the message carries is underlined, on a line of its own when the body
 * says more than the link.  malloc'd *text and *attrs (NULL: plain), as
 * window_add_wide takes them; false on ENOMEM. */
bool lines_message_text(const char *body, const char *xhtml, bool action, const char *oob_url,
                        wchar_t **text, unsigned char **attrs);

/* A message that corrects an earlier one of w (own or not, as kind says):
 * its text takes that line's place, marked as edited.  false when the
 * line is not in w (the message is then printed as a new one). */
bool lines_correct(struct ui *ui, struct window *w, enum window_line_kind kind,
                   const struct nt_event *ev);

/* Events that change lines already printed. */
void lines_receipt(struct ui *ui, const struct nt_event *ev);
void lines_marker(struct ui *ui, const struct nt_event *ev);
void lines_retracted(struct ui *ui, const struct nt_event *ev);
void lines_upload(struct ui *ui, const struct nt_event *ev);
/* An error about an upload ("upload of PATH: ..."): its progress line says
 * it stopped. */
void lines_upload_failed(struct ui *ui, const char *text);

/* The newest own message of w that may still be corrected, or NULL. */
struct window_line *lines_last_own(struct window *w);

#endif
