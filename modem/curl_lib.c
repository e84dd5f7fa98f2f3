/*
 * curl_lib.c - loads libcurl at run time (curl_lib.h): dlopen of its soname,
 * dlsym of each function the kannel driver calls, then curl_global_init,
 * once per process under pthread_once.
 * Owns the table and the outcome of the one load. Never unloads the library
 * (worker threads run its code until the process ends) and never logs: the
 * caller says why the modem cannot start.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "curl_lib.h"
#include "dl_util.h"

static curl_lib table;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_msg[sizeof ((kz_err *)0)->msg]; /* why the load failed */

static void *sym(void *lib, const char *name)
{
    return dl_util_sym(lib, name, load_msg, sizeof load_msg);
}

static void load(void)
{
    void *lib = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        dl_util_note(CURL_LIB_SONAME, load_msg, sizeof load_msg);
        return;
    }
    curl_lib t;
    t.global_init = sym(lib, "curl_global_init");
    t.easy_init = sym(lib, "curl_easy_init");
    t.easy_setopt = sym(lib, "curl_easy_setopt");
    t.easy_perform = sym(lib, "curl_easy_perform");
    t.easy_getinfo = sym(lib, "curl_easy_getinfo");
    t.easy_cleanup = sym(lib, "curl_easy_cleanup");
    t.easy_escape = sym(lib, "curl_easy_escape");
    t.easy_strerror = sym(lib, "curl_easy_strerror");
    t.free = sym(lib, "curl_free");
    t.multi_init = sym(lib, "curl_multi_init");
    t.multi_setopt = sym(lib, "curl_multi_setopt");
    t.multi_add_handle = sym(lib, "curl_multi_add_handle");
    t.multi_remove_handle = sym(lib, "curl_multi_remove_handle");
    t.multi_perform = sym(lib, "curl_multi_perform");
    t.multi_poll = sym(lib, "curl_multi_poll"); /* libcurl 7.66 and later */
    t.multi_info_read = sym(lib, "curl_multi_info_read");
    t.multi_cleanup = sym(lib, "curl_multi_cleanup");
    t.multi_strerror = sym(lib, "curl_multi_strerror");
    if (load_msg[0]) { /* a function missing: not the libcurl we know */
        dlclose(lib);
        return;
    }
    if (t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_msg, sizeof load_msg, "curl_global_init failed");
        return; /* left loaded: curl_global_init may have started something */
    }
    table = t;
    loaded = true;
}

const curl_lib *curl_lib_load(kz_err *err)
{
    pthread_once(&load_once, load);
    if (loaded)
        return &table;
    kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET,
               "driver = kannel needs libcurl (apt-get install libcurl4): %s", load_msg);
    return NULL;
}
