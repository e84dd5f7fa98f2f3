/*
 * test_web_html.c - the console's HTML helpers (gateway/web_html.c): the
 * escaping of every special and control character, UTF-8 passing through,
 * invalid UTF-8 replaced, URL segments, the page frame with its CSRF field,
 * the sticky failure of the page buffer, and the stylesheet's rules.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "web_html.h"

/* Escape s[0..len) into a fresh buffer and compare with want. */
static void check_escape(const char *s, size_t len, const char *want, const char *label)
{
    web_buf b;
    web_buf_init(&b);
    web_html_escape(&b, (const uint8_t *)s, len);
    char *out;
    size_t n;
    KT_CHECK(web_buf_take(&b, &out, &n) == KZ_OK, "%s: take", label);
    if (!out)
        return;
    KT_STREQ(out, want, label);
    KT_CHECK(n == strlen(want), "%s: length %zu, want %zu", label, n, strlen(want));
    free(out);
}

static void test_escape_specials(void)
{
    check_escape("", 0, "", "empty");
    check_escape("plain text 123", 14, "plain text 123", "plain");
    check_escape("<script>alert(1)</script>", 25, "&lt;script&gt;alert(1)&lt;/script&gt;",
                 "script tag");
    check_escape("a & b", 5, "a &amp; b", "ampersand");
    check_escape("&amp;", 5, "&amp;amp;", "an entity is escaped again");
    check_escape("\"x\" 'y'", 7, "&quot;x&quot; &#39;y&#39;", "quotes");
    check_escape("\" onmouseover=\"alert(1)", 23, "&quot; onmouseover=&quot;alert(1)",
                 "attribute break-out");
    check_escape("' OR 1=1; --", 12, "&#39; OR 1=1; --", "SQL text is only text");
}

static void test_escape_controls(void)
{
    check_escape("a\tb\nc\rd", 7, "a\tb\nc\rd", "tab, newline, return kept");
    check_escape("a\x01z", 3, "a\xEF\xBF\xBDz", "U+0001 replaced");
    check_escape("a\x1b[31mz", 7, "a\xEF\xBF\xBD[31mz", "escape replaced");
    check_escape("a\x7fz", 3, "a\xEF\xBF\xBDz", "DEL replaced");
    check_escape("a\xC2\x85z", 4, "a\xEF\xBF\xBDz", "C1 NEL replaced");
    check_escape("a\0b", 3, "a\xEF\xBF\xBD" "b", "NUL replaced, the rest kept");
}

