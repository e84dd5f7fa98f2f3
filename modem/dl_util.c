/*
 * dl_util.c - dlsym with its failure noted (dl_util.h).
 * Owns nothing. Never logs.
 */
#include "dl_util.h"

#include <dlfcn.h>
#include <stdio.h>

void dl_util_note(const char *what, char *why, size_t cap)
{
    if (why[0])
        return;
    const char *e = dlerror();
    snprintf(why, cap, "%s", e ? e : what);
}

void *dl_util_sym(void *lib, const char *name, char *why, size_t cap)
{
    dlerror();
    void *p = dlsym(lib, name);
    if (!p)
        dl_util_note(name, why, cap);
    return p;
}
