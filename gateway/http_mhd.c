/*
 * http_mhd.c - loads libmicrohttpd at run time (http_mhd.h): dlopen of its
 * soname, then dlsym of each function the HTTP server calls, once per
 * process under pthread_once, before any listener thread exists.
 * Owns: the table http_mhd and the outcome of the one load. Never unloads the
 * library (listener threads run its code until the process ends) and never
 * logs: the caller says why [http] cannot start.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "dl_util.h"
#include "http_mhd.h"

http_mhd_table http_mhd;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static kz_status load_status;
static char load_msg[sizeof ((kz_err *)0)->msg]; /* why the load failed */

/* name's address in lib, or NULL (the reason noted). */
static void *sym(void *lib, const char *name)
{
    return dl_util_sym(lib, name, load_msg, sizeof load_msg);
}

static void load(void)
{
    void *lib = dlopen(HTTP_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        dl_util_note(HTTP_MHD_SONAME, load_msg, sizeof load_msg);
        load_status = KZ_ERR_UNSUPPORTED;
        return;
    }
    http_mhd_table t;
    t.start_daemon = sym(lib, "MHD_start_daemon");
    t.stop_daemon = sym(lib, "MHD_stop_daemon");
    t.lookup_connection_value = sym(lib, "MHD_lookup_connection_value");
    t.get_connection_info = sym(lib, "MHD_get_connection_info");
    t.create_response_from_buffer = sym(lib, "MHD_create_response_from_buffer");
    t.add_response_header = sym(lib, "MHD_add_response_header");
    t.queue_response = sym(lib, "MHD_queue_response");
    t.destroy_response = sym(lib, "MHD_destroy_response");
    t.create_post_processor = sym(lib, "MHD_create_post_processor");
    t.post_process = sym(lib, "MHD_post_process");
    t.destroy_post_processor = sym(lib, "MHD_destroy_post_processor");
    t.suspend_connection = sym(lib, "MHD_suspend_connection");
    t.resume_connection = sym(lib, "MHD_resume_connection");
    if (load_msg[0]) { /* a function missing: a library too old or not libmicrohttpd */
        dlclose(lib);
        load_status = KZ_ERR_UNSUPPORTED;
        return;
    }
    http_mhd = t;
    load_status = KZ_OK;
}

kz_status http_mhd_load(kz_err *err)
{
    pthread_once(&load_once, load);
    if (load_status == KZ_OK)
        return KZ_OK;
    return kz_err_set(err, load_status, KZ_NO_OFFSET,
                      "[http] needs libmicrohttpd (apt-get install libmicrohttpd12): %s",
                      load_msg);
}
