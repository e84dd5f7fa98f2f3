/*
 * cmd_modem.c - `kazi modem SUBCOMMAND`: tools an NGO runs to find and check
 * its modems. Owns the table of modem subcommands and their output (an
 * aligned table for people, --json for scripts). Never talks AT itself and
 * never keeps a port open after it returns.
 */
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "modem.h"
#include "port.h"

typedef struct modem_subcommand {
    const char *name;
    const char *args;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the modem subcommand's name */
} modem_subcommand;

static int modem_list(int argc, char **argv);
static int modem_probe(int argc, char **argv);

static const modem_subcommand modem_subcommands[] = {
    {"list", "[--json]", "serial ports found, with USB vendor, product and serial number",
     modem_list},
    {"probe", "PORT [--pin PIN] [--baud B] [--timeout S] [--json]",
     "ask one modem who it is: identity, operator, registration, signal, SIM storage, SMSC",
     modem_probe},
    {NULL, NULL, NULL, NULL},
};

static int modem_usage(FILE *out, int status)
{
    fprintf(out, "usage: kazi modem SUBCOMMAND [ARGS]\n\nsubcommands:\n");
    for (const modem_subcommand *c = modem_subcommands; c->name; c++)
        fprintf(out, "  %-6s %-10s %s\n", c->name, c->args, c->summary);
    return status;
}

/* The ports on this machine in a heap array (*n of them); NULL on error. */
static port_info *list_ports(size_t *n, kz_err *err)
{
    size_t cap = 16;
    for (;;) {
        port_info *ports = calloc(cap, sizeof *ports);
        if (!ports) {
            kz_err_set(err, KZ_ERR_NOMEM, KZ_NO_OFFSET, "out of memory");
            return NULL;
        }
        if (port_list(ports, cap, n, err) != KZ_OK) {
            free(ports);
            return NULL;
        }
        if (*n <= cap)
            return ports;
        free(ports); /* more ports than room: ask again with enough */
        cap = *n;
    }
}

static void print_no_ports(void)
{
    printf("No serial ports found.\n"
           "  - Plug the modem in, then run 'dmesg | tail -n 30': a modem appears as\n"
           "    ttyUSB* or ttyACM*.\n"
           "  - Huawei and many other USB sticks start as a virtual CD-ROM; usb_modeswitch\n"
           "    (Debian package usb-modeswitch) switches them to modem mode.\n"
           "  - A modem on the Raspberry Pi's UART needs the serial port enabled\n"
           "    (raspi-config) and is then /dev/serial0.\n"
           "  - No hardware? 'kazi sim' runs a simulated modem on a pseudo-terminal.\n");
}

/* "HUAWEI E3531" for USB ports, the description otherwise. */
static void device_text(const port_info *p, char *out, size_t cap)
{
    if (p->manufacturer[0] || p->product[0])
        snprintf(out, cap, "%s%s%s", p->manufacturer, p->manufacturer[0] ? " " : "",
                 p->product);
    else
        snprintf(out, cap, "%s", p->description[0] ? p->description : "-");
}

static void usb_id_text(const port_info *p, char *out, size_t cap)
{
    if (p->usb_vid >= 0 && p->usb_pid >= 0)
        snprintf(out, cap, "%04x:%04x", (unsigned)p->usb_vid & 0xFFFFu,
                 (unsigned)p->usb_pid & 0xFFFFu);
    else
        snprintf(out, cap, "-");
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static int any_by_id(const port_info *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ports[i].by_id[0])
            return 1;
    return 0;
}

static void print_table(const port_info *ports, size_t n)
{
    int wpath = 4, wserial = 6;
    for (size_t i = 0; i < n; i++) {
        wpath = max_int(wpath, (int)strlen(ports[i].path));
        wserial = max_int(wserial, (int)strlen(ports[i].usb_serial));
    }
    printf("%-*s  %-9s  %-*s  %s\n", wpath, "PORT", "USB ID", wserial, "SERIAL", "DEVICE");
    for (size_t i = 0; i < n; i++) {
        const port_info *p = &ports[i];
        char usb[16], dev[160];
        usb_id_text(p, usb, sizeof usb);
        device_text(p, dev, sizeof dev);
        printf("%-*s  %-9s  %-*s  %s\n", wpath, p->path, usb, wserial,
               p->usb_serial[0] ? p->usb_serial : "-", dev);
        if (p->by_id[0])
            printf("%-*s  stable name: %s\n", wpath, "", p->by_id);
    }
    printf("\n%zu serial port%s.\n", n, n == 1 ? "" : "s");
    if (any_by_id(ports, n))
        printf("In the configuration, prefer the stable name: it survives replugging and\n"
               "reboots, while ttyUSB numbers can change.\n");
}