static void test_escape_utf8(void)
{
    check_escape("Habari, dunia", 13, "Habari, dunia", "ascii");
    check_escape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14,
                 "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "2, 3 and 4 byte UTF-8 pass");
    check_escape("\xC2\xA0", 2, "\xC2\xA0", "no-break space (U+00A0) passes");
    check_escape("a\xFFz", 3, "a\xEF\xBF\xBDz", "0xFF replaced");
    check_escape("a\xC3z", 3, "a\xEF\xBF\xBDz", "truncated sequence replaced");
    check_escape("\xC0\xBC", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", "overlong '<' replaced, not '<'");
    check_escape("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
                 "surrogate replaced");
    check_escape("\xE2\x82", 2, "\xEF\xBF\xBD\xEF\xBF\xBD", "cut at the end");
}

static char *take(web_buf *b)
{
    char *out = NULL;
    size_t n;
    if (web_buf_take(b, &out, &n) != KZ_OK)
        return NULL;
    return out;
}

static void test_appenders(void)
{
    web_buf b;
    web_buf_init(&b);
    web_raw(&b, "<b>");
    web_text(&b, "<i>");
    web_text(&b, NULL);
    web_textn(&b, "x<y", 2);
    web_textf(&b, " %d%% <%s>", 42, "&");
    web_raw(&b, "</b>");
    char *out = take(&b);
    KT_CHECK(out != NULL, "take");
    if (out)
        KT_STREQ(out, "<b>&lt;i&gt;x&lt; 42% &lt;&amp;&gt;</b>", "appenders");
    free(out);

    /* a formatted text longer than the small buffer */
    char big[600];
    memset(big, '<', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    web_buf_init(&b);
    web_textf(&b, "%s", big);
    out = take(&b);
    KT_CHECK(out && strlen(out) == 4 * (sizeof big - 1), "long textf escaped whole");
    KT_CHECK(out && strncmp(out, "&lt;&lt;", 8) == 0, "long textf starts escaped");
    free(out);

    web_buf_init(&b);
    web_url(&b, "a b/c?d=e&f#g%h\xC3\xA9-._~Z9\"<'");
    out = take(&b);
    if (out)
        KT_STREQ(out, "a%20b%2Fc%3Fd%3De%26f%23g%25h%C3%A9-._~Z9%22%3C%27", "url segment");
    free(out);

    web_buf_init(&b);
    out = take(&b);
    KT_CHECK(out && *out == '\0', "an empty buffer hands over \"\"");
    free(out);
}

static void test_sticky_failure(void)
{
    web_buf b;
    web_buf_init(&b);
    web_raw(&b, "start");
    b.rc = KZ_ERR_NOMEM; /* as after a failed realloc */
    web_raw(&b, "more");
    web_text(&b, "<x>");
    KT_CHECK(b.len == 5, "nothing appended after a failure (len %zu)", b.len);
    char *out = (char *)"unset";
    size_t n = 7;
    KT_CHECK(web_buf_take(&b, &out, &n) == KZ_ERR_NOMEM, "take reports the failure");
    KT_CHECK(out == NULL && n == 0, "no bytes handed over");
    KT_CHECK(b.data == NULL && b.rc == KZ_OK, "the buffer is empty and usable again");
    web_buf_free(&b);
}

static void test_page_frame(void)
{
    web_buf b;
    web_buf_init(&b);
    web_page_begin(&b, "Batch <x> & \"y\"", "batches", "ab12\"><script>");
    web_form_begin(&b, "/appeals/4", "decide-4", "tok\"en", 0);
    web_input(&b, "text", "note", "Note <to worker>", "it's \"fine\"", 1);
    web_button(&b, "uphold-4", "decision", "uphold", "Uphold");
    web_form_end(&b);
    web_page_end(&b);
    char *out = take(&b);
    KT_CHECK(out != NULL, "page built");
    if (!out)
        return;
    KT_CHECK(strstr(out, "<title>Batch &lt;x&gt; &amp; &quot;y&quot; - Kazi</title>") != NULL,
             "title escaped");
    KT_CHECK(strstr(out, "<h1 id=\"title\">Batch &lt;x&gt;") != NULL, "heading escaped");
    KT_CHECK(strstr(out, "<script>") == NULL, "no script tag anywhere");
    KT_CHECK(strstr(out, "style=") == NULL, "no inline style");
    KT_CHECK(strstr(out, "href=\"/style.css\"") != NULL, "stylesheet linked");
    KT_CHECK(strstr(out, "id=\"nav-batches\" href=\"/batches\" aria-current=\"page\"") != NULL,
             "active entry marked");
    KT_CHECK(strstr(out, "id=\"nav-appeals\" href=\"/appeals\">") != NULL,
             "other entries not marked");
    KT_CHECK(strstr(out, "<form method=\"post\" action=\"/logout\" id=\"logout\">") != NULL,
             "logout form");
    KT_CHECK(strstr(out, "name=\"csrf\" value=\"ab12&quot;&gt;&lt;script&gt;\"") != NULL,
             "logout form carries the CSRF token, escaped");
    KT_CHECK(strstr(out, "action=\"/appeals/4\" id=\"decide-4\">\n<input type=\"hidden\" "
                         "name=\"csrf\" value=\"tok&quot;en\">") != NULL,
             "form begins with its CSRF field");
    KT_CHECK(strstr(out, "value=\"it&#39;s &quot;fine&quot;\" required>") != NULL,
             "input value escaped");
    KT_CHECK(strstr(out, "<label for=\"note\">Note &lt;to worker&gt;</label>") != NULL,
             "label escaped");
    KT_CHECK(strstr(out, "name=\"decision\" value=\"uphold\">Uphold</button>") != NULL,
             "button");
    KT_CHECK(strstr(out, "<meta name=\"viewport\"") != NULL, "phone viewport");
    size_t n = strlen(out);
    KT_CHECK(n > 8 && strcmp(out + n - 8, "</html>\n") == 0, "page closed");
    free(out);

    /* logged out: no navigation, no CSRF field in a form without one */
    web_buf_init(&b);
    web_page_begin(&b, "Log in", NULL, NULL);
    web_form_begin(&b, "/login", "login", NULL, 0);
    web_form_end(&b);
    web_page_end(&b);
    out = take(&b);
    KT_CHECK(out && strstr(out, "id=\"nav\"") == NULL, "no navigation when logged out");
    KT_CHECK(out && strstr(out, "name=\"csrf\"") == NULL, "no CSRF field in the login form");
    free(out);
}

static void test_messages(void)
{
    web_buf b;
    web_buf_init(&b);
    web_notice(&b, "Appeal <4> upheld");
    web_error_begin(&b, "Nothing was imported:");
    web_error_item(&b, "line 3, column 2 (type): 'x<y' is not a type");
    web_error_end(&b);
    char *out = take(&b);
    KT_CHECK(out && strstr(out, "id=\"notice\"") && strstr(out, "Appeal &lt;4&gt; upheld"),
             "notice escaped");
    KT_CHECK(out && strstr(out, "<div id=\"errors\" class=\"errors\" role=\"alert\">"),
             "error box");
    KT_CHECK(out && strstr(out, "<li>line 3, column 2 (type): &#39;x&lt;y&#39; is not a type"
                                "</li>"),
             "error item escaped");
    free(out);
}

static void test_css(void)
{
    size_t len = 0;
    const char *css = web_html_css(&len);
    KT_CHECK(css && len == strlen(css) && len > 500, "stylesheet present (%zu bytes)", len);
    if (!css)
        return;
    KT_CHECK(strstr(css, "@import") == NULL, "no import");
    KT_CHECK(strstr(css, "url(") == NULL, "no external resource (fonts, images)");
    KT_CHECK(strstr(css, "@font-face") == NULL, "no web font");
    KT_CHECK(strstr(css, "http") == NULL, "no other host");
    KT_CHECK(strstr(css, "overflow-x:auto") != NULL, "wide tables scroll in their box");
    KT_CHECK(strstr(css, "@media (max-width:30rem)") != NULL, "a rule for phone widths");
    KT_CHECK(strstr(css, "system-ui") != NULL, "system fonts");
    int depth = 0, ok = 1;
    for (const char *p = css; *p; p++) {
        depth += *p == '{';
        depth -= *p == '}';
        if (depth < 0)
            ok = 0;
    }
    KT_CHECK(ok && depth == 0, "braces balance");
}

int main(void)
{
    test_escape_specials();
    test_escape_controls();
    test_escape_utf8();
    test_appenders();
    test_sticky_failure();
    test_page_frame();
    test_messages();
    test_css();
    return kt_report();
}
