/*
 * pq_lib.c - loads libpq at run time (pq_lib.h): dlopen of its soname and
 * dlsym of each function the PostgreSQL backend calls, once per process
 * under pthread_once.
 * Owns the table and the outcome of the one load. Never unloads the library
 * (connections may outlive any one caller) and never logs: the caller says
 * why the store cannot open.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "dl_util.h"
#include "pq_lib.h"

static pq_lib table;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_msg[sizeof ((kz_err *)0)->msg]; /* why the load failed */

static void *sym(void *lib, const char *name)
{
    return dl_util_sym(lib, name, load_msg, sizeof load_msg);
}

static void load(void)
{
    void *lib = dlopen(PQ_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        dl_util_note(PQ_LIB_SONAME, load_msg, sizeof load_msg);
        return;
    }
    pq_lib t;
    t.connectdb = sym(lib, "PQconnectdb");
    t.connectdbParams = sym(lib, "PQconnectdbParams");
    t.reset = sym(lib, "PQreset");
    t.status = sym(lib, "PQstatus");
    t.errorMessage = sym(lib, "PQerrorMessage");
    t.finish = sym(lib, "PQfinish");
    t.prepare = sym(lib, "PQprepare");
    t.execPrepared = sym(lib, "PQexecPrepared");
    t.exec = sym(lib, "PQexec");
    t.execParams = sym(lib, "PQexecParams");
    t.resultStatus = sym(lib, "PQresultStatus");
    t.resultErrorField = sym(lib, "PQresultErrorField");
    t.resultErrorMessage = sym(lib, "PQresultErrorMessage");
    t.clear = sym(lib, "PQclear");
    t.ntuples = sym(lib, "PQntuples");
    t.nfields = sym(lib, "PQnfields");
    t.getvalue = sym(lib, "PQgetvalue");
    t.getlength = sym(lib, "PQgetlength");
    t.getisnull = sym(lib, "PQgetisnull");
    t.ftype = sym(lib, "PQftype");
    t.cmdStatus = sym(lib, "PQcmdStatus");
    t.cmdTuples = sym(lib, "PQcmdTuples");
    t.transactionStatus = sym(lib, "PQtransactionStatus");
    t.setNoticeProcessor = sym(lib, "PQsetNoticeProcessor");
    t.enterPipelineMode = sym(lib, "PQenterPipelineMode"); /* libpq 14 and later */
    t.exitPipelineMode = sym(lib, "PQexitPipelineMode");
    t.pipelineSync = sym(lib, "PQpipelineSync");
    t.sendQueryParams = sym(lib, "PQsendQueryParams");
    t.sendQueryPrepared = sym(lib, "PQsendQueryPrepared");
    t.getResult = sym(lib, "PQgetResult");
    if (load_msg[0]) { /* a function missing: not the libpq we know */
        dlclose(lib);
        return;
    }
    table = t;
    loaded = true;
}

const pq_lib *pq_lib_load(kz_err *err)
{
    pthread_once(&load_once, load);
    if (loaded)
        return &table;
    kz_err_set(err, KZ_ERR_NOTFOUND, KZ_NO_OFFSET,
               "a postgresql:// store needs libpq (apt-get install libpq5): %s", load_msg);
    return NULL;
}