/* A JSON string, or null for "". */
static json_t *json_str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *usb_json(const port_info *p)
{
    if (p->usb_vid < 0)
        return json_null();
    char vid[8], pid[8];
    snprintf(vid, sizeof vid, "%04x", (unsigned)p->usb_vid & 0xFFFFu);
    snprintf(pid, sizeof pid, "%04x", (unsigned)p->usb_pid & 0xFFFFu);
    json_t *o = json_object();
    json_object_set_new(o, "vid", json_string(vid));
    json_object_set_new(o, "pid", json_string(pid));
    json_object_set_new(o, "serial", json_str_or_null(p->usb_serial));
    json_object_set_new(o, "manufacturer", json_str_or_null(p->manufacturer));
    json_object_set_new(o, "product", json_str_or_null(p->product));
    return o;
}

static int print_json(const port_info *ports, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(ports[i].path));
        json_object_set_new(o, "by_id", json_str_or_null(ports[i].by_id));
        json_object_set_new(o, "description", json_str_or_null(ports[i].description));
        json_object_set_new(o, "usb", usb_json(&ports[i]));
        json_array_append_new(arr, o);
    }
    char *s = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(arr);
    if (!s) {
        fprintf(stderr, "kazi modem list: out of memory\n");
        return CLI_FAIL;
    }
    puts(s);
    free(s);
    return CLI_OK;
}

static int modem_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else
            return modem_usage(c == 'h' ? stdout : stderr, c == 'h' ? CLI_OK : CLI_USAGE);
    }
    if (optind != argc)
        return modem_usage(stderr, CLI_USAGE);
    kz_err err;
    kz_err_clear(&err);
    size_t n = 0;
    port_info *ports = list_ports(&n, &err);
    if (!ports) {
        fprintf(stderr, "kazi modem list: %s\n", err.msg);
        return CLI_FAIL;
    }
    int status = CLI_OK;
    if (json)
        status = print_json(ports, n);
    else if (n == 0)
        print_no_ports();
    else
        print_table(ports, n);
    free(ports);
    return status;
}

/* ---- kazi modem probe ---- */

#define PROBE_DEFAULT_TIMEOUT_S 30

typedef struct probe_opts {
    const char *port;
    const char *pin;
    int baud;
    int timeout_s;
    int json;
} probe_opts;

static int64_t probe_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_probe_opts(int argc, char **argv, probe_opts *o)
{
    static const struct option longopts[] = {
        {"pin", required_argument, NULL, 'p'},   {"baud", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    *o = (probe_opts){.baud = 115200, .timeout_s = PROBE_DEFAULT_TIMEOUT_S};
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:b:t:jh", longopts, NULL)) != -1) {
        if (c == 'p') {
            o->pin = optarg;
        } else if (c == 'b' || c == 't') {
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0 || v > 4000000) {
                fprintf(stderr, "kazi modem probe: bad --%s '%s'\n", c == 'b' ? "baud" : "timeout",
                        optarg);
                return CLI_USAGE;
            }
            *(c == 'b' ? &o->baud : &o->timeout_s) = (int)v;
        } else if (c == 'j') {
            o->json = 1;
        } else if (c == 'h') {
            modem_usage(stdout, CLI_OK);
            return -1; /* help shown: nothing to do */
        } else {
            return modem_usage(stderr, CLI_USAGE);
        }
    }
    if (optind != argc - 1)
        return modem_usage(stderr, CLI_USAGE);
    o->port = argv[optind];
    return CLI_OK;
}

