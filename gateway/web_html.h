/*
 * web_html.h - the console's HTML: the one escaping function every piece of
 * data goes through, a growable page buffer with escaping appenders, the
 * page frame (header with navigation, footer), forms carrying the CSRF field,
 * and the stylesheet the binary serves at /style.css.
 * Owns: how text becomes HTML, the markup shared by every page and the CSS.
 * Never: puts data into a page unescaped, emits inline script or style (the
 * Content-Security-Policy forbids both), or touches the database.
 *
 * Markup that is the same for every page:
 *   <nav id="nav">: links #nav-dash, #nav-batches, #nav-appeals, #nav-payouts,
 *   #nav-workers (the current one has aria-current="page") and the logout
 *   form #logout (POST /logout) with its button #logout-submit;
 *   <main id="main"> holding <h1 id="title">; <footer id="footer">.
 *   web_notice gives <p id="notice" class="notice">, web_error_begin gives
 *   <div id="errors" class="errors" role="alert">.
 */
#ifndef KAZI_WEB_HTML_H
#define KAZI_WEB_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* A page larger than this is refused (KZ_ERR_RANGE) rather than grown. */
#define WEB_BUF_MAX (64u * 1024u * 1024u)

/*
 * A growable buffer for one page. Appenders return nothing: the first
 * failure (KZ_ERR_NOMEM, KZ_ERR_RANGE) sticks in rc, later appends do
 * nothing, and the owner checks rc once, through web_buf_take.
 * data is owned (malloc), NUL-terminated after every append.
 */
typedef struct web_buf {
    char *data;
    size_t len;
    size_t cap;
    kz_status rc;
} web_buf;

/* An empty buffer (allocates nothing yet). */
void web_buf_init(web_buf *b);

/* Free what b owns and make it empty again (b may be unused). */
void web_buf_free(web_buf *b);

/*
 * Hand over the bytes: KZ_OK with *out (malloc'd, NUL-terminated; the caller
 * frees it) and *len, and b is empty again; or b's sticky failure, with b
 * freed and *out NULL. An empty buffer gives an allocated "".
 */
kz_status web_buf_take(web_buf *b, char **out, size_t *len);

/*
 * The escaping function: append s[0..len) to out as HTML text, safe both
 * between tags and inside a quoted attribute. & < > " ' become entities;
 * control characters (U+0000-U+001F except tab, newline and carriage
 * return, U+007F-U+009F) and every byte that is not part of valid UTF-8
 * become U+FFFD; all other UTF-8 passes through unchanged.
 */
void web_html_escape(web_buf *out, const uint8_t *s, size_t len);

/* Trusted markup (a literal of the page code, never data), appended as is. */
void web_raw(web_buf *b, const char *markup);

/* Data as text: web_html_escape of the string (NULL appends nothing). */
void web_text(web_buf *b, const char *s);
void web_textn(web_buf *b, const char *s, size_t len);

/* printf-formatted, then the whole result escaped (numbers, money, dates). */
void web_textf(web_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * s percent-encoded for one URL path segment or query value (everything but
 * A-Z a-z 0-9 - . _ ~ becomes %XX), which is also safe in an attribute.
 */
void web_url(web_buf *b, const char *s);

/*
 * The top of a page: doctype, title (escaped), the stylesheet link and,
 * when csrf is not NULL (a logged-in page), the navigation with active
 * ("dash", "batches", "appeals", "payouts", "workers" or NULL) marked and
 * the logout form; then <main id="main"><h1 id="title">title</h1>.
 */
void web_page_begin(web_buf *b, const char *title, const char *active, const char *csrf);

/* Close main, the footer, body and html. */
void web_page_end(web_buf *b);

/*
 * <form method="post" action="ACTION" id="ID"> with, when multipart, the
 * multipart/form-data encoding, followed by the hidden field csrf (the
 * session's token; NULL for none: the login form). action is a path the
 * caller built (with web_url for its data parts); it is escaped here.
 */
void web_form_begin(web_buf *b, const char *action, const char *id, const char *csrf,
                    int multipart);
void web_form_end(web_buf *b);

/*
 * A labelled input inside a form: <label for="NAME">LABEL</label> then
 * <input type="TYPE" id="NAME" name="NAME" value="VALUE"> (value escaped;
 * NULL for none), required when required is not 0.
 */
void web_input(web_buf *b, const char *type, const char *name, const char *label,
               const char *value, int required);

/* <button type="submit" id="ID" name="NAME" value="VALUE">LABEL</button>; name may be NULL. */
void web_button(web_buf *b, const char *id, const char *name, const char *value,
                const char *label);

/* <p id="notice" class="notice">text</p> (escaped). */
void web_notice(web_buf *b, const char *text);

/* <div id="errors" class="errors" role="alert"><p>heading</p><ul> ... </ul></div>. */
void web_error_begin(web_buf *b, const char *heading);
void web_error_item(web_buf *b, const char *text);
void web_error_end(web_buf *b);

/* The stylesheet served at /style.css (static, NUL-terminated); *len its length. */
const char *web_html_css(size_t *len);

#endif
