/*
 * web_style.c - the console's stylesheet, served from the binary at
 * /style.css (web_html_css in web_html.h).
 * Owns: how the console looks: system fonts only, one column that reads on
 * a 360 px wide phone, wide tables scrolling inside their own box.
 * Never: loads a web font or anything from another host (the LAN may be
 * offline), and never depends on script.
 */
#include "web_html.h"

static const char CSS[] =
    "*,*::before,*::after{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n"
    "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,"
    "sans-serif;font-size:16px;line-height:1.45;color:#1b1b1b;background:#f6f6f3}\n"
    "header{background:#24453a;color:#fff;padding:.5rem .75rem;display:flex;flex-wrap:wrap;"
    "align-items:center;gap:.5rem}\n"
    ".brand{font-weight:700;font-size:1.1rem;margin-right:.5rem}\n"
    "nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}\n"
    "nav a{color:#fff;text-decoration:none;padding:.35rem .5rem;border-radius:4px;"
    "display:inline-block}\n"
    "nav a:hover,nav a:focus{background:#36604f}\n"
    "nav a[aria-current=page]{background:#fff;color:#24453a;font-weight:600}\n"
    "header form{margin:0 0 0 auto}\n"
    "header button{background:transparent;color:#fff;border:1px solid #9db8ad;"
    "padding:.3rem .6rem}\n"
    "main{max-width:60rem;margin:0 auto;padding:.75rem}\n"
    "h1{font-size:1.4rem;margin:.5rem 0 .75rem}\n"
    "h2{font-size:1.15rem;margin:1.25rem 0 .5rem}\n"
    "a{color:#1d5c8c}\n"
    "footer{max-width:60rem;margin:2rem auto 1rem;padding:0 .75rem;color:#666;font-size:.85rem}\n"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 1rem}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;font-size:.95rem}\n"
    "th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}\n"
    "th{background:#ecefe9;font-weight:600}\n"
    "thead th{white-space:nowrap}\n"
    "tbody th{width:40%}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".item{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .75rem;"
    "margin:0 0 .75rem}\n"
    ".item h2{margin:0 0 .4rem;font-size:1.05rem}\n"
    ".item dl{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr;"
    "gap:.2rem .75rem;margin:0 0 .6rem}\n"
    ".item dt{font-weight:600;color:#444}\n"
    ".item dd{margin:0;overflow-wrap:anywhere}\n"
    ".item form{margin:0}\n"
    "progress{width:100%;max-width:12rem;height:1rem}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.5rem;"
    "margin:0 0 1rem}\n"
    ".card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem}\n"
    ".card .big{font-size:1.4rem;font-weight:700;display:block}\n"
    "form{margin:0 0 1rem}\n"
    ".field{margin:0 0 .6rem}\n"
    "label{display:block;font-weight:600;margin:0 0 .2rem}\n"
    "input,select,textarea,button{font:inherit}\n"
    "input[type=text],input[type=password],input[type=number],input[type=file],textarea,select"
    "{width:100%;max-width:28rem;padding:.45rem;border:1px solid #999;border-radius:4px;"
    "background:#fff}\n"
    "textarea{min-height:4rem}\n"
    "button{background:#24453a;color:#fff;border:0;border-radius:4px;padding:.5rem .9rem;"
    "cursor:pointer;margin:.15rem .25rem .15rem 0}\n"
    "button.secondary{background:#6b6b6b}\n"
    "button:focus,a:focus,input:focus{outline:2px solid #e0a100;outline-offset:2px}\n"
    ".notice{background:#e3f1e7;border-left:4px solid #2e7d4f;padding:.5rem .75rem}\n"
    ".errors{background:#fbe9e7;border-left:4px solid #b3261e;padding:.5rem .75rem;"
    "margin:0 0 1rem}\n"
    ".errors p{margin:0 0 .25rem;font-weight:600}\n"
    ".errors ul{margin:0;padding-left:1.2rem}\n"
    ".muted{color:#666}\n"
    ".when{white-space:nowrap}\n"
    ".state-failed,.state-unknown,.bad{color:#b3261e;font-weight:600}\n"
    ".good{color:#2e7d4f;font-weight:600}\n"
    ".decide{display:flex;flex-wrap:wrap;gap:.25rem;align-items:flex-end}\n"
    ".decide .field{flex:1 1 12rem;margin:0}\n"
    "@media (max-width:30rem){body{font-size:15px}th,td{padding:.35rem}"
    "header form{margin-left:0}}\n";

const char *web_html_css(size_t *len)
{
    *len = sizeof CSS - 1;
    return CSS;
}
