/*
 * test_money_sms.c - every vector of ../shared/vectors/money-sms.jsonl,
 * read at test time, against the provider files in tasks/providers
 * (KAZI_PROVIDERS overrides): the text must be recognised and every
 * annotated field (type included) must come out exactly as annotated.
 * Vectors listed in skip.txt as "money-sms.jsonl ID reason" are reported,
 * not checked. Never edits the vectors.
 */
#include <jansson.h>

#include "harness.h"
#include "money_sms.h"

static const char *providers_dir(void)
{
    const char *d = getenv("KAZI_PROVIDERS");
    return d && *d ? d : "tasks/providers";
}

static int skipped(const char *id)
{
    FILE *f = fopen("tests/vectors/skip.txt", "r");
    char line[2048], want[256];
    int hit = 0;
    snprintf(want, sizeof want, "money-sms.jsonl %s ", id);
    while (f && !hit && fgets(line, sizeof line, f))
        hit = strncmp(line, want, strlen(want)) == 0;
    if (f)
        fclose(f);
    return hit;
}

static void check_vector(const money_sms_set *set, json_t *v, int *nvec)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *text = json_string_value(json_object_get(v, "text"));
    const char *sender = json_string_value(json_object_get(v, "sender"));
    json_t *fields = json_object_get(v, "fields");
    if (!id || !text || !json_is_object(fields)) {
        KT_CHECK(0, "malformed vector");
        return;
    }
    if (skipped(id)) {
        printf("skip %s (tests/vectors/skip.txt)\n", id);
        return;
    }
    (*nvec)++;
    money_sms_result r;
    kz_status st = money_sms_parse(set, sender, text, strlen(text), &r);
    KT_CHECK(st == KZ_OK, "%s: not recognised (sender %s)", id, sender ? sender : "none");
    if (st != KZ_OK)
        return;
    const char *key;
    json_t *val;
    json_object_foreach(fields, key, val) {
        const char *want = json_string_value(val);
        const char *got = strcmp(key, "type") == 0 ? r.type : money_sms_get(&r, key);
        KT_CHECK(want && got && strcmp(want, got) == 0, "%s: %s got \"%s\", want \"%s\"", id,
                 key, got ? got : "(absent)", want ? want : "?");
    }
}

static void test_vectors(const money_sms_set *set)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/money-sms.jsonl", kt_vectors_dir());
    FILE *f = fopen(path, "r");
    KT_CHECK(f != NULL, "open %s", path);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    int n = 0, nvec = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *v = json_loads(line, 0, &je);
        KT_CHECK(v != NULL, "%s line %d: %s", path, n + 1, je.text);
        n++;
        if (v)
            check_vector(set, v, &nvec);
        json_decref(v);
    }
    free(line);
    fclose(f);
    KT_CHECK(n >= 30, "the corpus has its 30 vectors (%d)", n);
    printf("%d vectors checked\n", nvec);
}

int main(void)
{
    money_sms_set *set = money_sms_new();
    kz_err err;
    kz_err_clear(&err);
    kz_status st = money_sms_load_dir(set, providers_dir(), &err);
    KT_CHECK(st == KZ_OK, "load %s: %s", providers_dir(), err.msg);
    if (st == KZ_OK)
        test_vectors(set);
    money_sms_free(set);
    return kt_report();
}
