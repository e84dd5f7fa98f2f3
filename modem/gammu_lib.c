/*
 * gammu_lib.c - loads libgammu at run time for the gammu driver and fills the
 * table of its functions (gammu_lib.h): one dlopen per process, under
 * pthread_once, the first time a modem with driver = gammu starts.
 * Owns the library handle and the process's one table (never unloaded: the
 * driver's threads may hold its pointers until exit). Never logs, never
 * retries a failed load, and is never called by the AT driver.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "gammu_lib.h"

#define GAMMU_LIB_HINT "driver = gammu needs libgammu (apt-get install libgammu8)"

/* A table entry is set from dlsym's object pointer by copying its bytes, which
 * POSIX allows (dlsym's own contract) and ISO C has no cast for. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym results must fit a function pointer");

typedef struct gammu_sym {
    const char *name;
    size_t offset; /* of its pointer in gammu_lib */
} gammu_sym;

#define GAMMU_SYM(fn) { #fn, offsetof(gammu_lib, fn) }

/* Every pointer in gammu_lib, once (test_gammu_lib checks the count). */
static const gammu_sym SYMS[] = {
    GAMMU_SYM(GSM_AllocStateMachine),
    GAMMU_SYM(GSM_FreeStateMachine),
    GAMMU_SYM(GSM_GetConfig),
    GAMMU_SYM(GSM_SetConfigNum),
    GAMMU_SYM(GSM_GetDebug),
    GAMMU_SYM(GSM_ErrorString),
    GAMMU_SYM(GSM_InitConnection),
    GAMMU_SYM(GSM_TerminateConnection),
    GAMMU_SYM(GSM_CloseConnection),
    GAMMU_SYM(GSM_IsConnected),
    GAMMU_SYM(GSM_AbortOperation),
    GAMMU_SYM(GSM_ReadDevice),
    GAMMU_SYM(GSM_GetManufacturer),
    GAMMU_SYM(GSM_GetModel),
    GAMMU_SYM(GSM_GetFirmware),
    GAMMU_SYM(GSM_GetIMEI),
    GAMMU_SYM(GSM_GetSIMIMSI),
    GAMMU_SYM(GSM_GetSMSC),
    GAMMU_SYM(GSM_GetSecurityStatus),
    GAMMU_SYM(GSM_EnterSecurityCode),
    GAMMU_SYM(GSM_GetSignalQuality),
    GAMMU_SYM(GSM_GetNetworkInfo),
    GAMMU_SYM(GSM_GetSMSStatus),
    GAMMU_SYM(GSM_SetIncomingSMS),
    GAMMU_SYM(GSM_SetIncomingUSSD),
    GAMMU_SYM(GSM_SetIncomingSMSCallback),
    GAMMU_SYM(GSM_SetIncomingUSSDCallback),
    GAMMU_SYM(GSM_SetSendSMSStatusCallback),
    GAMMU_SYM(GSM_GetNextSMS),
    GAMMU_SYM(GSM_DeleteSMS),
    GAMMU_SYM(GSM_SendSMS),
    GAMMU_SYM(GSM_DecodePDUFrame),
    GAMMU_SYM(GSM_DialService),
};

/* Every member of gammu_lib is one function pointer listed in SYMS. */
_Static_assert(sizeof(SYMS) / sizeof(SYMS[0]) * sizeof(void (*)(void)) == sizeof(gammu_lib),
               "SYMS must list every gammu_lib member");

kz_status gammu_lib_open(const char *soname, gammu_lib *out, kz_err *err)
{
    dlerror(); /* clear a stale message */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: %s", GAMMU_LIB_HINT,
                          why ? why : soname);
    }
    for (size_t i = 0; i < sizeof SYMS / sizeof SYMS[0]; i++) {
        dlerror();
        void *p = dlsym(h, SYMS[i].name);
        if (!p) {
            const char *why = dlerror();
            kz_status st = why ? kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: %s",
                                            GAMMU_LIB_HINT, why)
                               : kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET, "%s: %s: no %s",
                                            GAMMU_LIB_HINT, soname, SYMS[i].name);
            dlclose(h);
            return st;
        }
        memcpy((char *)out + SYMS[i].offset, &p, sizeof p);
    }
    return KZ_OK; /* h stays open: the table points into it */
}

/* The process's one load, written by load_once only (pthread_once orders it
 * before every reader). */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static gammu_lib lib;
static kz_err lib_err;
static kz_status lib_status;

static void load_once(void)
{
    kz_err_clear(&lib_err);
    lib_status = gammu_lib_open(GAMMU_LIB_SONAME, &lib, &lib_err);
}

const gammu_lib *gammu_lib_load(kz_err *err)
{
    pthread_once(&lib_once, load_once);
    if (lib_status == KZ_OK)
        return &lib;
    if (err)
        *err = lib_err;
    return NULL;
}
