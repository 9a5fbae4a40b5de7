/* The terminal UI's own commands (/win, /close, /clear, /theme, /pane). */
#ifndef NATTER_UI_UI_CMDS_H
#define NATTER_UI_UI_CMDS_H

struct core;
struct ui;

/* Adds the UI's table to the core's commands; 0 or -1 (ENOMEM). */
int ui_cmds_register(struct ui *ui, struct core *core);

#endif