/* Probe finished: the first poll is in, or the modem cannot get further. */
static int probe_settled(const modem_status *s)
{
    if (s->state == MODEM_PIN_NEEDED || s->state == MODEM_DEAD)
        return 1;
    return (s->state == MODEM_READY || s->state == MODEM_SEARCHING) && s->polls >= 1;
}

/* Drive the modem until it settles, the port cannot be opened, or time runs out. */
static void probe_run(modem *m, const probe_opts *o, modem_status *s)
{
    int64_t start = probe_now_ms(), end = start + (int64_t)o->timeout_s * 1000;
    for (;;) {
        int64_t now = probe_now_ms();
        modem_tick(m, now);
        modem_get_status(m, s);
        if (probe_settled(s) || now >= end)
            return;
        if (s->state == MODEM_CLOSED && s->last_error[0])
            return; /* could not open: no point waiting */
        int64_t next = modem_next_deadline(m);
        int wait = (int)(next - now < 0 ? 0 : (next - now > 200 ? 200 : next - now));
        struct pollfd p = {.fd = modem_fd(m), .events = modem_poll_events(m)};
        if (p.fd < 0) {
            poll(NULL, 0, wait);
            continue;
        }
        if (poll(&p, 1, wait) > 0 && p.revents)
            modem_on_io(m, p.revents, probe_now_ms());
    }
}

static const char *reg_text(int stat)
{
    static const char *const t[] = {"not registered, not searching", "registered (home network)",
                                    "searching for a network", "registration denied", "unknown",
                                    "registered (roaming)", "registered for SMS only (home)",
                                    "registered for SMS only (roaming)"};
    if (stat < 0 || stat >= (int)(sizeof t / sizeof t[0]))
        return "unknown";
    return t[stat];
}

static const char *signal_word(int dbm)
{
    if (dbm == 0)
        return "unknown";
    if (dbm >= -73)
        return "excellent";
    if (dbm >= -83)
        return "good";
    if (dbm >= -93)
        return "fair";
    return "poor: move the antenna or the modem";
}

static const char *or_dash(const char *s)
{
    return s[0] ? s : "-";
}

static void probe_print_text(const probe_opts *o, const modem_status *s)
{
    printf("Port:          %s\n", o->port);
    printf("State:         %s\n", modem_state_name(s->state));
    printf("Manufacturer:  %s\n", or_dash(s->manufacturer));
    printf("Model:         %s\n", or_dash(s->model));
    printf("Revision:      %s\n", or_dash(s->revision));
    printf("IMEI:          %s\n", or_dash(s->imei));
    printf("IMSI:          %s\n", or_dash(s->imsi));
    printf("Operator:      %s\n", or_dash(s->operator_name));
    printf("Registration:  %s\n", reg_text(s->reg_stat));
    if (s->signal_dbm)
        printf("Signal:        %d dBm (%s)\n", s->signal_dbm, signal_word(s->signal_dbm));
    else
        printf("Signal:        unknown\n");
    if (s->storage_total > 0)
        printf("SIM storage:   %s, %d of %d used\n", or_dash(s->storage), s->storage_used,
               s->storage_total);
    else
        printf("SIM storage:   unknown\n");
    printf("SMSC:          %s\n", or_dash(s->smsc));
}

static json_t *json_int_or_null(int v, int known)
{
    return known ? json_integer(v) : json_null();
}

static int probe_print_json(const probe_opts *o, const modem_status *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "port", json_string(o->port));
    json_object_set_new(j, "state", json_string(modem_state_name(s->state)));
    json_object_set_new(j, "manufacturer", json_str_or_null(s->manufacturer));
    json_object_set_new(j, "model", json_str_or_null(s->model));
    json_object_set_new(j, "revision", json_str_or_null(s->revision));
    json_object_set_new(j, "imei", json_str_or_null(s->imei));
    json_object_set_new(j, "imsi", json_str_or_null(s->imsi));
    json_object_set_new(j, "operator", json_str_or_null(s->operator_name));
    json_object_set_new(j, "registration", json_int_or_null(s->reg_stat, s->reg_stat >= 0));
    json_object_set_new(j, "signal_dbm", json_int_or_null(s->signal_dbm, s->signal_dbm != 0));
    json_object_set_new(j, "storage", json_str_or_null(s->storage));
    json_object_set_new(j, "storage_used", json_int_or_null(s->storage_used, s->storage_total > 0));
    json_object_set_new(j, "storage_total",
                        json_int_or_null(s->storage_total, s->storage_total > 0));
    json_object_set_new(j, "smsc", json_str_or_null(s->smsc));
    json_object_set_new(j, "error", json_str_or_null(s->state == MODEM_READY ? "" : s->last_error));
    char *txt = json_dumps(j, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(j);
    if (!txt) {
        fprintf(stderr, "kazi modem probe: out of memory\n");
        return CLI_FAIL;
    }
    puts(txt);
    free(txt);
    return CLI_OK;
}

