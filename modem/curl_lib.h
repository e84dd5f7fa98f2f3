/*
 * curl_lib.h - the libcurl functions the kannel driver (modem/modem_kannel*.c)
 * calls, as a table filled at run time: kazi does not link libcurl, so a
 * daemon without a driver = kannel modem never maps it (nor the TLS, SSH,
 * LDAP, IDN and HTTP/2 libraries it pulls in).
 * Owns the library handle, opened once per process and never closed. Never
 * logs; never loads anything unless a caller asks for the table.
 * The types come from <curl/curl.h> (headers only: pkg-config --cflags libcurl).
 */
#ifndef KAZI_CURL_LIB_H
#define KAZI_CURL_LIB_H

#include <curl/curl.h>

#include "status.h"

/* The library's run-time name (Debian's libcurl4). */
#define CURL_LIB_SONAME "libcurl.so.4"

/* One pointer per libcurl function the driver calls, typed as <curl/curl.h>
 * declares it; every one is set in a table that curl_lib_load returned. */
typedef struct curl_lib {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_escape) *easy_escape;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_free) *free;
    /* the multi interface: several sendsms requests in flight on one thread */
    __typeof__(curl_multi_init) *multi_init;
    __typeof__(curl_multi_setopt) *multi_setopt;
    __typeof__(curl_multi_add_handle) *multi_add_handle;
    __typeof__(curl_multi_remove_handle) *multi_remove_handle;
    __typeof__(curl_multi_perform) *multi_perform;
    __typeof__(curl_multi_poll) *multi_poll;
    __typeof__(curl_multi_info_read) *multi_info_read;
    __typeof__(curl_multi_cleanup) *multi_cleanup;
    __typeof__(curl_multi_strerror) *multi_strerror;
} curl_lib;

/*
 * Load libcurl once per process (any thread; later calls return the first
 * call's result) and run curl_global_init. NULL when the library or one of
 * its functions is missing, with "driver = kannel needs libcurl (apt-get
 * install libcurl4): <dlerror>" in err.
 */
const curl_lib *curl_lib_load(kz_err *err);

#endif
