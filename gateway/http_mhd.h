/*
 * http_mhd.h - libmicrohttpd, loaded only when an [http] listener starts:
 * the table of the library functions the HTTP server calls, filled once by
 * dlopen and dlsym. A gateway without [http] listen never maps the library
 * nor what it pulls in (GnuTLS, nettle, gmp, p11-kit...): about 2.4 MB of
 * resident memory in every kazi process.
 * Owns: the library handle and http_mhd, the table. Never called by a
 * handler; only gateway/http_server.c and gateway/http_later.c call through
 * the table (tests may put stand-ins in it, see tests/web_request_fake.h).
 */
#ifndef KAZI_HTTP_MHD_H
#define KAZI_HTTP_MHD_H

#include <microhttpd.h>

#include "status.h"

/* The soname loaded: libmicrohttpd's ABI 12 (Debian's libmicrohttpd12). */
#define HTTP_MHD_SONAME "libmicrohttpd.so.12"

/* The functions used, each typed as <microhttpd.h> declares it. */
typedef struct http_mhd_table {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_get_connection_info) *get_connection_info;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_create_post_processor) *create_post_processor;
    __typeof__(MHD_post_process) *post_process;
    __typeof__(MHD_destroy_post_processor) *destroy_post_processor;
    __typeof__(MHD_suspend_connection) *suspend_connection;
    __typeof__(MHD_resume_connection) *resume_connection;
} http_mhd_table;

/*
 * The table. All NULL until http_mhd_load returns KZ_OK; never changed
 * after that (a unit test may set entries itself instead of loading).
 */
extern http_mhd_table http_mhd;

/*
 * Load libmicrohttpd and fill http_mhd, once per process; later calls (any
 * thread) return the first call's result. KZ_ERR_UNSUPPORTED when the
 * library or one of its functions is missing, with "[http] needs
 * libmicrohttpd (apt-get install libmicrohttpd12): <dlerror>" in err; the
 * table then stays empty. The library stays loaded until the process ends.
 */
kz_status http_mhd_load(kz_err *err);

#endif
