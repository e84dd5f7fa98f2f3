/*
 * ussd_http.h - what `kazi serve` asks of the USSD callback (POST /ussd,
 * gateway/ussd_http.c) beside its handler (http_server.h): whether [http]
 * ussd_secret and ussd_allow let anything in.
 * Owns: the syntax of ussd_allow ("ADDR" or "ADDR/BITS", IPv4 or IPv6,
 * comma-separated). Never logs.
 */
#ifndef KAZI_USSD_HTTP_H
#define KAZI_USSD_HTTP_H

#include "config.h"
#include "status.h"

/*
 * Check the USSD callback's settings in cfg. KZ_OK: /ussd will answer
 * callbacks that pass them. KZ_ERR_INVALID: an ussd_allow entry is not an
 * address or network (err names it). KZ_ERR_STATE: neither ussd_secret nor
 * ussd_allow is set, so /ussd refuses every request with 403 (err says so;
 * the daemon logs it when the listener starts).
 */
kz_status ussd_http_check(const kz_config *cfg, kz_err *err);

#endif
