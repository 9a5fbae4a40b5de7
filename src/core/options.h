/* /set (options.c). */
#ifndef NATTER_CORE_OPTIONS_H
#define NATTER_CORE_OPTIONS_H

#include "core/module.h"

extern const struct core_module options_module;

#endif
