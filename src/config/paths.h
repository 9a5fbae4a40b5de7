/* Where natter keeps its files (XDG base directories). */
#ifndef NATTER_CONFIG_PATHS_H
#define NATTER_CONFIG_PATHS_H

/* All return malloc'd paths, or NULL on ENOMEM or when neither the XDG
 * variable nor HOME is set. */
char *paths_config_dir(void);               /* $XDG_CONFIG_HOME/natter */
char *paths_accounts_file(void);            /* .../natter/accounts */
char *paths_settings_file(void);            /* .../natter/natterrc */
char *paths_data_dir(const char *bare_jid); /* $XDG_DATA_HOME/natter/<bare jid> */

/* mkdir -p with mode 0700 for every directory it creates; 0 or -1 (errno). */
int paths_mkdir_private(const char *dir);

#endif
