/*
 * pq_lib.h - the libpq functions the PostgreSQL backend (tasks/db_pg.c)
 * calls, as a table filled at run time: kazi does not link libpq, so a store
 * on SQLite never maps it (nor the TLS, Kerberos and LDAP libraries it pulls in).
 * Owns the library handle, opened once per process and never closed. Never
 * logs; never loads anything unless a caller asks for the table.
 * The types come from <libpq-fe.h> (headers only: pkg-config --cflags libpq).
 */
#ifndef KAZI_PQ_LIB_H
#define KAZI_PQ_LIB_H

#include <libpq-fe.h>

#include "status.h"

/* The library's run-time name (Debian's libpq5). */
#define PQ_LIB_SONAME "libpq.so.5"

/* One pointer per libpq function the backend calls, typed as <libpq-fe.h>
 * declares it; every one is set in a table that pq_lib_load returned. */
typedef struct pq_lib {
    __typeof__(PQconnectdb) *connectdb;
    __typeof__(PQconnectdbParams) *connectdbParams;
    __typeof__(PQreset) *reset;
    __typeof__(PQstatus) *status;
    __typeof__(PQerrorMessage) *errorMessage;
    __typeof__(PQfinish) *finish;
    __typeof__(PQprepare) *prepare;
    __typeof__(PQexecPrepared) *execPrepared;
    __typeof__(PQexec) *exec;
    __typeof__(PQexecParams) *execParams;
    __typeof__(PQresultStatus) *resultStatus;
    __typeof__(PQresultErrorField) *resultErrorField;
    __typeof__(PQresultErrorMessage) *resultErrorMessage;
    __typeof__(PQclear) *clear;
    __typeof__(PQntuples) *ntuples;
    __typeof__(PQnfields) *nfields;
    __typeof__(PQgetvalue) *getvalue;
    __typeof__(PQgetlength) *getlength;
    __typeof__(PQgetisnull) *getisnull;
    __typeof__(PQftype) *ftype;
    __typeof__(PQcmdStatus) *cmdStatus;
    __typeof__(PQcmdTuples) *cmdTuples;
    __typeof__(PQtransactionStatus) *transactionStatus;
    __typeof__(PQsetNoticeProcessor) *setNoticeProcessor;
    __typeof__(PQenterPipelineMode) *enterPipelineMode;
    __typeof__(PQexitPipelineMode) *exitPipelineMode;
    __typeof__(PQpipelineSync) *pipelineSync;
    __typeof__(PQsendQueryParams) *sendQueryParams;
    __typeof__(PQsendQueryPrepared) *sendQueryPrepared;
    __typeof__(PQgetResult) *getResult;
} pq_lib;

/*
 * Load libpq once per process (any thread; later calls return the first
 * call's result). NULL when the library or one of its functions is missing,
 * with "a postgresql:// store needs libpq (apt-get install libpq5): <dlerror>"
 * in err.
 */
const pq_lib *pq_lib_load(kz_err *err);

#endif
