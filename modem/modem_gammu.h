/*
 * modem_gammu.h - the libgammu backend (driver = gammu) as modem.c and
 * modem_ussd.c see it: one entry point per public modem_* function that
 * differs from the AT driver. Sends are queued by modem_send_pdu (modem_tx.c)
 * exactly as for the AT driver; this backend takes them from that queue.
 * Owns nothing itself; the state lives in struct modem_gammu
 * (modem_gammu_internal.h). Private to modem/modem*.c.
 */
#ifndef KAZI_MODEM_GAMMU_H
#define KAZI_MODEM_GAMMU_H

#include <stdint.h>

#include "modem_internal.h"

/* Create the backend of m (m->cfg, m->name, m->path, m->pin already set) and
 * start its worker thread; the first call loads libgammu (gammu_lib.h).
 * KZ_ERR_NOTFOUND when libgammu cannot be loaded (the message names the
 * modem, its port and the package), KZ_ERR_NOMEM / KZ_ERR_IO, with err filled. */
kz_status modem_gammu_start(modem *m, kz_err *err);
/* Stop the worker (aborting what it waits for), close the device, free. */
void modem_gammu_stop(modem *m);

int modem_gammu_fd(const modem *m);
short modem_gammu_poll_events(const modem *m);
kz_status modem_gammu_on_io(modem *m, short revents);
kz_status modem_gammu_tick(modem *m);
int64_t modem_gammu_deadline(const modem *m);
void modem_gammu_restart(modem *m);

/* USSD transport only: modem_ussd.c keeps the session (checks, open, id) for both
 * drivers. Send a code or an answer (KZ_ERR_INVALID if it cannot be encoded); cancel. */
kz_status modem_gammu_ussd_send(modem *m, uint64_t session_id, const char *text);
void modem_gammu_ussd_cancel(modem *m, uint64_t session_id);

#endif
