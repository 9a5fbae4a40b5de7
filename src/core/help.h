/* /help (help.c). */
#ifndef NATTER_CORE_HELP_H
#define NATTER_CORE_HELP_H

#include "core/module.h"

extern const struct core_module help_module;

#endif
