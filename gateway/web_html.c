/*
 * web_html.c - the console's HTML: the escaping function, the page buffer
 * and its appenders, the page frame and forms (see web_html.h).
 * Owns: turning data into HTML text and the markup every page shares.
 * Never appends data without web_html_escape, never emits script or inline
 * style, never reads the database or a request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "web_html.h"

/* U+FFFD REPLACEMENT CHARACTER, what a control character or a bad byte becomes. */
static const char REPLACEMENT[] = "\xEF\xBF\xBD";

void web_buf_init(web_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->rc = KZ_OK;
}

void web_buf_free(web_buf *b)
{
    free(b->data);
    web_buf_init(b);
}

/* Room for n more bytes and a NUL; sets the sticky failure when there is none. */
static int buf_reserve(web_buf *b, size_t n)
{
    if (b->rc != KZ_OK)
        return 0;
    if (n > WEB_BUF_MAX - b->len) {
        b->rc = KZ_ERR_RANGE;
        return 0;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->rc = KZ_ERR_NOMEM;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

/* Append n bytes as they are. */
static void buf_put(web_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

kz_status web_buf_take(web_buf *b, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    buf_reserve(b, 0); /* an empty buffer still hands over "" */
    kz_status rc = b->rc;
    if (rc != KZ_OK) {
        web_buf_free(b);
        return rc;
    }
    b->data[b->len] = '\0';
    *out = b->data;
    *len = b->len;
    web_buf_init(b);
    return KZ_OK;
}

/* The entity for an ASCII byte that HTML gives meaning to, or NULL. */
static const char *ascii_entity(uint8_t c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

/* A code point that must not reach the page: controls other than tab, LF, CR. */
static int is_control(uint32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return 0;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

void web_html_escape(web_buf *out, const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len && out->rc == KZ_OK) {
        /* the longest run that needs nothing goes in one copy */
        size_t run = i;
        while (run < len && s[run] >= 0x20 && s[run] < 0x7F && !ascii_entity(s[run]))
            run++;
        if (run > i) {
            buf_put(out, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        const char *ent = ascii_entity(s[i]);
        if (ent) {
            buf_put(out, ent, strlen(ent));
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            buf_put(out, REPLACEMENT, sizeof REPLACEMENT - 1);
            i++;
            continue;
        }
        if (is_control(cp))
            buf_put(out, REPLACEMENT, sizeof REPLACEMENT - 1);
        else
            buf_put(out, (const char *)s + i, n);
        i += n;
    }
}

void web_raw(web_buf *b, const char *markup)
{
    buf_put(b, markup, strlen(markup));
}

void web_text(web_buf *b, const char *s)
{
    if (s)
        web_html_escape(b, (const uint8_t *)s, strlen(s));
}

void web_textn(web_buf *b, const char *s, size_t len)
{
    if (s)
        web_html_escape(b, (const uint8_t *)s, len);
}

void web_textf(web_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (b->rc == KZ_OK)
            b->rc = KZ_ERR_INVALID;
        return;
    }
    if ((size_t)n < sizeof small) {
        web_html_escape(b, (const uint8_t *)small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        if (b->rc == KZ_OK)
            b->rc = KZ_ERR_NOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    web_html_escape(b, (const uint8_t *)big, (size_t)n);
    free(big);
}

/* Bytes a URL segment may carry as they are (RFC 3986 unreserved). */
static int url_plain(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

void web_url(web_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s)
        return;
    for (const uint8_t *p = (const uint8_t *)s; *p && b->rc == KZ_OK; p++) {
        if (url_plain(*p)) {
            buf_put(b, (const char *)p, 1);
            continue;
        }
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        buf_put(b, enc, 3);
    }
}

/* The navigation's entries: key (web_page_begin's active), path, label. */
static const struct {
    const char *key, *path, *label;
} NAV[] = {
    {"dash", "/", "Dashboard"},
    {"batches", "/batches", "Batches"},
    {"appeals", "/appeals", "Appeals"},
    {"payouts", "/payouts", "Payouts"},
    {"workers", "/workers", "Workers"},
};

static void page_nav(web_buf *b, const char *active, const char *csrf)
{
    web_raw(b, "<header id=\"top\"><span class=\"brand\">Kazi</span>\n<nav id=\"nav\"><ul>\n");
    for (size_t i = 0; i < sizeof NAV / sizeof NAV[0]; i++) {
        web_raw(b, "<li><a id=\"nav-");
        web_raw(b, NAV[i].key);
        web_raw(b, "\" href=\"");
        web_raw(b, NAV[i].path);
        web_raw(b, "\"");
        if (active && strcmp(active, NAV[i].key) == 0)
            web_raw(b, " aria-current=\"page\"");
        web_raw(b, ">");
        web_raw(b, NAV[i].label);
        web_raw(b, "</a></li>\n");
    }
    web_raw(b, "</ul></nav>\n");
    web_form_begin(b, "/logout", "logout", csrf, 0);
    web_button(b, "logout-submit", NULL, NULL, "Log out");
    web_form_end(b);
    web_raw(b, "</header>\n");
}

void web_page_begin(web_buf *b, const char *title, const char *active, const char *csrf)
{
    web_raw(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>");
    web_text(b, title);
    web_raw(b, " - Kazi</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n");
    if (csrf)
        page_nav(b, active, csrf);
    else
        web_raw(b, "<header id=\"top\"><span class=\"brand\">Kazi</span></header>\n");
    web_raw(b, "<main id=\"main\">\n<h1 id=\"title\">");
    web_text(b, title);
    web_raw(b, "</h1>\n");
}

void web_page_end(web_buf *b)
{
    web_raw(b, "</main>\n<footer id=\"footer\">Kazi gateway console</footer>\n</body>\n</html>\n");
}

void web_form_begin(web_buf *b, const char *action, const char *id, const char *csrf,
                    int multipart)
{
    web_raw(b, "<form method=\"post\" action=\"");
    web_text(b, action);
    web_raw(b, "\" id=\"");
    web_text(b, id);
    web_raw(b, multipart ? "\" enctype=\"multipart/form-data\">\n" : "\">\n");
    if (!csrf)
        return;
    web_raw(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    web_text(b, csrf);
    web_raw(b, "\">\n");
}

void web_form_end(web_buf *b)
{
    web_raw(b, "</form>\n");
}

void web_input(web_buf *b, const char *type, const char *name, const char *label,
               const char *value, int required)
{
    web_raw(b, "<p class=\"field\"><label for=\"");
    web_text(b, name);
    web_raw(b, "\">");
    web_text(b, label);
    web_raw(b, "</label>\n<input type=\"");
    web_text(b, type);
    web_raw(b, "\" id=\"");
    web_text(b, name);
    web_raw(b, "\" name=\"");
    web_text(b, name);
    web_raw(b, "\"");
    if (value) {
        web_raw(b, " value=\"");
        web_text(b, value);
        web_raw(b, "\"");
    }
    if (required)
        web_raw(b, " required");
    web_raw(b, "></p>\n");
}

void web_button(web_buf *b, const char *id, const char *name, const char *value,
                const char *label)
{
    web_raw(b, "<button type=\"submit\" id=\"");
    web_text(b, id);
    web_raw(b, "\"");
    if (name) {
        web_raw(b, " name=\"");
        web_text(b, name);
        web_raw(b, "\" value=\"");
        web_text(b, value ? value : "");
        web_raw(b, "\"");
    }
    web_raw(b, ">");
    web_text(b, label);
    web_raw(b, "</button>\n");
}

void web_notice(web_buf *b, const char *text)
{
    web_raw(b, "<p id=\"notice\" class=\"notice\" role=\"status\">");
    web_text(b, text);
    web_raw(b, "</p>\n");
}

void web_error_begin(web_buf *b, const char *heading)
{
    web_raw(b, "<div id=\"errors\" class=\"errors\" role=\"alert\">\n<p>");
    web_text(b, heading);
    web_raw(b, "</p>\n<ul>\n");
}

void web_error_item(web_buf *b, const char *text)
{
    web_raw(b, "<li>");
    web_text(b, text);
    web_raw(b, "</li>\n");
}

void web_error_end(web_buf *b)
{
    web_raw(b, "</ul>\n</div>\n");
}
