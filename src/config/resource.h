/* The resource natter binds when the account names none (resource.c). */
#ifndef NATTER_CONFIG_RESOURCE_H
#define NATTER_CONFIG_RESOURCE_H

/* "natter." and a short random suffix, made on first use and kept in the
 * account's data directory ($XDG_DATA_HOME/natter/<bare jid>/resource), so
 * every login of this installation binds the same resource (resumption,
 * carbons and contacts' locks stay with it) while a second installation on
 * the same account gets another one instead of kicking the first off.
 * malloc'd, or NULL with a malloc'd *err. */
char *resource_for_installation(const char *bare_jid, char **err);

#endif
