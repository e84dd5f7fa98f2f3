/*
 * test_gammu_lib.c - the run-time table of libgammu functions (modem/gammu_lib.h)
 * against libgammu linked the ordinary way: every pointer type in the table is
 * checked by the compiler against <gammu.h> (assigning the linked functions),
 * the loaded table holds those very functions, the first load is shared by
 * threads racing for it, and a missing library or function gives the message
 * that names the package. Owns nothing; never writes files or opens a device.
 */
#include <gammu.h>

#include <pthread.h>
#include <string.h>

#include "gammu_lib.h"
#include "harness.h"

/* Exported by libGammu (libgammu/gsmstate.c) but missing from its headers. */
GSM_Error GSM_CloseConnection(GSM_StateMachine *s);

#define HINT "driver = gammu needs libgammu (apt-get install libgammu8): "
#define RACERS 4

/* The table as the linker fills it: a type that differs from <gammu.h> does
 * not compile without a warning (and the cross build makes that an error). */
static void linked_table(gammu_lib *t)
{
    t->GSM_AllocStateMachine = GSM_AllocStateMachine;
    t->GSM_FreeStateMachine = GSM_FreeStateMachine;
    t->GSM_GetConfig = GSM_GetConfig;
    t->GSM_SetConfigNum = GSM_SetConfigNum;
    t->GSM_GetDebug = GSM_GetDebug;
    t->GSM_ErrorString = GSM_ErrorString;
    t->GSM_InitConnection = GSM_InitConnection;
    t->GSM_TerminateConnection = GSM_TerminateConnection;
    t->GSM_CloseConnection = GSM_CloseConnection;
    t->GSM_IsConnected = GSM_IsConnected;
    t->GSM_AbortOperation = GSM_AbortOperation;
    t->GSM_ReadDevice = GSM_ReadDevice;
    t->GSM_GetManufacturer = GSM_GetManufacturer;
    t->GSM_GetModel = GSM_GetModel;
    t->GSM_GetFirmware = GSM_GetFirmware;
    t->GSM_GetIMEI = GSM_GetIMEI;
    t->GSM_GetSIMIMSI = GSM_GetSIMIMSI;
    t->GSM_GetSMSC = GSM_GetSMSC;
    t->GSM_GetSecurityStatus = GSM_GetSecurityStatus;
    t->GSM_EnterSecurityCode = GSM_EnterSecurityCode;
    t->GSM_GetSignalQuality = GSM_GetSignalQuality;
    t->GSM_GetNetworkInfo = GSM_GetNetworkInfo;
    t->GSM_GetSMSStatus = GSM_GetSMSStatus;
    t->GSM_SetIncomingSMS = GSM_SetIncomingSMS;
    t->GSM_SetIncomingUSSD = GSM_SetIncomingUSSD;
    t->GSM_SetIncomingSMSCallback = GSM_SetIncomingSMSCallback;
    t->GSM_SetIncomingUSSDCallback = GSM_SetIncomingUSSDCallback;
    t->GSM_SetSendSMSStatusCallback = GSM_SetSendSMSStatusCallback;
    t->GSM_GetNextSMS = GSM_GetNextSMS;
    t->GSM_DeleteSMS = GSM_DeleteSMS;
    t->GSM_SendSMS = GSM_SendSMS;
    t->GSM_DecodePDUFrame = GSM_DecodePDUFrame;
    t->GSM_DialService = GSM_DialService;
}

static void *racer(void *arg)
{
    const gammu_lib **out = arg;
    *out = gammu_lib_load(NULL);
    return NULL;
}

/* The first load, from several threads at once: one table for all. */
static void test_first_load_shared(void)
{
    pthread_t th[RACERS];
    const gammu_lib *got[RACERS] = {0};
    int started = 0;
    for (int i = 0; i < RACERS; i++)
        if (pthread_create(&th[i], NULL, racer, &got[i]) == 0)
            started++;
    KT_CHECK(started == RACERS, "%d of %d threads started", started, RACERS);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < started; i++)
        KT_CHECK(got[i] && got[i] == got[0], "thread %d got table %p, thread 0 %p", i,
                 (const void *)got[i], (const void *)got[0]);
}

static void test_table_is_libgammu(void)
{
    kz_err err;
    kz_err_clear(&err);
    const gammu_lib *gl = gammu_lib_load(&err);
    KT_CHECK(gl != NULL, "load: %s", err.msg);
    if (!gl)
        return;
    KT_CHECK(err.status == KZ_OK, "a successful load leaves err alone (%s)", err.msg);
    KT_CHECK(gammu_lib_load(NULL) == gl, "a second load returns the same table");

    gammu_lib linked;
    linked_table(&linked);
    KT_CHECK(memcmp(&linked, gl, sizeof linked) == 0,
             "the loaded table holds the functions the linker found");

    KT_STREQ(gl->GSM_ErrorString(ERR_TIMEOUT), GSM_ErrorString(ERR_TIMEOUT), "ErrorString");
    GSM_StateMachine *sm = gl->GSM_AllocStateMachine();
    KT_CHECK(sm != NULL, "a state machine through the table");
    if (!sm)
        return;
    KT_CHECK(gl->GSM_GetConfig(sm, 0) != NULL, "its first configuration section");
    KT_CHECK(!gl->GSM_IsConnected(sm), "not connected before InitConnection");
    gl->GSM_FreeStateMachine(sm);
}

static void test_missing_library(void)
{
    gammu_lib t;
    kz_err err;
    kz_err_clear(&err);
    kz_status st = gammu_lib_open("libkazi-no-such-library.so.0", &t, &err);
    KT_CHECK(st == KZ_ERR_NOTFOUND, "missing library: status %d", (int)st);
    KT_CHECK(strncmp(err.msg, HINT, strlen(HINT)) == 0, "names the package: %s", err.msg);
    KT_CHECK(strstr(err.msg, "libkazi-no-such-library.so.0") != NULL,
             "gives the loader's reason: %s", err.msg);
}

/* A library that loads but lacks the functions (the C maths library). */
static void test_missing_function(void)
{
    gammu_lib t;
    kz_err err;
    kz_err_clear(&err);
    kz_status st = gammu_lib_open("libm.so.6", &t, &err);
    KT_CHECK(st == KZ_ERR_NOTFOUND, "library without libgammu's functions: status %d", (int)st);
    KT_CHECK(strncmp(err.msg, HINT, strlen(HINT)) == 0, "names the package: %s", err.msg);
    KT_CHECK(strstr(err.msg, "GSM_AllocStateMachine") != NULL, "names the function: %s",
             err.msg);
}

int main(void)
{
    test_first_load_shared(); /* first: nothing loaded through the table yet */
    test_table_is_libgammu();
    test_missing_library();
    test_missing_function();
    return kt_report();
}
