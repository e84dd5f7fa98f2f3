/*
 * test_csv_export.c - tasks/csv_export.c: the results file (consensus,
 * agreement, status, extra columns in order), the answers file (pseudonyms,
 * never phone numbers), quoting through libcsv, and formula neutralisation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_export.h"
#include "csv_import.h"
#include "harness.h"
#include "store.h"

static char tmpdir[] = "/tmp/kazi-test-export-XXXXXX";

/* Everything written to f, as a heap string (caller frees). */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    if (s && n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = '\0';
    return s;
}

static void test_dangerous(void)
{
    static const struct {
        const char *cell;
        int want;
    } cases[] = {
        {"=1+1", 1}, {"+cmd", 1}, {"-2+3", 1}, {"@SUM(A1)", 1}, {"\t=x", 1}, {"\r=x", 1},
        {"-12", 0},  {"+3.5", 0}, {"-0.25", 0}, {"plain", 0},  {"", 0},      {"a=b", 0},
        {"-", 1},    {"+", 1},    {"=", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        KT_CHECK(csv_cell_dangerous(cases[i].cell, strlen(cases[i].cell)) == cases[i].want,
                 "dangerous(\"%s\")", cases[i].cell);
    FILE *f = tmpfile();
    const char *cells[] = {"=HYPERLINK(\"http://x\")", "say \"hi\"", "a,b", "line\nbreak", "-5",
                           "@x"};
    size_t lens[6];
    for (int i = 0; i < 6; i++)
        lens[i] = strlen(cells[i]);
    KT_CHECK(csv_write_row(f, cells, lens, 6, 1, NULL) == KZ_OK, "write row");
    char *s = slurp(f);
    KT_STREQ(s,
             "\"'=HYPERLINK(\"\"http://x\"\")\",\"say \"\"hi\"\"\",\"a,b\",\"line\nbreak\",\"-5\","
             "\"'@x\"\r\n",
             "neutralised and quoted row");
    free(s);
    fclose(f);
}

static const char input_csv[] =
    "id,type,prompt,options,site,code\n"
    "1,verify,Is it open?,Yes|No|Closed,\"=cmd|' /C calc'!A0\",007\n"
    "2,choice,Colour?,Red|Green,\"Moi Ave, \"\"A\"\" block\",-5\n"
    "3,transcribe,Type the sign,,\"two\nlines\",@home\n"
    "4,verify,Still open?,,Nairobi \xc3\xa9,+254700000009\n";

static void test_export(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/exp.db", tmpdir);
    kz_store *st = NULL;
    kz_err err;
    KT_CHECK(store_open(path, STORE_OPEN_CREATE, &st, &err) == KZ_OK, "open: %s", err.msg);
    if (!st)
        return;
    FILE *in = fmemopen((void *)input_csv, sizeof input_csv - 1, "rb");
    csv_import_opts o = {.batch = "shops", .requester = "Acme", .reward_minor = -1,
                         .floor = PAYFLOOR_KES_DEFAULT};
    csv_import_result res;
    KT_CHECK(csv_import_file(st, in, &o, &res, &err) == KZ_OK && res.added == 4, "import: %s",
             err.msg);
    fclose(in);
    int64_t w[3];
    store_worker_ensure(st, "+254711111111", "A", NULL, &w[0], &err);
    store_worker_ensure(st, "+254722222222", "B", NULL, &w[1], &err);
    store_worker_ensure(st, "+254733333333", "C", NULL, &w[2], &err);
    store_batch b;
    store_batch_get(st, "shops", &b, &err);
    /* task 1: Yes Yes No; task 2: Red; task 3: a formula-looking transcription */
    store_answer_record(st, b.id, "1", w[0], "Yes", "1 1", 1700000000, NULL, &err);
    store_answer_record(st, b.id, "1", w[1], "Yes", "1 1", 1700000001, NULL, &err);
    store_answer_record(st, b.id, "1", w[2], "No", "1 2", 1700000002, NULL, &err);
    store_answer_record(st, b.id, "2", w[0], "Red", "2 1", 1700000003, NULL, &err);
    store_answer_record(st, b.id, "3", w[1], "=1+1", "3 =1+1", 1700000004, NULL, &err);
    store_batch_clear(&b);

    FILE *out = tmpfile();
    KT_CHECK(csv_export_results(st, "shops", out, &err) == KZ_OK, "export: %s", err.msg);
    char *s = slurp(out);
    KT_STREQ(s,
             "\"id\",\"status\",\"answers\",\"consensus\",\"agreement\",\"site\",\"code\"\r\n"
             "\"1\",\"complete\",\"3\",\"Yes\",\"0.67\",\"'=cmd|' /C calc'!A0\",\"007\"\r\n"
             "\"2\",\"partial\",\"1\",\"Red\",\"1.00\",\"Moi Ave, \"\"A\"\" block\",\"-5\"\r\n"
             "\"3\",\"partial\",\"1\",\"'=1+1\",\"1.00\",\"two\nlines\",\"'@home\"\r\n"
             "\"4\",\"pending\",\"0\",\"\",\"\",\"Nairobi \xc3\xa9\",\"+254700000009\"\r\n",
             "results file");
    free(s);
    fclose(out);

    out = tmpfile();
    KT_CHECK(csv_export_answers(st, "shops", out, &err) == KZ_OK, "answers: %s", err.msg);
    s = slurp(out);
    KT_CHECK(strncmp(s, "\"id\",\"worker\",\"answer\",\"status\",\"answered_at\"\r\n", 46) == 0,
             "answers header: %.60s", s);
    KT_CHECK(strstr(s, "2547") == NULL, "no phone number in the answers file");
    KT_CHECK(strstr(s, "\"2023-11-14T22:13:20Z\"") != NULL, "ISO time");
    KT_CHECK(strstr(s, "\"'=1+1\"") != NULL, "answer neutralised");
    int lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    KT_CHECK(lines == 6, "header + 5 answers, got %d lines", lines);
    /* the same worker has the same pseudonym on every row */
    char *first = strstr(s, "\r\n\"1\",\"W");
    KT_CHECK(first != NULL, "pseudonym shape");
    if (first) {
        char pseud[18];
        memcpy(pseud, first + 7, 17);
        pseud[17] = '\0';
        KT_CHECK(strstr(strstr(s, "\"2\",\"W"), pseud) != NULL, "worker A twice: %s", pseud);
    }
    free(s);
    fclose(out);

    out = tmpfile();
    KT_CHECK(csv_export_results(st, "nope", out, &err) == KZ_ERR_NOTFOUND, "unknown batch");
    fclose(out);
    store_close(st);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_dangerous();
    test_export();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return kt_report();
}
