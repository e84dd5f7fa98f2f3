/*
 * dl_util.h - the dlopen/dlsym steps the run-time library loaders share
 * (modem/curl_lib.c, gateway/http_mhd.c): the first failure's reason kept in
 * the caller's buffer, each symbol looked up with that reason noted.
 * Owns nothing. Never logs, never loads anything itself.
 */
#ifndef KAZI_DL_UTIL_H
#define KAZI_DL_UTIL_H

#include <stddef.h>

/* Put dlerror()'s reason (or what, when there is none) in why[cap], unless a
 * reason is there already (the first failure is the one worth telling). */
void dl_util_note(const char *what, char *why, size_t cap);

/* name's address in lib, or NULL with the reason noted in why. */
void *dl_util_sym(void *lib, const char *name, char *why, size_t cap);

#endif