/* One line on stderr saying why the modem is not usable; CLI_OK when it is. */
static int probe_verdict(const probe_opts *o, const modem_status *s)
{
    const char *p = o->port;
    switch (s->state) {
    case MODEM_READY:
        return CLI_OK;
    case MODEM_CLOSED:
        fprintf(stderr, "kazi modem probe: %s\n", s->last_error[0] ? s->last_error : p);
        return CLI_FAIL;
    case MODEM_PIN_NEEDED:
        fprintf(stderr, "kazi modem probe: %s: %s%s\n", p, s->last_error,
                o->pin ? "" : " (give it with --pin)");
        return CLI_FAIL;
    case MODEM_SEARCHING:
        fprintf(stderr, "kazi modem probe: %s: the modem works but is not registered on a "
                        "network: check the SIM is active, the antenna and coverage\n", p);
        return CLI_FAIL;
    default:
        break;
    }
    if (s->rx_bytes == 0)
        fprintf(stderr,
                "kazi modem probe: %s: no answer at all in %d s. Check the baud rate (--baud; "
                "115200 and 9600 are common), that this is the modem's AT port (USB modems "
                "have several: try the others 'kazi modem list' shows), and that the modem "
                "is not still in mass-storage (CD-ROM) mode (usb_modeswitch)\n",
                p, o->timeout_s);
    else
        fprintf(stderr, "kazi modem probe: %s: the modem answered but did not finish "
                        "initialising in %d s (%s): %s\n",
                p, o->timeout_s, modem_state_name(s->state),
                s->last_error[0] ? s->last_error : "no error reported");
    return CLI_FAIL;
}

static int modem_probe(int argc, char **argv)
{
    probe_opts o;
    int rc = parse_probe_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    modem_config cfg = {.name = "probe", .port = o.port, .baud = o.baud, .pin = o.pin,
                        .reopen_interval_ms = 1000, .max_resets = 1, .probe_only = true};
    modem_callbacks cb = {0};
    kz_err err;
    kz_err_clear(&err);
    modem *m = modem_new(&cfg, &cb, &err);
    if (!m) {
        fprintf(stderr, "kazi modem probe: %s\n", err.msg);
        return CLI_FAIL;
    }
    modem_status s;
    probe_run(m, &o, &s);
    modem_free(m);
    if (s.state == MODEM_CLOSED && s.rx_bytes == 0 && s.last_error[0]) {
        fprintf(stderr, "kazi modem probe: %s\n", s.last_error);
        return CLI_FAIL;
    }
    if (s.rx_bytes == 0 && s.state != MODEM_READY)
        return probe_verdict(&o, &s); /* nothing to show: say why */
    rc = o.json ? probe_print_json(&o, &s) : CLI_OK;
    if (!o.json)
        probe_print_text(&o, &s);
    int verdict = probe_verdict(&o, &s);
    return rc != CLI_OK ? rc : verdict;
}

static const modem_subcommand *find_subcommand(const char *name)
{
    for (const modem_subcommand *c = modem_subcommands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int cmd_modem(int argc, char **argv)
{
    if (argc < 2)
        return modem_usage(stderr, CLI_USAGE);
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return modem_usage(stdout, CLI_OK);
    const modem_subcommand *c = find_subcommand(name);
    if (!c) {
        fprintf(stderr, "kazi modem: unknown subcommand '%s' (try 'kazi modem help')\n", name);
        return CLI_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
