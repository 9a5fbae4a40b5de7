/* The core's modules, in the order they start.  Login hooks run in this
 * order too, so it says what a fresh session asks for first; stopping
 * walks it backwards. */
#include "config.h"

#include "core/autoaway.h"
#include "core/action.h"
#include "core/blocking.h"
#include "core/bookmarks.h"
#include "core/carbons.h"
#include "core/chat.h"
#include "core/connection.h"
#include "core/correct.h"
#include "core/csi.h"
#include "core/disco.h"
#include "core/fcm.h"
#include "core/help.h"
#include "core/history.h"
#include "core/ibr.h"
#include "core/info.h"
#include "core/links.h"
#include "core/mam.h"
#include "core/markers.h"
#include "core/omemo.h"
#include "core/options.h"
#include "core/message.h"
#include "core/module.h"
#include "core/muc.h"
#include "core/presence.h"
#include "core/pubsub.h"
#include "core/replies.h"
#include "core/retract.h"
#include "core/roster.h"
#include "core/subscription.h"
#include "core/upload.h"
#include "core/vcard.h"

const struct core_module *const core_modules[] = {
    &connection_module,
    /* The store: the roster's and the caps' caches are read from it. */
    &history_module,
    &disco_module,
    /* At login: the roster first (its answer is what the UI shows), then
     * carbons, then the archive catch-up before our presence, so that
     * Prosody hands over offline messages through the archive only. */
    &roster_module,
    &subscription_module,
    &info_module,
    /* Its guard keeps what blocked JIDs send from every handler; its list
     * is asked for before the archive and presence bring their words. */
    &blocking_module,
    &carbons_module,
    &mam_module,
    &chat_module,
    /* What rides along with messages: their decorate hooks add, in this
     * order, to every chat we send, and their receive hooks see every
     * message that comes in before chat.c records it. */
    &message_module,
    &correct_module,
    &retract_module,
    &markers_module,
    &links_module,
    &action_module,
    &upload_module,
    /* After the archive catch-up is asked for: our device list and
     * bundle are checked and published before contacts see us online. */
    &omemo_module,
    &replies_module,
    &vcard_module,
    &pubsub_module,
    &ibr_module,
    /* A cloud-messaging connection (fcm = true) starts with this alone. */
    &fcm_module,
    &options_module,
    &help_module,
    /* An inactive terminal says so before our presence brings the
     * contacts' presence in. */
    &csi_module,
    /* The initial presence goes out once the rest is asked for. */
    &presence_module,
    /* Idleness sets our presence through presence.c. */
    &autoaway_module,
    /* Then the rooms: a fresh session joins again those we were in, and
     * the bookmarks (asked for after the roster, answered later) join
     * their autojoin rooms.  Their guards see a room's presence and
     * groupchat messages before the presence and chat modules would take
     * them for a contact's; their archive results come after our own
     * archive's (mam.c passes on what is not from our account). */
    &muc_module,
    &muc_message_module,
    &muc_admin_module,
    &bookmarks_module,
};

const size_t core_nmodules = COUNT(core_modules);
