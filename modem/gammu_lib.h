/*
 * gammu_lib.h - the libgammu functions the gammu driver (modem/modem_gammu*.c)
 * calls, as a table filled at run time: kazi does not link libgammu, so a
 * daemon whose modems all use the AT driver never maps it (with glib, pcre2,
 * libbluetooth, libusb and libudev it costs some 1.4 MB of resident memory).
 * Owns the library handle, opened once per process and never closed. Never
 * logs; never loads anything unless a caller asks for the table.
 * The types come from <gammu.h> (headers only: pkg-config --cflags gammu).
 */
#ifndef KAZI_GAMMU_LIB_H
#define KAZI_GAMMU_LIB_H

#include <gammu.h>

#include "status.h"

/* The library's run-time name (Debian's libgammu8). */
#define GAMMU_LIB_SONAME "libGammu.so.8"

/* One pointer per libgammu function the driver calls, named as in <gammu.h>;
 * every one is set in a table that gammu_lib_load returned. */
typedef struct gammu_lib {
    GSM_StateMachine *(*GSM_AllocStateMachine)(void);
    void (*GSM_FreeStateMachine)(GSM_StateMachine *s);
    GSM_Config *(*GSM_GetConfig)(GSM_StateMachine *s, int num);
    void (*GSM_SetConfigNum)(GSM_StateMachine *s, int sections);
    GSM_Debug_Info *(*GSM_GetDebug)(GSM_StateMachine *s);
    const char *(*GSM_ErrorString)(GSM_Error e);

    GSM_Error (*GSM_InitConnection)(GSM_StateMachine *s, int reply_num);
    GSM_Error (*GSM_TerminateConnection)(GSM_StateMachine *s);
    /* exported by libGammu (libgammu/gsmstate.c) but missing from its headers:
     * closes protocol and device without the phone layer's goodbye */
    GSM_Error (*GSM_CloseConnection)(GSM_StateMachine *s);
    gboolean (*GSM_IsConnected)(GSM_StateMachine *s);
    GSM_Error (*GSM_AbortOperation)(GSM_StateMachine *s);
    int (*GSM_ReadDevice)(GSM_StateMachine *s, gboolean wait_for_reply);

    GSM_Error (*GSM_GetManufacturer)(GSM_StateMachine *s, char *value);
    GSM_Error (*GSM_GetModel)(GSM_StateMachine *s, char *value);
    GSM_Error (*GSM_GetFirmware)(GSM_StateMachine *s, char *value, char *date, double *num);
    GSM_Error (*GSM_GetIMEI)(GSM_StateMachine *s, char *value);
    GSM_Error (*GSM_GetSIMIMSI)(GSM_StateMachine *s, char *imsi);
    GSM_Error (*GSM_GetSMSC)(GSM_StateMachine *s, GSM_SMSC *smsc);
    GSM_Error (*GSM_GetSecurityStatus)(GSM_StateMachine *s, GSM_SecurityCodeType *status);
    GSM_Error (*GSM_EnterSecurityCode)(GSM_StateMachine *s, GSM_SecurityCode *code);
    GSM_Error (*GSM_GetSignalQuality)(GSM_StateMachine *s, GSM_SignalQuality *sig);
    GSM_Error (*GSM_GetNetworkInfo)(GSM_StateMachine *s, GSM_NetworkInfo *netinfo);
    GSM_Error (*GSM_GetSMSStatus)(GSM_StateMachine *s, GSM_SMSMemoryStatus *status);

    GSM_Error (*GSM_SetIncomingSMS)(GSM_StateMachine *s, gboolean enable);
    GSM_Error (*GSM_SetIncomingUSSD)(GSM_StateMachine *s, gboolean enable);
    void (*GSM_SetIncomingSMSCallback)(GSM_StateMachine *s, IncomingSMSCallback callback,
                                       void *user_data);
    void (*GSM_SetIncomingUSSDCallback)(GSM_StateMachine *s, IncomingUSSDCallback callback,
                                        void *user_data);
    void (*GSM_SetSendSMSStatusCallback)(GSM_StateMachine *s, SendSMSStatusCallback callback,
                                         void *user_data);

    GSM_Error (*GSM_GetNextSMS)(GSM_StateMachine *s, GSM_MultiSMSMessage *sms, gboolean start);
    GSM_Error (*GSM_DeleteSMS)(GSM_StateMachine *s, GSM_SMSMessage *sms);
    GSM_Error (*GSM_SendSMS)(GSM_StateMachine *s, GSM_SMSMessage *sms);
    GSM_Error (*GSM_DecodePDUFrame)(GSM_Debug_Info *di, GSM_SMSMessage *sms,
                                    const unsigned char *buffer, size_t length,
                                    size_t *final_pos, gboolean smsc);
    GSM_Error (*GSM_DialService)(GSM_StateMachine *s, char *number);
} gammu_lib;

/*
 * The table for GAMMU_LIB_SONAME, loaded on the first call (dlopen with
 * RTLD_NOW | RTLD_LOCAL, then one dlsym per function) and shared by every
 * later call from any thread; a library already in the process (linked by a
 * test) is found again, not loaded twice. Returns the table, valid until the
 * process exits, or NULL with err set (KZ_ERR_NOTFOUND): "driver = gammu needs
 * libgammu (apt-get install libgammu8): " and the loader's reason. A failure
 * is final for the process, like a success.
 */
const gammu_lib *gammu_lib_load(kz_err *err);

/*
 * Fill *out from the library named soname, uncached: what gammu_lib_load does
 * once, open to tests (a missing library, one without the functions). On
 * success the library stays open for good; on failure nothing stays open and
 * *out is undefined. KZ_ERR_NOTFOUND with err set as for gammu_lib_load.
 */
kz_status gammu_lib_open(const char *soname, gammu_lib *out, kz_err *err);

#endif
