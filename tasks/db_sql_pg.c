/*
 * db_sql_pg.c - rewrites one statement from SQLite's SQL dialect into
 * PostgreSQL's (the list of rewrites is in db_sql_pg.h).
 * Owns: a small tokenizer (words, numbers, parameters, string literals,
 * quoted names, comments, one-character punctuation) and the rewrite rules
 * over its tokens. Never allocates, never writes past the caller's buffer,
 * never changes a string literal, a quoted name or a comment.
 */
#include "db_sql_pg.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef enum tok_kind {
    TK_END,     /* no more input */
    TK_SPACE,   /* a run of white space */
    TK_COMMENT, /* -- to the end of the line (newline included), or a block comment */
    TK_STRING,  /* '...' with '' inside, or $$...$$ */
    TK_QNAME,   /* "...", `...` or [...] */
    TK_WORD,    /* a keyword or a bare name */
    TK_NUMBER,  /* a numeric literal */
    TK_PARAM,   /* ? or ?NNN */
    TK_PUNCT    /* any other single byte */
} tok_kind;

typedef struct tok {
    tok_kind kind;
    const char *p; /* points into the caller's SQL */
    size_t n;
} tok;

/* Parameter numbers above this are copied as written but counted as this. */
#define PARAM_MAX 999999
/* Parenthesis depths whose CAST-ness is remembered; deeper ones are never a CAST. */
#define CAST_DEPTHS 64

/* One rewrite in progress: the input position, the output buffer and the context. */
typedef struct rw {
    const char *p;   /* next unread input byte */
    char *out;       /* caller's buffer, cap bytes */
    size_t cap;
    size_t len;      /* bytes written; len < cap while !full */
    int full;        /* some output did not fit */
    int maxp;        /* highest parameter number so far */
    tok prev;        /* last significant token read (TK_END at the start) */
    unsigned depth;  /* parentheses open */
    uint64_t cast;   /* bit d-1: the parenthesis at depth d opened a CAST */
    int after_cast;  /* prev is the word CAST */
    uint64_t sub;    /* bit d-1: the parenthesis at depth d opened a subquery in FROM/JOIN */
    int after_from;  /* prev is FROM (not IS DISTINCT FROM) or JOIN */
    int nsub;        /* aliases added so far */
    int fmt_next;    /* the next string literal is printf's format */
    tok prev2;       /* the significant token before prev */
} rw;

/* Words that may follow a subquery in FROM when it has no alias. */
static const char *const not_alias[] = {
    "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "ON", "USING", "JOIN", "LEFT", "RIGHT",
    "INNER", "CROSS", "FULL", "NATURAL", "OUTER", "UNION", "EXCEPT", "INTERSECT", "HAVING",
    "WINDOW", "RETURNING", "FOR", "SET", "VALUES", "WHEN", "THEN", "ELSE", "END",
};

/* Keywords after which a + is unary (besides punctuation other than ')'). */
static const char *const unary_after[] = {
    "SELECT", "WHERE", "AND", "OR", "NOT", "ON", "BY", "WHEN", "THEN", "ELSE", "CASE",
    "HAVING", "LIMIT", "OFFSET", "RETURNING", "DISTINCT", "ALL", "LIKE", "GLOB", "BETWEEN",
    "IS", "IN", "ESCAPE",
};

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_word_char(unsigned char c)
{
    return is_word_start(c) || is_digit(c) || c == '$';
}

