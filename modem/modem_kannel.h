/*
 * modem_kannel.h - the inbound side of the kannel driver (driver = kannel),
 * for the daemon's HTTP handlers: smsbox calls our sms-service URL for each
 * inbound message and our dlr-url for each delivery report; the handler hands
 * the message to the kannel modem of that name with a completion and returns
 * (no thread waits). The modem's owner loop runs on_sms / on_status_report
 * (with the group commit of modem_sms_held) and then calls the completion,
 * so the handler's answer is 200 only after the row is committed and
 * anything else (not stored, modem gone) makes Kannel retry. Callable from
 * any thread.
 * Owns the registry of running kannel modems (by name). Never logs.
 */
#ifndef KAZI_MODEM_KANNEL_H
#define KAZI_MODEM_KANNEL_H

#include <stdint.h>

#include "kannel_map.h"
#include "status.h"

/*
 * How a hand-over ended: KZ_OK committed; KZ_ERR_INVALID / KZ_ERR_UTF8 /
 * KZ_ERR_RANGE it can never be stored; anything else not stored now (the
 * same request again is safe: the inbox dedupes on Kannel's message id).
 * why names the modem and the reason (no text, no secret), "" for KZ_OK.
 * Called exactly once per hand-over that returned KZ_OK, on the daemon's
 * loop thread or the thread stopping the modem, possibly before the
 * hand-over returned; it must not call into this file.
 */
typedef void (*kannel_done_fn)(void *ctx, kz_status verdict, const char *why);

/*
 * Hand an inbound message to the kannel modem `name`; done(ctx, ...) tells
 * how it ended. KZ_OK: handed over. Otherwise done is never called:
 * KZ_ERR_INVALID / KZ_ERR_UTF8 / KZ_ERR_RANGE it can never be stored (err
 * says why), KZ_ERR_NOTFOUND no kannel modem of that name runs,
 * KZ_ERR_NOMEM.
 */
kz_status modem_kannel_mo(const char *name, const kannel_mo *mo, kannel_done_fn done, void *ctx,
                          kz_err *err);

/*
 * Hand a delivery report (dlr-url: our send_id, Kannel's %d type, the
 * recipient or NULL) to the kannel modem `name`; same completion and
 * statuses. KZ_ERR_INVALID for a type kannel_dlr_status does not know.
 */
kz_status modem_kannel_dlr(const char *name, uint64_t send_id, long type, const char *to,
                           kannel_done_fn done, void *ctx, kz_err *err);

#endif
