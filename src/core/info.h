/* /info (info.c). */
#ifndef NATTER_CORE_INFO_H
#define NATTER_CORE_INFO_H

#include "core/module.h"

extern const struct core_module info_module;

#endif