static unsigned char upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* True when t is the word kw (kw in capitals; ASCII case-insensitive). */
static int word_is(const tok *t, const char *kw)
{
    size_t n = strlen(kw);
    if (t->kind != TK_WORD || t->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (upper((unsigned char)t->p[i]) != (unsigned char)kw[i])
            return 0;
    return 1;
}

static int punct_is(const tok *t, char c)
{
    return t->kind == TK_PUNCT && t->p[0] == c;
}

/* Length of a quoted run opening at p and closed by q; a doubled q stays inside. */
static size_t quoted_len(const char *p, char q)
{
    size_t i = 1;
    while (p[i]) {
        if (p[i] != q)
            i++;
        else if (q != ']' && p[i + 1] == q)
            i += 2;
        else
            return i + 1;
    }
    return i; /* unclosed: runs to the end */
}

/* A $$...$$ body (PostgreSQL's quoting, in case one is passed through). */
static size_t dollar_len(const char *p)
{
    const char *end = strstr(p + 2, "$$");
    return end ? (size_t)(end - p) + 2 : strlen(p);
}

static size_t comment_len(const char *p)
{
    const char *end;
    if (p[0] == '-') {
        end = strchr(p, '\n');
        return end ? (size_t)(end - p) + 1 : strlen(p);
    }
    end = strstr(p + 2, "*/");
    return end ? (size_t)(end - p) + 2 : strlen(p);
}

/* Digits, letters, dots, and a sign right after a decimal number's e or E. */
static size_t number_len(const char *p)
{
    int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    size_t i = 0;
    for (;;) {
        unsigned char c = (unsigned char)p[i];
        int sign = (c == '+' || c == '-') && !hex && i > 0 && upper((unsigned char)p[i - 1]) == 'E';
        if (!is_word_char(c) && c != '.' && !sign)
            return i;
        i++;
    }
}

static size_t word_len(const char *p)
{
    size_t i = 1;
    while (is_word_char((unsigned char)p[i]))
        i++;
    return i;
}

static size_t space_len(const char *p)
{
    size_t i = 0;
    while (is_space((unsigned char)p[i]))
        i++;
    return i;
}

/* The token starting at p. */
static tok lex(const char *p)
{
    unsigned char c = (unsigned char)p[0];
    tok t = {TK_PUNCT, p, 1};
    if (c == '\0') {
        t.kind = TK_END;
        t.n = 0;
    } else if (is_space(c)) {
        t.kind = TK_SPACE;
        t.n = space_len(p);
    } else if ((c == '-' && p[1] == '-') || (c == '/' && p[1] == '*')) {
        t.kind = TK_COMMENT;
        t.n = comment_len(p);
    } else if (c == '$' && p[1] == '$') {
        t.kind = TK_STRING;
        t.n = dollar_len(p);
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
        t.kind = c == '\'' ? TK_STRING : TK_QNAME;
        t.n = quoted_len(p, c == '[' ? ']' : (char)c);
    } else if (is_digit(c) || (c == '.' && is_digit((unsigned char)p[1]))) {
        t.kind = TK_NUMBER;
        t.n = number_len(p);
    } else if (is_word_start(c)) {
        t.kind = TK_WORD;
        t.n = word_len(p);
    } else if (c == '?') {
        t.kind = TK_PARAM;
        while (is_digit((unsigned char)p[t.n]))
            t.n++;
    }
    return t;
}

/* The next token from p that is neither white space nor a comment. */
static tok next_sig(const char *p)
{
    tok t = lex(p);
    while (t.kind == TK_SPACE || t.kind == TK_COMMENT) {
        p += t.n;
        t = lex(p);
    }
    return t;
}

static void put(rw *w, const char *s, size_t n)
{
    if (w->full || n >= w->cap - w->len) {
        w->full = 1; /* the NUL must fit too */
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void put_str(rw *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_tok(rw *w, const tok *t)
{
    put(w, t->p, t->n);
}

static int in_cast(const rw *w)
{
    return w->depth >= 1 && w->depth <= CAST_DEPTHS && ((w->cast >> (w->depth - 1)) & 1u);
}

static int in_sub(const rw *w)
{
    return w->depth >= 1 && w->depth <= CAST_DEPTHS && ((w->sub >> (w->depth - 1)) & 1u);
}

/* True when the token after a closing parenthesis is an alias (AS x, or a bare name). */
static int alias_follows(const tok *t)
{
    if (t->kind == TK_QNAME || word_is(t, "AS"))
        return 1;
    if (t->kind != TK_WORD)
        return 0;
    for (size_t i = 0; i < sizeof not_alias / sizeof not_alias[0]; i++)
        if (word_is(t, not_alias[i]))
            return 0;
    return 1;
}

/*
 * PostgreSQL before 16 wants a name for every subquery in FROM; SQLite does
 * not. Called at a ')' that closes one: adds " AS kz_sN" when none follows.
 */
static void name_subquery(rw *w)
{
    tok next = next_sig(w->p);
    if (alias_follows(&next))
        return;
    char name[32];
    int n = snprintf(name, sizeof name, " AS kz_s%d", ++w->nsub);
    put(w, name, (size_t)n);
}

/* Track parentheses (and which opened a CAST) and remember t as the previous token. */
static void note_sig(rw *w, const tok *t)
{
    if (punct_is(t, '(')) {
        w->depth++;
        if (w->depth <= CAST_DEPTHS) {
            uint64_t bit = (uint64_t)1 << (w->depth - 1);
            w->cast = w->after_cast ? (w->cast | bit) : (w->cast & ~bit);
            w->sub = w->after_from ? (w->sub | bit) : (w->sub & ~bit);
        }
    } else if (punct_is(t, ')') && w->depth > 0) {
        w->depth--;
    }
    w->after_cast = word_is(t, "CAST");
    w->after_from = (word_is(t, "FROM") && !word_is(&w->prev, "DISTINCT")) || word_is(t, "JOIN");
    w->prev2 = w->prev;
    w->prev = *t;
}

/* Skip the white space right after a dropped token. */
static void drop_space(rw *w)
{
    w->p += space_len(w->p);
}

/* Drop the next word and the white space before it; comments on the way are kept. */
static void drop_word(rw *w)
{
    for (;;) {
        tok t = lex(w->p);
        w->p += t.n;
        if (t.kind == TK_COMMENT)
            put_tok(w, &t);
        if (t.kind == TK_WORD) {
            note_sig(w, &t);
            return;
        }
        if (t.kind == TK_END)
            return;
    }
}

/*
 * ?NNN -> $NNN as written; ? -> $k, one above the highest number so far.
 * PostgreSQL reads a $ after a letter or digit as part of that name
 * ("LIMIT?1" must not become "LIMIT$1"), so a space goes between them.
 */
static void put_param(rw *w, const tok *t)
{
    if (w->len > 0 && !w->full && is_word_char((unsigned char)w->out[w->len - 1]))
        put(w, " ", 1);
    if (t->n > 1) {
        int v = 0;
        for (size_t i = 1; i < t->n; i++)
            v = v > PARAM_MAX / 10 ? PARAM_MAX : v * 10 + (t->p[i] - '0');
        put(w, "$", 1);
        put(w, t->p + 1, t->n - 1);
        if (v > w->maxp)
            w->maxp = v;
        return;
    }
    char num[16];
    int k = w->maxp < PARAM_MAX ? w->maxp + 1 : PARAM_MAX;
    int n = snprintf(num, sizeof num, "$%d", k);
    put(w, num, (size_t)n);
    w->maxp = k;
}

/* True when a + read now is unary: at the start, after an operator or a keyword. */
static int unary_context(const rw *w)
{
    if (w->prev.kind == TK_END)
        return 1;
    if (w->prev.kind == TK_PUNCT)
        return w->prev.p[0] != ')';
    for (size_t i = 0; i < sizeof unary_after / sizeof unary_after[0]; i++)
        if (word_is(&w->prev, unary_after[i]))
            return 1;
    return 0;
}

/* A unary + before a name is SQLite's "don't use an index" hint: dropped. */
static void on_punct(rw *w, const tok *t)
{
    if (punct_is(t, ')') && in_sub(w)) {
        put_tok(w, t);
        name_subquery(w);
        return;
    }
    tok next = next_sig(w->p);
    if (!punct_is(t, '+') || !unary_context(w) || (next.kind != TK_WORD && next.kind != TK_QNAME)) {
        put_tok(w, t);
        return;
    }
    if (w->len > 0 && w->out[w->len - 1] == '-' && w->p[0] == '-')
        put(w, " ", 1); /* "-+--c" must not become "---c" */
}

/*
 * IS b -> IS NOT DISTINCT FROM b, IS NOT b -> IS DISTINCT FROM b, unless b is
 * NULL, TRUE, FALSE or DISTINCT. Returns 1 when it wrote (and noted) the
 * rewrite, 0 when t is to be copied.
 */
static int on_is(rw *w, const tok *t)
{
    tok b = next_sig(w->p);
    int neg = word_is(&b, "NOT");
    if (neg)
        b = next_sig(b.p + b.n);
    if (b.kind == TK_END || word_is(&b, "NULL") || word_is(&b, "TRUE") ||
        word_is(&b, "FALSE") || word_is(&b, "DISTINCT"))
        return 0;
    put_str(w, neg ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM");
    note_sig(w, t);
    if (neg)
        drop_word(w); /* the NOT */
    return 1;
}

/* BEGIN IMMEDIATE|DEFERRED|EXCLUSIVE [TRANSACTION] -> BEGIN. Returns 1 when it wrote. */
static int on_begin(rw *w, const tok *t)
{
    tok mode = next_sig(w->p);
    if (!word_is(&mode, "IMMEDIATE") && !word_is(&mode, "DEFERRED") &&
        !word_is(&mode, "EXCLUSIVE"))
        return 0;
    put_tok(w, t);
    note_sig(w, t);
    drop_word(w);
    tok tx = next_sig(w->p);
    if (word_is(&tx, "TRANSACTION"))
        drop_word(w);
    return 1;
}

static void on_word(rw *w, const tok *t)
{
    tok next = next_sig(w->p);
    if (word_is(t, "CROSS") && word_is(&next, "JOIN")) {
        drop_space(w);
    } else if ((word_is(t, "BEGIN") && on_begin(w, t)) || (word_is(t, "IS") && on_is(w, t))) {
        return; /* they noted their own tokens */
    } else if (word_is(&w->prev, "AS") && in_cast(w) && word_is(t, "INTEGER")) {
        put_str(w, "BIGINT");
    } else if (word_is(&w->prev, "AS") && in_cast(w) && word_is(t, "REAL")) {
        put_str(w, "DOUBLE PRECISION");
    } else if (word_is(t, "INSTR") && punct_is(&next, '(') && !punct_is(&w->prev, '.')) {
        put_str(w, "strpos");
    } else if (word_is(t, "PRINTF") && punct_is(&next, '(') && !punct_is(&w->prev, '.')) {
        put_str(w, "format");
        w->fmt_next = 1;
    } else if (word_is(t, "NOT") && word_is(&next, "INDEXED")) {
        drop_space(w);
        drop_word(w); /* SQLite's planner hint; PostgreSQL plans alone */
        drop_space(w);
        return;
    } else {
        put_tok(w, t);
    }
    note_sig(w, t);
}

/*
 * printf's format for PostgreSQL's format(): %d and %i become %s (format()
 * prints any value with %s); %% and %s stay. Other conversions are not in
 * our SQL and are copied as written.
 */
static void put_format(rw *w, const tok *t)
{
    for (size_t i = 0; i < t->n; i++) {
        char c = t->p[i];
        put(w, &c, 1);
        if (c != '%' || i + 1 >= t->n)
            continue;
        char k = t->p[++i];
        put(w, k == 'd' || k == 'i' ? "s" : &k, 1);
    }
}

static void rewrite_tok(rw *w, const tok *t)
{
    switch (t->kind) {
    case TK_SPACE:
    case TK_COMMENT:
        put_tok(w, t);
        return; /* not significant: prev stays */
    case TK_WORD:
        on_word(w, t);
        return;
    case TK_PARAM:
        put_param(w, t);
        break;
    case TK_PUNCT:
        on_punct(w, t);
        break;
    case TK_STRING:
        if (w->fmt_next)
            put_format(w, t);
        else
            put_tok(w, t);
        w->fmt_next = 0;
        break;
    default:
        put_tok(w, t);
        break;
    }
    note_sig(w, t);
}

int db_sql_pg(const char *sql, char *out, size_t cap, int *nparams)
{
    assert(sql && (out || cap == 0));
    rw w = {.p = sql, .out = out, .cap = cap, .prev = {TK_END, sql, 0}};
    if (nparams)
        *nparams = 0;
    while (*w.p && !w.full) {
        tok t = lex(w.p);
        w.p += t.n;
        rewrite_tok(&w, &t);
    }
    if (cap == 0)
        return -1;
    if (w.full) {
        out[0] = '\0';
        return -1;
    }
    out[w.len] = '\0';
    if (nparams)
        *nparams = w.maxp;
    return 0;
}
