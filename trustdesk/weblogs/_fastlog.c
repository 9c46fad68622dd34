/*
 * The hot path of the web-log ingest, in C: parsing access-log lines and giving each visitor's
 * address its id in its month.
 *
 * Parser.parse(block, cutoff) reads a block of whole lines (UTF-8; the reader escapes what is not)
 * in the common, combined or vhost_combined format, exactly as the patterns of formats.py accept
 * them (RE2's \S: anything but tab, newline, form feed, carriage return and space), and returns
 * the columns of the lines to store, in the order of the lines, as bytes objects that Python wraps
 * without copying (numpy, Arrow). Every line is accounted for: stored, blank, rejected with its
 * reason, or past the retention window. The interpreter lock is released while it parses.
 *
 * Addresses keeps, for one ingest, each (month, site, address) seen with the days of the month it
 * was seen on, and each month's dictionary of stored values (tokens) to small ids: the month index
 * of store.py. The HMAC-SHA-256 tokens are computed here with OpenSSL's libcrypto; other kinds of
 * stored value are computed in Python and handed in.
 *
 * Nothing here logs, prints or puts a value of a log line in an exception message.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ---------------------------------------------------------------------------------------------
 * Line kinds, formats, columns
 */
enum { K_STORED = 0, K_BLANK = 1, K_FORMAT = 2, K_TIME = 3, K_SITE = 4, K_EXPIRED = 5, K_LONG = 6 };
enum { F_COMMON = 0, F_COMBINED = 1, F_VHOST = 2 };
enum { COL_METHOD = 0, COL_PATH, COL_PROTOCOL, COL_REFERRER, COL_AGENT, N_COLS };
/* What the policy keeps (Parser's fields mask). */
enum { KEEP_PATH = 1, KEEP_REFERRER = 2, KEEP_AGENT = 4 };

#define SITE_MAX 253
#define IP_TEXT_MAX 63

typedef struct {
    const uint8_t *p;
    Py_ssize_t n;
} span_t;

typedef struct {
    span_t vhost, ip, ts, request, status, size, referrer, agent;
    int ts_ok;        /* the time is valid: its moment is in ts_value */
    int64_t ts_value; /* seconds since 1970, UTC */
} fields_t;

static const uint8_t *time_prefix(const uint8_t *p, const uint8_t *end, int64_t *out);

/* RE2's \s: tab, newline, form feed, carriage return, space. */
static const uint8_t SPACE[256] = {['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1};
static inline int is_space(uint8_t c) { return SPACE[c]; }
static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* \S+ followed by one space; the span (if asked) and the position after the space. */
static int take_token(const uint8_t **pp, const uint8_t *end, span_t *out) {
    const uint8_t *p = *pp, *start = p;
    while (p < end && !is_space(*p)) p++;
    if (p == start || p >= end || *p != ' ') return 0;
    if (out) {
        out->p = start;
        out->n = p - start;
    }
    *pp = p + 1;
    return 1;
}

/* "((?:[^"\\]|\\.)*)": the content between the quotes, escapes kept as logged. The closing quote
 * is the first one that no backslash escapes; memchr finds the candidates. */
static int take_quoted(const uint8_t **pp, const uint8_t *end, span_t *out) {
    const uint8_t *p = *pp;
    if (p >= end || *p != '"') return 0;
    p++;
    const uint8_t *start = p;
    while (p < end) {
        const uint8_t *quote = memchr(p, '"', (size_t)(end - p));
        if (!quote) return 0;
        const uint8_t *escape = memchr(p, '\\', (size_t)(quote - p));
        if (!escape) {
            out->p = start;
            out->n = quote - start;
            *pp = quote + 1;
            return 1;
        }
        if (escape + 1 >= end || escape[1] == '\n') return 0; /* '.' does not match a newline */
        p = escape + 2;
    }
    return 0;
}

static int take_char(const uint8_t **pp, const uint8_t *end, uint8_t c) {
    if (*pp >= end || **pp != c) return 0;
    (*pp)++;
    return 1;
}

static int only_line_ends(const uint8_t *p, const uint8_t *end) {
    for (; p < end; p++)
        if (*p != '\r' && *p != '\n') return 0;
    return 1;
}

/* The whole pattern of the format; 1 when the line is in it. */
static int match_line(int fmt, const uint8_t *p, const uint8_t *end, fields_t *f) {
    if (fmt == F_VHOST && !take_token(&p, end, &f->vhost)) return 0;
    if (!take_token(&p, end, &f->ip)) return 0;
    if (!take_token(&p, end, NULL) || !take_token(&p, end, NULL)) return 0; /* identity, user */
    if (!take_char(&p, end, '[')) return 0;
    const uint8_t *ts = p;
    /* [^\]]+ then ]: a valid time holds no ']', so where one is read whole and a ']' follows, that
     * is the first ']'; otherwise look for it, and the time is not valid */
    const uint8_t *after = time_prefix(p, end, &f->ts_value);
    if (after && after < end && *after == ']') {
        f->ts_ok = 1;
        p = after;
    } else {
        const uint8_t *bracket = memchr(p, ']', (size_t)(end - p));
        if (!bracket || bracket == ts) return 0;
        f->ts_ok = 0;
        p = bracket;
    }
    f->ts.p = ts;
    f->ts.n = p - ts;
    p++;
    if (!take_char(&p, end, ' ') || !take_quoted(&p, end, &f->request) || !take_char(&p, end, ' ')) return 0;
    if (end - p < 4 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) || p[3] != ' ') return 0;
    f->status.p = p;
    f->status.n = 3;
    p += 4;
    const uint8_t *size = p;
    if (p < end && *p == '-') {
        p++;
    } else {
        while (p < end && is_digit(*p)) p++;
        if (p == size) return 0;
    }
    f->size.p = size;
    f->size.n = p - size;
    if (fmt == F_COMMON) return only_line_ends(p, end);
    if (!take_char(&p, end, ' ') || !take_quoted(&p, end, &f->referrer)) return 0;
    if (!take_char(&p, end, ' ') || !take_quoted(&p, end, &f->agent)) return 0;
    /* (?: [^\r\n]*)?[\r\n]*$ */
    if (p < end && *p == ' ') {
        p++;
        while (p < end && *p != '\r' && *p != '\n') p++;
    }
    return only_line_ends(p, end);
}

static int is_blank(const uint8_t *p, const uint8_t *end) {
    for (; p < end; p++)
        if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ') return 0;
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Time: D[D]/Mon/YYYY:H[H]:M[M]:S[S] +HHMM (also +HH:MM and +HH), the month's English
 * abbreviation in any case; a day that does not exist (31 Nov) is no time.
 */
static int digits(const uint8_t **pp, const uint8_t *end, int least, int most, int *value) {
    const uint8_t *p = *pp;
    int v = 0, count = 0;
    while (p < end && count < most && is_digit(*p)) {
        v = v * 10 + (*p - '0');
        p++;
        count++;
    }
    if (count < least || (p < end && is_digit(*p))) return 0;
    *value = v;
    *pp = p;
    return 1;
}

static const char MONTHS[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in(int64_t y, int m) {
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Read a time from p: the position just after it, with its moment as seconds since 1970 (UTC);
 * NULL when no valid time starts there. */
static const uint8_t *time_prefix(const uint8_t *p, const uint8_t *end, int64_t *out) {
    int day, month = 0, year, hour, minute, second, tz_h, tz_m = 0;
    if (!digits(&p, end, 1, 2, &day) || !take_char(&p, end, '/')) return NULL;
    if (end - p < 4) return NULL;
    for (int i = 0; i < 12; i++) {
        if ((p[0] | 0x20) == MONTHS[i][0] && (p[1] | 0x20) == MONTHS[i][1] && (p[2] | 0x20) == MONTHS[i][2]) {
            month = i + 1;
            break;
        }
    }
    if (!month) return NULL;
    p += 3;
    if (!take_char(&p, end, '/') || !digits(&p, end, 4, 4, &year) || !take_char(&p, end, ':')) return NULL;
    if (!digits(&p, end, 1, 2, &hour) || !take_char(&p, end, ':')) return NULL;
    if (!digits(&p, end, 1, 2, &minute) || !take_char(&p, end, ':')) return NULL;
    if (!digits(&p, end, 1, 2, &second) || !take_char(&p, end, ' ')) return NULL;
    if (p >= end || (*p != '+' && *p != '-')) return NULL;
    int sign = *p == '-' ? -1 : 1;
    p++;
    const uint8_t *zone = p;
    while (p < end && is_digit(*p)) p++;
    Py_ssize_t zone_digits = p - zone;
    if (zone_digits == 4) { /* +HHMM */
        tz_h = (zone[0] - '0') * 10 + (zone[1] - '0');
        tz_m = (zone[2] - '0') * 10 + (zone[3] - '0');
    } else if (zone_digits == 2) { /* +HH or +HH:MM */
        tz_h = (zone[0] - '0') * 10 + (zone[1] - '0');
        if (p < end && *p == ':') {
            p++;
            if (!digits(&p, end, 2, 2, &tz_m)) return NULL;
        }
    } else {
        return NULL;
    }
    if (year < 1 || day < 1 || day > days_in(year, month) || hour > 23 || minute > 59 || second > 59) return NULL;
    if (tz_h > 23 || tz_m > 59) return NULL;
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    *out = seconds - sign * (tz_h * 3600 + tz_m * 60);
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * Addresses: inet_pton's strict forms here; anything else (brackets, a zone) is left to Python.
 * family: 4 (IPv4, also an IPv4-mapped IPv6 address), 6, or 0 (for Python to decide).
 */
/* A dotted quad as inet_pton reads it: four decimal parts of 0 to 255, no leading zero. */
static int parse_ipv4(span_t s, uint8_t out[4]) {
    const uint8_t *p = s.p, *end = s.p + s.n;
    for (int part = 0; part < 4; part++) {
        if (part && !take_char(&p, end, '.')) return 0;
        const uint8_t *start = p;
        int value = 0;
        while (p < end && is_digit(*p) && p - start < 3) value = value * 10 + (*p++ - '0');
        if (p == start || (p < end && is_digit(*p)) || (p - start > 1 && *start == '0') || value > 255) return 0;
        out[part] = (uint8_t)value;
    }
    return p == end;
}

static uint8_t parse_ip(span_t s, uint8_t ip[16]) {
    memset(ip, 0, 16);
    if (parse_ipv4(s, ip)) return 4;
    if (s.n > IP_TEXT_MAX || !memchr(s.p, ':', (size_t)s.n) || memchr(s.p, 0, (size_t)s.n)) return 0;
    char text[IP_TEXT_MAX + 1];
    memcpy(text, s.p, (size_t)s.n);
    text[s.n] = 0;
    uint8_t six[16];
    if (inet_pton(AF_INET6, text, six) != 1) return 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(six, mapped, 12) == 0) {
        memcpy(ip, six + 12, 4);
        return 4;
    }
    memcpy(ip, six, 16);
    return 6;
}

/* ---------------------------------------------------------------------------------------------
 * UTF-8 validity (the reader escapes invalid bytes; this tells it when it must).
 */
static int valid_utf8(const uint8_t *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t word;
            memcpy(&word, s + i, 8);
            if (!(word & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && s[i + 1] < 0xA0) return 0; /* overlong */
            if (c == 0xED && s[i + 1] > 0x9F) return 0; /* surrogates */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if (c == 0xF0 && s[i + 1] < 0x90) return 0;
            if (c == 0xF4 && s[i + 1] > 0x8F) return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * A small open-addressing hash table of indexes into an array of entries (the caller compares).
 */
typedef struct {
    uint32_t *cells; /* entry index + 1; 0 is empty */
    uint64_t mask;
    uint64_t used;
} table_t;

static uint64_t hash_bytes(const uint8_t *p, Py_ssize_t n, uint64_t seed) {
    /* FNV-1a over 8-byte words, then a final mix: the keys are addresses and tokens of this
     * process, not chosen to collide with one another. */
    uint64_t h = 1469598103934665603ULL ^ seed;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int table_init(table_t *t, uint64_t cells) {
    t->cells = PyMem_RawCalloc(cells, sizeof(uint32_t));
    if (!t->cells) return -1;
    t->mask = cells - 1;
    t->used = 0;
    return 0;
}

static void table_free(table_t *t) {
    PyMem_RawFree(t->cells);
    t->cells = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Parser
 */
typedef struct {
    PyObject_HEAD int fmt;
    int site_from_vhost;
    int keep;            /* KEEP_* */
    int busy;            /* one parse at a time */
    PyObject *sites;     /* list of str: the site of each code */
    table_t site_table;  /* name -> code */
    char **site_names;   /* the names as bytes, for comparing */
    int32_t *site_lens;
    Py_ssize_t site_count, site_cap;
} Parser;

static void Parser_dealloc(Parser *self) {
    Py_XDECREF(self->sites);
    for (Py_ssize_t i = 0; i < self->site_count; i++) PyMem_RawFree(self->site_names[i]);
    PyMem_RawFree(self->site_names);
    PyMem_RawFree(self->site_lens);
    table_free(&self->site_table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The code of a site, adding it (without the interpreter lock: the list of str is made after). */
static int32_t site_code(Parser *self, const uint8_t *name, Py_ssize_t n) {
    uint64_t h = hash_bytes(name, n, 7);
    uint64_t i = h & self->site_table.mask;
    for (;;) {
        uint32_t cell = self->site_table.cells[i];
        if (!cell) break;
        Py_ssize_t code = cell - 1;
        if (self->site_lens[code] == n && memcmp(self->site_names[code], name, (size_t)n) == 0)
            return (int32_t)code;
        i = (i + 1) & self->site_table.mask;
    }
    if (self->site_count >= self->site_cap || (self->site_table.used + 1) * 2 > self->site_table.mask + 1) {
        return -1; /* full: the caller rejects the line as too many sites (never in practice) */
    }
    char *copy = PyMem_RawMalloc((size_t)n + 1);
    if (!copy) return -1;
    memcpy(copy, name, (size_t)n);
    copy[n] = 0;
    Py_ssize_t code = self->site_count++;
    self->site_names[code] = copy;
    self->site_lens[code] = (int32_t)n;
    self->site_table.cells[i] = (uint32_t)code + 1;
    self->site_table.used++;
    return (int32_t)code;
}

#define SITE_CAP (1 << 20)

static int Parser_init(Parser *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"fmt", "site", "keep", NULL};
    int fmt, keep;
    PyObject *site;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iOi", kwlist, &fmt, &site, &keep)) return -1;
    if (fmt < F_COMMON || fmt > F_VHOST) {
        PyErr_SetString(PyExc_ValueError, "fmt is 0 (common), 1 (combined) or 2 (vhost_combined)");
        return -1;
    }
    if (self->sites) {
        PyErr_SetString(PyExc_RuntimeError, "a Parser is initialised once");
        return -1;
    }
    self->fmt = fmt;
    self->keep = keep;
    self->site_cap = SITE_CAP;
    self->site_names = PyMem_RawCalloc(SITE_CAP, sizeof(char *));
    self->site_lens = PyMem_RawCalloc(SITE_CAP, sizeof(int32_t));
    self->sites = PyList_New(0);
    if (!self->site_names || !self->site_lens || !self->sites || table_init(&self->site_table, SITE_CAP * 2) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (site == Py_None) {
        if (fmt != F_VHOST) {
            PyErr_SetString(PyExc_ValueError, "a format without the virtual host needs a site");
            return -1;
        }
        self->site_from_vhost = 1;
    } else {
        Py_ssize_t n;
        const char *name = PyUnicode_AsUTF8AndSize(site, &n);
        if (!name) return -1;
        if (site_code(self, (const uint8_t *)name, n) != 0) {
            PyErr_NoMemory();
            return -1;
        }
        if (PyList_Append(self->sites, site) < 0) return -1;
    }
    return 0;
}

/* [a-z0-9_][a-z0-9._-]{0,252} or "-", from the virtual host lowered (ASCII), without :port and
 * trailing dots; written to out; 0 when it is no domain name. */
static Py_ssize_t clean_site(span_t v, uint8_t *out) {
    Py_ssize_t n = v.n;
    /* :[0-9]+$ */
    Py_ssize_t k = n;
    while (k > 0 && is_digit(v.p[k - 1])) k--;
    if (k < n && k > 0 && v.p[k - 1] == ':') n = k - 1;
    while (n > 0 && v.p[n - 1] == '.') n--;
    if (n == 0 || n > SITE_MAX) return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t c = v.p[i];
        if (c >= 'A' && c <= 'Z') c |= 0x20;
        int ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
        if (!ok && !(n == 1 && c == '-')) return 0;
        out[i] = c;
    }
    return n;
}

/* ^([A-Za-z]+) (\S+) (HTTP/[0-9.]+)$ over the request: method, target and protocol, or 0. */
static int split_request(span_t r, span_t *method, span_t *target, span_t *protocol) {
    const uint8_t *p = r.p, *end = r.p + r.n;
    const uint8_t *m = p;
    while (p < end && is_alpha(*p)) p++;
    if (p == m || p >= end || *p != ' ') return 0;
    method->p = m;
    method->n = p - m;
    p++;
    if (!take_token(&p, end, target)) return 0;
    if (end - p < 6 || memcmp(p, "HTTP/", 5) != 0) return 0;
    const uint8_t *proto = p;
    p += 5;
    const uint8_t *v = p;
    while (p < end && (is_digit(*p) || *p == '.')) p++;
    if (p == v || p != end) return 0;
    protocol->p = proto;
    protocol->n = end - proto;
    return 1;
}

/* A string column of a block, dictionary-encoded as it is read: each row the code of its value
 * (-1: none), each distinct value once (offsets into data), found again through a hash table. */
typedef struct {
    int32_t *codes;
    int64_t *offsets; /* of the values, count + 1 */
    uint8_t *data;
    int64_t used;
    int32_t count;
    uint64_t *hashes; /* of each value */
    table_t table;
} column_t;

/* The row's value (or none); -1 when there is no memory for a bigger table. */
static inline int put(column_t *c, Py_ssize_t row, const uint8_t *p, Py_ssize_t n, int valid) {
    if (!valid) {
        c->codes[row] = -1;
        return 0;
    }
    uint64_t h = hash_bytes(p, n, 0);
    uint64_t i = h & c->table.mask;
    for (;;) {
        uint32_t cell = c->table.cells[i];
        if (!cell) break;
        int32_t code = (int32_t)cell - 1;
        int64_t start = c->offsets[code];
        if (c->hashes[code] == h && c->offsets[code + 1] - start == n && memcmp(c->data + start, p, (size_t)n) == 0) {
            c->codes[row] = code;
            return 0;
        }
        i = (i + 1) & c->table.mask;
    }
    /* a new value (the table starts small, so that it stays in the cache, and grows) */
    int32_t code = c->count++;
    if (n) memcpy(c->data + c->used, p, (size_t)n);
    c->used += n;
    c->offsets[code + 1] = c->used;
    c->hashes[code] = h;
    c->table.cells[i] = (uint32_t)code + 1;
    c->codes[row] = code;
    if ((uint64_t)c->count * 2 > c->table.mask + 1) {
        table_t bigger;
        if (table_init(&bigger, (c->table.mask + 1) * 4) < 0) return -1;
        for (int32_t value = 0; value < c->count; value++) {
            uint64_t at = c->hashes[value] & bigger.mask;
            while (bigger.cells[at]) at = (at + 1) & bigger.mask;
            bigger.cells[at] = (uint32_t)value + 1;
        }
        table_free(&c->table);
        c->table = bigger;
    }
    return 0;
}

/* A bytes object of a size to be shrunk later, or NULL with MemoryError. */
static PyObject *buffer(Py_ssize_t size) { return PyBytes_FromStringAndSize(NULL, size > 0 ? size : 1); }

static uint8_t *data_of(PyObject *bytes) { return (uint8_t *)PyBytes_AS_STRING(bytes); }

/* Shrink to the size used (a realloc), or set an error. */
static int shrink(PyObject **bytes, Py_ssize_t size) { return _PyBytes_Resize(bytes, size); }

enum {
    O_KINDS,
    O_REJECTS,
    O_LINE,
    O_TS,
    O_DAY,
    O_MONTH,
    O_MDAY,
    O_SITE,
    O_STATUS,
    O_SIZE,
    O_FAMILY,
    O_IP,
    O_FALLBACK,
    O_STRINGS, /* then the codes, value offsets and value data of each column */
    N_OUT = O_STRINGS + 3 * N_COLS
};

PyDoc_STRVAR(Parser_parse_doc,
             "parse(block, cutoff, max_line, lines) -> tuple\n\n"
             "Parse a block of whole lines (as many as lines says); lines at or before cutoff (seconds since 1970, UTC) are "
             "counted as expired, lines longer than max_line bytes rejected. See "
             "trustdesk.weblogs.fastlog for what the tuple holds.");

static PyObject *Parser_parse(Parser *self, PyObject *args) {
    Py_buffer view;
    long long cutoff;
    Py_ssize_t max_line, lines;
    if (!PyArg_ParseTuple(args, "y*Lnn", &view, &cutoff, &max_line, &lines)) return NULL;
    const uint8_t *block = view.buf;
    Py_ssize_t size = view.len;
    PyObject *out[N_OUT] = {0};
    PyObject *result = NULL;
    column_t cols[N_COLS];
    memset(cols, 0, sizeof cols);
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "a Parser parses one block at a time");
        PyBuffer_Release(&view);
        return NULL;
    }
    /* Lines: every newline ends one; bytes after the last newline are one more. */
    if (lines < 0 || lines > size) {
        PyErr_SetString(PyExc_ValueError, "a block of that size cannot hold that many lines");
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t rows_cap = lines;
    out[O_KINDS] = buffer(lines);
    out[O_REJECTS] = buffer(lines * 3 * 8);
    out[O_LINE] = buffer(rows_cap * 4);
    out[O_TS] = buffer(rows_cap * 8);
    out[O_DAY] = buffer(rows_cap * 4);
    out[O_MONTH] = buffer(rows_cap * 4);
    out[O_MDAY] = buffer(rows_cap);
    out[O_SITE] = buffer(rows_cap * 4);
    out[O_STATUS] = buffer(rows_cap * 2);
    out[O_SIZE] = buffer(rows_cap * 8);
    out[O_FAMILY] = buffer(rows_cap);
    out[O_IP] = buffer(rows_cap * 16);
    out[O_FALLBACK] = buffer(rows_cap * 3 * 8);
    int keeps[N_COLS] = {self->keep & KEEP_PATH, self->keep & KEEP_PATH, self->keep & KEEP_PATH,
                         (self->keep & KEEP_REFERRER) && self->fmt != F_COMMON,
                         (self->keep & KEEP_AGENT) && self->fmt != F_COMMON};
    for (int c = 0; c < N_COLS; c++) {
        out[O_STRINGS + 3 * c] = buffer(rows_cap * 4);
        out[O_STRINGS + 3 * c + 1] = buffer((rows_cap + 1) * 8);
        out[O_STRINGS + 3 * c + 2] = buffer(keeps[c] ? size : 0);
    }
    for (int i = 0; i < N_OUT; i++)
        if (!out[i]) goto done;

    uint8_t *kinds = data_of(out[O_KINDS]);
    int64_t *rejects = (int64_t *)data_of(out[O_REJECTS]);
    int32_t *line_of = (int32_t *)data_of(out[O_LINE]);
    int64_t *ts_out = (int64_t *)data_of(out[O_TS]);
    int32_t *day_out = (int32_t *)data_of(out[O_DAY]);
    int32_t *month_out = (int32_t *)data_of(out[O_MONTH]);
    uint8_t *mday_out = data_of(out[O_MDAY]);
    int32_t *site_out = (int32_t *)data_of(out[O_SITE]);
    int16_t *status_out = (int16_t *)data_of(out[O_STATUS]);
    int64_t *size_out = (int64_t *)data_of(out[O_SIZE]);
    uint8_t *family_out = data_of(out[O_FAMILY]);
    uint8_t *ip_out = data_of(out[O_IP]);
    int64_t *fallback = (int64_t *)data_of(out[O_FALLBACK]);
    for (int c = 0; c < N_COLS; c++) {
        cols[c].codes = (int32_t *)data_of(out[O_STRINGS + 3 * c]);
        cols[c].offsets = (int64_t *)data_of(out[O_STRINGS + 3 * c + 1]);
        cols[c].data = data_of(out[O_STRINGS + 3 * c + 2]);
        cols[c].offsets[0] = 0;
        if (!keeps[c]) continue; /* every row -1: no table */
        cols[c].hashes = PyMem_RawMalloc(sizeof(uint64_t) * (size_t)(rows_cap ? rows_cap : 1));
        if (!cols[c].hashes || table_init(&cols[c].table, 1024) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    Py_ssize_t rows = 0, rejected = 0, fallbacks = 0, sites_before = self->site_count;
    int failed = 0, no_memory = 0, utf8 = 1, miscounted = 0;
    int64_t last_day = INT64_MIN;
    int32_t last_month = 0;
    uint8_t last_mday = 0;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS;
    uint8_t site_text[SITE_MAX + 1];
    const uint8_t *p = block, *end = block + size;
    for (Py_ssize_t line = 0; line < lines && !failed && !no_memory; line++) {
        if (p >= end) { /* fewer lines than the caller counted */
            miscounted = 1;
            break;
        }
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl + 1 : end;
        if (!valid_utf8(p, stop - p)) { /* checked line by line, while the line is in the cache */
            utf8 = 0;
            break;
        }
        fields_t f;
        f.referrer.p = f.agent.p = p; /* the common format has neither */
        f.referrer.n = f.agent.n = 0;
        int kind = K_STORED;
        int64_t ts = 0;
        int32_t code = 0;
        if (stop - p > max_line) {
            kind = K_LONG;
        } else if (!match_line(self->fmt, p, stop, &f)) {
            kind = is_blank(p, stop) ? K_BLANK : K_FORMAT;
        } else if (!f.ts_ok) {
            kind = K_TIME;
        } else if (self->site_from_vhost) {
            Py_ssize_t n = clean_site(f.vhost, site_text);
            code = n ? site_code(self, site_text, n) : -1;
            if (code < 0) {
                kind = K_SITE;
                if (n) failed = failed || self->site_count >= self->site_cap;
            }
        }
        if (kind == K_STORED) ts = f.ts_value;
        if (kind == K_STORED && ts <= cutoff) kind = K_EXPIRED;
        kinds[line] = (uint8_t)kind;
        if (kind != K_STORED) {
            if (kind != K_BLANK && kind != K_EXPIRED) {
                rejects[3 * rejected] = line;
                rejects[3 * rejected + 1] = p - block;
                rejects[3 * rejected + 2] = stop - block;
                rejected++;
            }
            p = stop;
            continue;
        }
        Py_ssize_t row = rows++;
        line_of[row] = (int32_t)line;
        ts_out[row] = ts;
        int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
        if (day != last_day) { /* lines come in time order: the date changes rarely */
            int64_t y;
            int m, d;
            civil_from_days(day, &y, &m, &d);
            last_day = day;
            last_month = (int32_t)(y * 100 + m);
            last_mday = (uint8_t)d;
        }
        day_out[row] = (int32_t)day;
        month_out[row] = last_month;
        mday_out[row] = last_mday;
        site_out[row] = code;
        status_out[row] = (int16_t)((f.status.p[0] - '0') * 100 + (f.status.p[1] - '0') * 10 + (f.status.p[2] - '0'));
        int64_t bytes = -1;
        if (!(f.size.n == 1 && f.size.p[0] == '-') && f.size.n <= 18) {
            bytes = 0;
            for (Py_ssize_t i = 0; i < f.size.n; i++) bytes = bytes * 10 + (f.size.p[i] - '0');
        } else if (f.size.n > 18) { /* past BIGINT, or nearly: no size, as a failed cast gives */
            int64_t v = 0;
            int over = 0;
            for (Py_ssize_t i = 0; i < f.size.n && !over; i++) {
                int digit = f.size.p[i] - '0';
                if (v > (INT64_MAX - digit) / 10) over = 1;
                else v = v * 10 + digit;
            }
            bytes = over ? -1 : v;
        }
        size_out[row] = bytes;
        uint8_t family = parse_ip(f.ip, ip_out + 16 * row);
        family_out[row] = family;
        if (!family) {
            fallback[3 * fallbacks] = row;
            fallback[3 * fallbacks + 1] = f.ip.p - block;
            fallback[3 * fallbacks + 2] = f.ip.p + f.ip.n - block;
            fallbacks++;
        }
        int stored = 0;
        if (keeps[COL_PATH]) {
            span_t method, target, protocol;
            if (split_request(f.request, &method, &target, &protocol)) {
                stored |= put(&cols[COL_METHOD], row, method.p, method.n, 1);
                stored |= put(&cols[COL_PATH], row, target.p, target.n, 1);
                stored |= put(&cols[COL_PROTOCOL], row, protocol.p, protocol.n, 1);
            } else {
                stored |= put(&cols[COL_METHOD], row, NULL, 0, 0);
                stored |= put(&cols[COL_PATH], row, f.request.p, f.request.n, 1);
                stored |= put(&cols[COL_PROTOCOL], row, NULL, 0, 0);
            }
        } else {
            for (int c = COL_METHOD; c <= COL_PROTOCOL; c++) stored |= put(&cols[c], row, NULL, 0, 0);
        }
        int ref_ok = keeps[COL_REFERRER] && !(f.referrer.n == 1 && f.referrer.p[0] == '-');
        stored |= put(&cols[COL_REFERRER], row, f.referrer.p, f.referrer.n, ref_ok);
        int agent_ok = keeps[COL_AGENT] && !(f.agent.n == 1 && f.agent.p[0] == '-');
        stored |= put(&cols[COL_AGENT], row, f.agent.p, f.agent.n, agent_ok);
        if (stored < 0) no_memory = 1;
        p = stop;
    }
    if (utf8 && !failed && !no_memory && p != end) miscounted = 1; /* more lines than counted */
    Py_END_ALLOW_THREADS;
    self->busy = 0;
    for (Py_ssize_t code = sites_before; code < self->site_count; code++) { /* the names of new codes */
        PyObject *name = PyUnicode_FromStringAndSize(self->site_names[code], self->site_lens[code]);
        if (!name || PyList_Append(self->sites, name) < 0) {
            Py_XDECREF(name);
            goto done;
        }
        Py_DECREF(name);
    }
    if (miscounted) {
        PyErr_SetString(PyExc_ValueError, "the block holds another number of lines than given");
        goto done;
    }
    if (no_memory) {
        PyErr_NoMemory();
        goto done;
    }
    if (failed) {
        PyErr_SetString(PyExc_OverflowError, "more than a million sites in one ingest");
        goto done;
    }
    if (!utf8) { /* nothing of it is kept: the caller escapes the block and parses it again */
        result = Py_BuildValue("(nOn()[])", (Py_ssize_t)0, Py_False, (Py_ssize_t)0);
        goto done;
    }
    if (shrink(&out[O_REJECTS], rejected * 3 * 8) < 0 || shrink(&out[O_LINE], rows * 4) < 0 ||
        shrink(&out[O_TS], rows * 8) < 0 || shrink(&out[O_DAY], rows * 4) < 0 ||
        shrink(&out[O_MONTH], rows * 4) < 0 || shrink(&out[O_MDAY], rows) < 0 ||
        shrink(&out[O_SITE], rows * 4) < 0 || shrink(&out[O_STATUS], rows * 2) < 0 ||
        shrink(&out[O_SIZE], rows * 8) < 0 || shrink(&out[O_FAMILY], rows) < 0 ||
        shrink(&out[O_IP], rows * 16) < 0 || shrink(&out[O_FALLBACK], fallbacks * 3 * 8) < 0)
        goto done;
    for (int c = 0; c < N_COLS; c++) {
        if (shrink(&out[O_STRINGS + 3 * c], rows * 4) < 0 ||
            shrink(&out[O_STRINGS + 3 * c + 1], ((Py_ssize_t)cols[c].count + 1) * 8) < 0 ||
            shrink(&out[O_STRINGS + 3 * c + 2], cols[c].used) < 0)
            goto done;
    }
    {
        PyObject *tuple = PyTuple_New(N_OUT);
        if (!tuple) goto done;
        for (int i = 0; i < N_OUT; i++) {
            PyTuple_SET_ITEM(tuple, i, out[i]);
            out[i] = NULL;
        }
        PyObject *sites = PyList_GetSlice(self->sites, 0, PyList_GET_SIZE(self->sites));
        if (!sites) {
            Py_DECREF(tuple);
            goto done;
        }
        result = Py_BuildValue("(nOnNN)", lines, Py_True, rows, tuple, sites);
    }
done:
    for (int c = 0; c < N_COLS; c++) {
        PyMem_RawFree(cols[c].hashes);
        table_free(&cols[c].table);
    }
    for (int i = 0; i < N_OUT; i++) Py_XDECREF(out[i]);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef Parser_methods[] = {
    {"parse", (PyCFunction)Parser_parse, METH_VARARGS, Parser_parse_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ParserType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "trustdesk.weblogs._fastlog.Parser",
    .tp_basicsize = sizeof(Parser),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Parser(fmt, site, keep): parses blocks of lines of one format."),
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Parser_init,
    .tp_dealloc = (destructor)Parser_dealloc,
    .tp_methods = Parser_methods,
};

/* ---------------------------------------------------------------------------------------------
 * Addresses
 *
 * A slot for each (month, address) of the ingest: its id in the month once its token is resolved,
 * and the days of the month it was seen on per site (the first site's in the slot, any other's in
 * the side table "extras"). A month's ids run from 0 (or from after the ids its index already
 * gives); the tokens this ingest adds are kept in order ("added") for the month's new index.
 * The token table (token -> id) is consulted only where it matters: for a month whose index was
 * loaded (an address it already has keeps its id), and where addresses may share a stored value
 * (truncation to a network: "dedupe"). Otherwise different addresses have different tokens.
 */
typedef struct {
    uint64_t hash;
    int32_t month;
    int32_t id; /* -1: no token (yet, or ever: the month's key is destroyed) */
    int32_t site;
    uint32_t days;
    uint8_t family;
    uint8_t resolved;
    uint8_t ip[16];
} slot_t;

typedef struct {
    uint64_t hash;
    int32_t slot;
    int32_t site;
    uint32_t days;
} extra_t;

typedef struct {
    uint64_t hash;
    int64_t offset; /* of the token in the arena */
    int32_t length;
    int32_t month;
    int32_t id;
} name_t;

typedef struct {
    int64_t offset;
    int32_t length;
    int32_t month;
    int32_t id;
} added_t;

typedef struct {
    int32_t month;
    int32_t next_id;
    int loaded;
    int64_t changes; /* slots added or days marked: a month's index is final once this stops */
    table_t slots;   /* the month's addresses -> their slot: a table per month stays small, and a
                        month the log has left is not in the way of the next one's */
} month_t;

typedef struct {
    PyObject_HEAD slot_t *slots;
    Py_ssize_t slot_count, slot_cap;
    extra_t *extras;
    Py_ssize_t extra_count, extra_cap;
    table_t extra_table;
    name_t *names;
    Py_ssize_t name_count, name_cap;
    table_t name_table;
    added_t *added;
    Py_ssize_t added_count, added_cap;
    uint8_t *arena;
    int64_t arena_used, arena_cap;
    month_t *months;
    Py_ssize_t month_count, month_cap;
} Addresses;

static void Addresses_dealloc(Addresses *self) {
    for (Py_ssize_t i = 0; i < self->month_count; i++) table_free(&self->months[i].slots);
    PyMem_RawFree(self->slots);
    PyMem_RawFree(self->extras);
    PyMem_RawFree(self->names);
    PyMem_RawFree(self->added);
    PyMem_RawFree(self->arena);
    PyMem_RawFree(self->months);
    table_free(&self->extra_table);
    table_free(&self->name_table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Addresses_init(Addresses *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "", kwlist)) return -1;
    if (self->slots) {
        PyErr_SetString(PyExc_RuntimeError, "Addresses are initialised once");
        return -1;
    }
    self->slot_cap = self->extra_cap = self->name_cap = self->added_cap = 1024;
    self->arena_cap = 16384;
    self->month_cap = 16;
    self->slots = PyMem_RawMalloc(sizeof(slot_t) * self->slot_cap);
    self->extras = PyMem_RawMalloc(sizeof(extra_t) * self->extra_cap);
    self->names = PyMem_RawMalloc(sizeof(name_t) * self->name_cap);
    self->added = PyMem_RawMalloc(sizeof(added_t) * self->added_cap);
    self->arena = PyMem_RawMalloc((size_t)self->arena_cap);
    self->months = PyMem_RawMalloc(sizeof(month_t) * self->month_cap);
    if (!self->slots || !self->extras || !self->names || !self->added || !self->arena || !self->months ||
        table_init(&self->extra_table, 2048) < 0 ||
        table_init(&self->name_table, 2048) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Grow an open-addressing table to four times its cells, re-inserting its entries by their stored
 * hashes (the first field of every entry). */
static int regrow(table_t *t, const void *entries, size_t stride) {
    table_t bigger;
    if (table_init(&bigger, (t->mask + 1) * 4) < 0) return -1;
    for (uint64_t c = 0; c <= t->mask; c++) {
        uint32_t cell = t->cells[c];
        if (!cell) continue;
        uint64_t h = *(const uint64_t *)((const uint8_t *)entries + stride * (size_t)(cell - 1));
        uint64_t i = h & bigger.mask;
        while (bigger.cells[i]) i = (i + 1) & bigger.mask;
        bigger.cells[i] = cell;
    }
    bigger.used = t->used;
    table_free(t);
    *t = bigger;
    return 0;
}

/* Room for one more item in a growable array; -1 when there is no memory or too many. */
#define MAX_ENTRIES 0x7fff0000
static int room(void **array, Py_ssize_t count, Py_ssize_t *cap, size_t item) {
    if (count >= MAX_ENTRIES) return -1;
    if (count < *cap) return 0;
    Py_ssize_t bigger = *cap * 2;
    void *moved = PyMem_RawRealloc(*array, item * (size_t)bigger);
    if (!moved) return -1;
    *array = moved;
    *cap = bigger;
    return 0;
}

/* A table that has taken one more entry grows when half full. */
static int settle(table_t *t, const void *entries, size_t stride) {
    t->used++;
    if (t->used * 2 > t->mask + 1) return regrow(t, entries, stride);
    return 0;
}

static int64_t keep_token(Addresses *self, const uint8_t *token, int32_t length) {
    while (self->arena_used + length > self->arena_cap) {
        int64_t bigger = self->arena_cap * 2;
        uint8_t *moved = PyMem_RawRealloc(self->arena, (size_t)bigger);
        if (!moved) return -1;
        self->arena = moved;
        self->arena_cap = bigger;
    }
    int64_t offset = self->arena_used;
    if (length) memcpy(self->arena + offset, token, (size_t)length);
    self->arena_used += length;
    return offset;
}

static month_t *month_of(Addresses *self, int32_t month) {
    for (Py_ssize_t i = 0; i < self->month_count; i++)
        if (self->months[i].month == month) return &self->months[i];
    if (room((void **)&self->months, self->month_count, &self->month_cap, sizeof(month_t)) < 0) return NULL;
    month_t *m = &self->months[self->month_count];
    if (table_init(&m->slots, 1024) < 0) return NULL;
    self->month_count++;
    m->month = month;
    m->next_id = 0;
    m->loaded = 0;
    m->changes = 0;
    return m;
}

static uint64_t name_hash(int32_t month, const uint8_t *token, int32_t length) {
    return hash_bytes(token, length, (uint64_t)(uint32_t)month * 0x9E3779B97F4A7C15ULL);
}

/* The id of a month's token in the token table, or -2. */
static int32_t find_name(Addresses *self, int32_t month, const uint8_t *token, int32_t length, uint64_t h) {
    for (uint64_t i = h & self->name_table.mask;; i = (i + 1) & self->name_table.mask) {
        uint32_t cell = self->name_table.cells[i];
        if (!cell) return -2;
        name_t *n = &self->names[cell - 1];
        if (n->hash == h && n->month == month && n->length == length &&
            memcmp(self->arena + n->offset, token, (size_t)length) == 0)
            return n->id;
    }
}

/* Add a month's token (already in the arena at offset) with its id to the token table. */
static int add_name(Addresses *self, int32_t month, int64_t offset, int32_t length, int32_t id, uint64_t h) {
    if (room((void **)&self->names, self->name_count, &self->name_cap, sizeof(name_t)) < 0) return -1;
    uint64_t i = h & self->name_table.mask;
    while (self->name_table.cells[i]) i = (i + 1) & self->name_table.mask;
    name_t *n = &self->names[self->name_count];
    n->hash = h;
    n->offset = offset;
    n->length = length;
    n->month = month;
    n->id = id;
    self->name_table.cells[i] = (uint32_t)self->name_count + 1;
    self->name_count++;
    return settle(&self->name_table, self->names, sizeof(name_t));
}

static int check_buffer(Py_buffer *b, Py_ssize_t items, Py_ssize_t item, const char *name) {
    if (b->len != items * item) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, not %zd", name, b->len, items * item);
        return -1;
    }
    return 0;
}

/* Mark a day of the month on a slot for a site: 1 when it was not marked yet, -1 on no memory. */
static int mark(Addresses *self, int32_t slot, int32_t site, uint8_t mday) {
    if (mday < 1 || mday > 31) return 0;
    uint32_t bit = 1u << (mday - 1);
    slot_t *s = &self->slots[slot];
    if (s->site == site) {
        int fresh = !(s->days & bit);
        s->days |= bit;
        return fresh;
    }
    uint8_t key[8];
    memcpy(key, &slot, 4);
    memcpy(key + 4, &site, 4);
    uint64_t h = hash_bytes(key, 8, 3);
    uint64_t i = h & self->extra_table.mask;
    for (;; i = (i + 1) & self->extra_table.mask) {
        uint32_t cell = self->extra_table.cells[i];
        if (!cell) break;
        extra_t *e = &self->extras[cell - 1];
        if (e->slot == slot && e->site == site) {
            int fresh = !(e->days & bit);
            e->days |= bit;
            return fresh;
        }
    }
    if (room((void **)&self->extras, self->extra_count, &self->extra_cap, sizeof(extra_t)) < 0) return -1;
    extra_t *e = &self->extras[self->extra_count];
    e->hash = h;
    e->slot = slot;
    e->site = site;
    e->days = bit;
    self->extra_table.cells[i] = (uint32_t)self->extra_count + 1;
    self->extra_count++;
    return settle(&self->extra_table, self->extras, sizeof(extra_t)) < 0 ? -1 : 1;
}

PyDoc_STRVAR(Addresses_intern_doc,
             "intern(month, site, family, ip, mday) -> (slots, first_new)\n\n"
             "The slot of each row's (month, address), int32 bytes (-1 where family is 0), with the "
             "row's day of the month marked for its site; slots from first_new on are new and need "
             "a token.");

static PyObject *Addresses_intern(Addresses *self, PyObject *args) {
    Py_buffer month, site, family, ip, mday;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*", &month, &site, &family, &ip, &mday)) return NULL;
    PyObject *result = NULL, *slots = NULL;
    Py_ssize_t rows = family.len;
    if (check_buffer(&month, rows, 4, "month") < 0 || check_buffer(&site, rows, 4, "site") < 0 ||
        check_buffer(&ip, rows, 16, "ip") < 0 || check_buffer(&mday, rows, 1, "mday") < 0)
        goto done;
    slots = PyBytes_FromStringAndSize(NULL, rows * 4);
    if (!slots) goto done;
    Py_ssize_t first_new = self->slot_count;
    int failed = 0;
    {
        const int32_t *months = month.buf, *sites = site.buf;
        const uint8_t *families = family.buf, *ips = ip.buf, *mdays = mday.buf;
        int32_t *out = (int32_t *)PyBytes_AS_STRING(slots);
        month_t *current = NULL;
        Py_BEGIN_ALLOW_THREADS;
        for (Py_ssize_t r = 0; r < rows && !failed; r++) {
            if (!families[r]) {
                out[r] = -1;
                continue;
            }
            if (!current || current->month != months[r]) {
                current = month_of(self, months[r]);
                if (!current) {
                    failed = 1;
                    break;
                }
            }
            const uint8_t *address = ips + 16 * r;
            uint8_t key[21];
            memcpy(key, &months[r], 4);
            key[4] = families[r];
            memcpy(key + 5, address, 16);
            uint64_t h = hash_bytes(key, 21, 0);
            table_t *table = &current->slots;
            uint64_t i = h & table->mask;
            int32_t found = -1;
            for (;; i = (i + 1) & table->mask) {
                uint32_t cell = table->cells[i];
                if (!cell) break;
                slot_t *s = &self->slots[cell - 1];
                if (s->hash == h && s->month == months[r] && s->family == families[r] &&
                    memcmp(s->ip, address, 16) == 0) {
                    found = (int32_t)(cell - 1);
                    break;
                }
            }
            if (found < 0) {
                if (room((void **)&self->slots, self->slot_count, &self->slot_cap, sizeof(slot_t)) < 0) {
                    failed = 1;
                    break;
                }
                slot_t *s = &self->slots[self->slot_count];
                s->hash = h;
                s->month = months[r];
                s->site = sites[r];
                s->family = families[r];
                memcpy(s->ip, address, 16);
                s->id = -1;
                s->days = 0;
                s->resolved = 0;
                found = (int32_t)self->slot_count++;
                table->cells[i] = (uint32_t)found + 1;
                if (settle(table, self->slots, sizeof(slot_t)) < 0) {
                    failed = 1;
                    break;
                }
            }
            int fresh = mark(self, found, sites[r], mdays[r]);
            if (fresh < 0) {
                failed = 1;
                break;
            }
            current->changes += fresh;
            out[r] = found;
        }
        Py_END_ALLOW_THREADS;
    }
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(On)", slots, first_new);
done:
    Py_XDECREF(slots);
    PyBuffer_Release(&month);
    PyBuffer_Release(&site);
    PyBuffer_Release(&family);
    PyBuffer_Release(&ip);
    PyBuffer_Release(&mday);
    return result;
}

static int check_first(Addresses *self, Py_ssize_t first) {
    if (first < 0 || first > self->slot_count) {
        PyErr_SetString(PyExc_IndexError, "no such slot");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(Addresses_pending_doc,
             "pending(first) -> (month, family, ip)\n\n"
             "The month (int32 bytes), family and 16 address bytes of the slots from first on.");

static PyObject *Addresses_pending(Addresses *self, PyObject *args) {
    Py_ssize_t first;
    if (!PyArg_ParseTuple(args, "n", &first) || check_first(self, first) < 0) return NULL;
    Py_ssize_t k = self->slot_count - first;
    PyObject *months = PyBytes_FromStringAndSize(NULL, k * 4);
    PyObject *families = PyBytes_FromStringAndSize(NULL, k);
    PyObject *ips = PyBytes_FromStringAndSize(NULL, k * 16);
    if (!months || !families || !ips) {
        Py_XDECREF(months);
        Py_XDECREF(families);
        Py_XDECREF(ips);
        return NULL;
    }
    int32_t *m = (int32_t *)PyBytes_AS_STRING(months);
    uint8_t *f = (uint8_t *)PyBytes_AS_STRING(families), *a = (uint8_t *)PyBytes_AS_STRING(ips);
    for (Py_ssize_t i = 0; i < k; i++) {
        slot_t *s = &self->slots[first + i];
        m[i] = s->month;
        f[i] = s->family;
        memcpy(a + 16 * i, s->ip, 16);
    }
    return Py_BuildValue("(NNN)", months, families, ips);
}

/* A month key's HMAC-SHA-256 states after the padded key block. */
typedef struct {
    int32_t month;
    EVP_MD_CTX *inner, *outer;
} hmac_key_t;

static void free_keys(hmac_key_t *keys, Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < count; i++) {
        EVP_MD_CTX_free(keys[i].inner);
        EVP_MD_CTX_free(keys[i].outer);
    }
    PyMem_Free(keys);
}

PyDoc_STRVAR(Addresses_hmac_doc,
             "hmac(first, keys) -> (tokens, has)\n\n"
             "The HMAC-SHA-256 of the packed address (4 or 16 bytes), its first 16 bytes, of each slot "
             "from first on, under keys[month] (32 bytes, or None where the month's key is destroyed: "
             "has is 0 there and the token's bytes are zero).");

static PyObject *Addresses_hmac(Addresses *self, PyObject *args) {
    Py_ssize_t first;
    PyObject *keys;
    if (!PyArg_ParseTuple(args, "nO!", &first, &PyDict_Type, &keys) || check_first(self, first) < 0) return NULL;
    Py_ssize_t count = PyDict_Size(keys), pos = 0, made = 0;
    hmac_key_t *ring = PyMem_Calloc(count ? count : 1, sizeof(hmac_key_t));
    if (!ring) return PyErr_NoMemory();
    PyObject *k, *v, *result = NULL, *tokens = NULL, *has = NULL;
    const EVP_MD *sha256 = EVP_sha256();
    while (PyDict_Next(keys, &pos, &k, &v)) {
        long month = PyLong_AsLong(k);
        if (month == -1 && PyErr_Occurred()) goto done;
        hmac_key_t *key = &ring[made++];
        key->month = (int32_t)month;
        if (v == Py_None) continue;
        char *secret;
        Py_ssize_t length;
        if (PyBytes_AsStringAndSize(v, &secret, &length) < 0) goto done;
        if (length != 32) {
            PyErr_SetString(PyExc_ValueError, "an HMAC key has 32 bytes");
            goto done;
        }
        uint8_t ipad[64], opad[64];
        memset(ipad, 0x36, 64);
        memset(opad, 0x5c, 64);
        for (int i = 0; i < 32; i++) {
            ipad[i] ^= (uint8_t)secret[i];
            opad[i] ^= (uint8_t)secret[i];
        }
        key->inner = EVP_MD_CTX_new();
        key->outer = EVP_MD_CTX_new();
        int ready = key->inner && key->outer && EVP_DigestInit_ex(key->inner, sha256, NULL) == 1 &&
                    EVP_DigestUpdate(key->inner, ipad, 64) == 1 &&
                    EVP_DigestInit_ex(key->outer, sha256, NULL) == 1 && EVP_DigestUpdate(key->outer, opad, 64) == 1;
        OPENSSL_cleanse(ipad, sizeof ipad);
        OPENSSL_cleanse(opad, sizeof opad);
        if (!ready) {
            PyErr_SetString(PyExc_RuntimeError, "libcrypto could not set up SHA-256");
            goto done;
        }
    }
    Py_ssize_t n = self->slot_count - first;
    tokens = PyBytes_FromStringAndSize(NULL, n * 16);
    has = PyBytes_FromStringAndSize(NULL, n);
    if (!tokens || !has) goto done;
    int failed = 0;
    {
        uint8_t *t = (uint8_t *)PyBytes_AS_STRING(tokens), *h = (uint8_t *)PyBytes_AS_STRING(has);
        Py_BEGIN_ALLOW_THREADS;
        EVP_MD_CTX *work = EVP_MD_CTX_new();
        hmac_key_t *last = NULL;
        if (!work) failed = 1;
        for (Py_ssize_t i = 0; i < n && !failed; i++) {
            slot_t *s = &self->slots[first + i];
            if (!last || last->month != s->month) {
                last = NULL;
                for (Py_ssize_t j = 0; j < made; j++)
                    if (ring[j].month == s->month) last = &ring[j];
            }
            if (!last || !last->inner) {
                h[i] = 0;
                memset(t + 16 * i, 0, 16);
                continue;
            }
            uint8_t digest[EVP_MAX_MD_SIZE];
            unsigned int length;
            if (EVP_MD_CTX_copy_ex(work, last->inner) != 1 ||
                EVP_DigestUpdate(work, s->ip, s->family == 4 ? 4 : 16) != 1 ||
                EVP_DigestFinal_ex(work, digest, &length) != 1 || EVP_MD_CTX_copy_ex(work, last->outer) != 1 ||
                EVP_DigestUpdate(work, digest, length) != 1 || EVP_DigestFinal_ex(work, digest, &length) != 1) {
                failed = 1;
                break;
            }
            memcpy(t + 16 * i, digest, 16);
            h[i] = 1;
        }
        EVP_MD_CTX_free(work);
        Py_END_ALLOW_THREADS;
    }
    if (failed) {
        PyErr_SetString(PyExc_RuntimeError, "libcrypto could not compute an HMAC");
        goto done;
    }
    result = Py_BuildValue("(OO)", tokens, has);
done:
    Py_XDECREF(tokens);
    Py_XDECREF(has);
    free_keys(ring, made);
    return result;
}

PyDoc_STRVAR(Addresses_resolve_doc,
             "resolve(first, tokens, lengths, dedupe) -> None\n\n"
             "Give each slot from first on the id of its token in its month: the id the month's index "
             "gives it, or the month's next. tokens: the tokens one after the other; lengths: int32 "
             "bytes, the length of each, -1 where there is none (the slot gets no id). dedupe: "
             "different addresses may have one token (a network), which then has one id.");

static PyObject *Addresses_resolve(Addresses *self, PyObject *args) {
    Py_ssize_t first;
    Py_buffer tokens, lengths;
    int dedupe;
    if (!PyArg_ParseTuple(args, "ny*y*p", &first, &tokens, &lengths, &dedupe)) return NULL;
    PyObject *result = NULL;
    if (check_first(self, first) < 0) goto done;
    Py_ssize_t n = self->slot_count - first;
    if (check_buffer(&lengths, n, 4, "lengths") < 0) goto done;
    const int32_t *len = lengths.buf;
    const uint8_t *t = tokens.buf;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) /* checked whole before any slot changes */
        if (len[i] > 0) at += len[i];
    if (at != tokens.len) {
        PyErr_SetString(PyExc_ValueError,
                        at > tokens.len ? "the lengths run past the tokens" : "the tokens are longer than the lengths say");
        goto done;
    }
    at = 0;
    month_t *m = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        slot_t *s = &self->slots[first + i];
        s->resolved = 1;
        s->id = -1;
        if (len[i] < 0) continue;
        const uint8_t *token = t + at;
        at += len[i];
        if (!m || m->month != s->month) m = month_of(self, s->month);
        if (!m) {
            PyErr_NoMemory();
            goto done;
        }
        uint64_t h = 0;
        if (m->loaded || dedupe) {
            h = name_hash(s->month, token, len[i]);
            int32_t id = find_name(self, s->month, token, len[i], h);
            if (id >= 0) {
                s->id = id;
                continue;
            }
        }
        if (m->next_id == INT32_MAX ||
            room((void **)&self->added, self->added_count, &self->added_cap, sizeof(added_t)) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        int64_t offset = keep_token(self, token, len[i]);
        if (offset < 0 || (dedupe && add_name(self, s->month, offset, len[i], m->next_id, h) < 0)) {
            PyErr_NoMemory();
            goto done;
        }
        added_t *a = &self->added[self->added_count++];
        a->offset = offset;
        a->length = len[i];
        a->month = s->month;
        a->id = m->next_id++;
        s->id = a->id;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&tokens);
    PyBuffer_Release(&lengths);
    return result;
}

PyDoc_STRVAR(Addresses_load_doc,
             "load(month, tokens, offsets, ids) -> None\n\n"
             "The tokens and ids the month's index already has (tokens: their bytes one after the "
             "other; offsets: int64 bytes, one more than the tokens; ids: int32 bytes), before any "
             "of the month's slots is resolved; new ids follow the highest.");

static PyObject *Addresses_load(Addresses *self, PyObject *args) {
    int month;
    Py_buffer tokens, offsets, ids;
    if (!PyArg_ParseTuple(args, "iy*y*y*", &month, &tokens, &offsets, &ids)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = ids.len / 4;
    if (check_buffer(&ids, n, 4, "ids") < 0 || check_buffer(&offsets, n + 1, 8, "offsets") < 0) goto done;
    month_t *m = month_of(self, month);
    if (!m) {
        PyErr_NoMemory();
        goto done;
    }
    if (m->next_id && !m->loaded) {
        PyErr_SetString(PyExc_RuntimeError, "a month's index is loaded before its ids are given");
        goto done;
    }
    m->loaded = 1;
    const int32_t *id = ids.buf;
    const int64_t *off = offsets.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t start = off[i], length = off[i + 1] - off[i];
        if (id[i] < 0 || id[i] == INT32_MAX || start < 0 || length < 0 || off[i + 1] > tokens.len ||
            length > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "an index row with a negative id or a token out of place");
            goto done;
        }
        const uint8_t *token = (const uint8_t *)tokens.buf + start;
        uint64_t h = name_hash(month, token, (int32_t)length);
        if (find_name(self, month, token, (int32_t)length, h) != -2) continue;
        int64_t at = keep_token(self, token, (int32_t)length);
        if (at < 0 || add_name(self, month, at, (int32_t)length, id[i], h) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        if (id[i] >= m->next_id) m->next_id = id[i] + 1;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&tokens);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&ids);
    return result;
}

PyDoc_STRVAR(Addresses_ids_doc, "ids(slots) -> int32 bytes: the id of each slot, -1 for none.");

static PyObject *Addresses_ids(Addresses *self, PyObject *args) {
    Py_buffer slots;
    if (!PyArg_ParseTuple(args, "y*", &slots)) return NULL;
    PyObject *out = NULL;
    if (slots.len % 4) {
        PyErr_SetString(PyExc_ValueError, "slots are int32");
        goto done;
    }
    Py_ssize_t n = slots.len / 4;
    out = PyBytes_FromStringAndSize(NULL, n * 4);
    if (!out) goto done;
    const int32_t *s = slots.buf;
    int32_t *o = (int32_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] < 0) {
            o[i] = -1;
        } else if (s[i] >= self->slot_count || !self->slots[s[i]].resolved) {
            Py_CLEAR(out);
            PyErr_SetString(PyExc_ValueError, "a slot that is not resolved");
            goto done;
        } else {
            o[i] = self->slots[s[i]].id;
        }
    }
done:
    PyBuffer_Release(&slots);
    return out;
}

PyDoc_STRVAR(Addresses_seen_doc,
             "seen(month) -> (month, site, id, days)\n\n"
             "int32 bytes, a row per site and address of the month (yyyymm) that has an id: the days "
             "of the month it was seen on there (bit 0 is the 1st).");

#define IN_MONTH(slot) ((slot)->id >= 0 && (slot)->month == month)

static PyObject *Addresses_seen(Addresses *self, PyObject *args) {
    int month;
    if (!PyArg_ParseTuple(args, "i", &month)) return NULL;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < self->slot_count; i++)
        if (IN_MONTH(&self->slots[i])) n++;
    for (Py_ssize_t i = 0; i < self->extra_count; i++)
        if (IN_MONTH(&self->slots[self->extras[i].slot])) n++;
    PyObject *out[4];
    for (int c = 0; c < 4; c++) {
        out[c] = PyBytes_FromStringAndSize(NULL, n * 4);
        if (!out[c]) {
            for (int d = 0; d < c; d++) Py_DECREF(out[d]);
            return NULL;
        }
    }
    int32_t *m = (int32_t *)PyBytes_AS_STRING(out[0]), *s = (int32_t *)PyBytes_AS_STRING(out[1]),
            *d = (int32_t *)PyBytes_AS_STRING(out[2]);
    uint32_t *b = (uint32_t *)PyBytes_AS_STRING(out[3]);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < self->slot_count; i++) {
        slot_t *slot = &self->slots[i];
        if (!IN_MONTH(slot)) continue;
        m[at] = slot->month;
        s[at] = slot->site;
        d[at] = slot->id;
        b[at] = slot->days;
        at++;
    }
    for (Py_ssize_t i = 0; i < self->extra_count; i++) {
        extra_t *e = &self->extras[i];
        slot_t *slot = &self->slots[e->slot];
        if (!IN_MONTH(slot)) continue;
        m[at] = slot->month;
        s[at] = e->site;
        d[at] = slot->id;
        b[at] = e->days;
        at++;
    }
    return Py_BuildValue("(NNNN)", out[0], out[1], out[2], out[3]);
}

PyDoc_STRVAR(Addresses_added_doc,
             "added(month) -> (month, id, tokens, offsets)\n\n"
             "The ids this ingest gave in the month (yyyymm), in the order it gave them (int32 bytes, "
             "with their month), and their tokens (their bytes one after the other, with int64 "
             "offsets, one more than the ids).");

static PyObject *Addresses_added(Addresses *self, PyObject *args) {
    int month;
    if (!PyArg_ParseTuple(args, "i", &month)) return NULL;
    Py_ssize_t n = 0;
    int64_t bytes = 0;
    for (Py_ssize_t i = 0; i < self->added_count; i++)
        if (self->added[i].month == month) {
            n++;
            bytes += self->added[i].length;
        }
    PyObject *months = PyBytes_FromStringAndSize(NULL, n * 4), *ids = PyBytes_FromStringAndSize(NULL, n * 4),
             *tokens = PyBytes_FromStringAndSize(NULL, bytes), *offsets = PyBytes_FromStringAndSize(NULL, (n + 1) * 8);
    if (!months || !ids || !tokens || !offsets) {
        Py_XDECREF(months);
        Py_XDECREF(ids);
        Py_XDECREF(tokens);
        Py_XDECREF(offsets);
        return NULL;
    }
    int32_t *m = (int32_t *)PyBytes_AS_STRING(months), *d = (int32_t *)PyBytes_AS_STRING(ids);
    uint8_t *t = (uint8_t *)PyBytes_AS_STRING(tokens);
    int64_t *o = (int64_t *)PyBytes_AS_STRING(offsets);
    int64_t used = 0;
    Py_ssize_t at = 0;
    o[0] = 0;
    for (Py_ssize_t i = 0; i < self->added_count; i++) {
        added_t *a = &self->added[i];
        if (a->month != month) continue;
        if (a->length) memcpy(t + used, self->arena + a->offset, (size_t)a->length);
        used += a->length;
        m[at] = a->month;
        d[at] = a->id;
        o[++at] = used;
    }
    return Py_BuildValue("(NNNN)", months, ids, tokens, offsets);
}

static PyObject *Addresses_months(Addresses *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *months = PyDict_New();
    if (!months) return NULL;
    for (Py_ssize_t i = 0; i < self->month_count; i++) {
        PyObject *month = PyLong_FromLong(self->months[i].month);
        PyObject *changes = month ? PyLong_FromLongLong(self->months[i].changes) : NULL;
        if (!changes || PyDict_SetItem(months, month, changes) < 0) {
            Py_XDECREF(month);
            Py_XDECREF(changes);
            Py_DECREF(months);
            return NULL;
        }
        Py_DECREF(changes);
        Py_DECREF(month);
    }
    return months;
}

static PyObject *Addresses_size(Addresses *self, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("(nnnn)", self->slot_count, self->extra_count, self->name_count, self->added_count);
}

static PyMethodDef Addresses_methods[] = {
    {"intern", (PyCFunction)Addresses_intern, METH_VARARGS, Addresses_intern_doc},
    {"pending", (PyCFunction)Addresses_pending, METH_VARARGS, Addresses_pending_doc},
    {"hmac", (PyCFunction)Addresses_hmac, METH_VARARGS, Addresses_hmac_doc},
    {"resolve", (PyCFunction)Addresses_resolve, METH_VARARGS, Addresses_resolve_doc},
    {"load", (PyCFunction)Addresses_load, METH_VARARGS, Addresses_load_doc},
    {"ids", (PyCFunction)Addresses_ids, METH_VARARGS, Addresses_ids_doc},
    {"seen", (PyCFunction)Addresses_seen, METH_VARARGS, Addresses_seen_doc},
    {"added", (PyCFunction)Addresses_added, METH_VARARGS, Addresses_added_doc},
    {"months", (PyCFunction)Addresses_months, METH_NOARGS,
     "{yyyymm: changes}: each month seen, and how often its slots or days changed so far."},
    {"size", (PyCFunction)Addresses_size, METH_NOARGS, "(slots, extras, names, added): what is held."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AddressesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "trustdesk.weblogs._fastlog.Addresses",
    .tp_basicsize = sizeof(Addresses),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Addresses(): each month's addresses, their ids and days, for one ingest."),
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Addresses_init,
    .tp_dealloc = (destructor)Addresses_dealloc,
    .tp_methods = Addresses_methods,
};

/* ---------------------------------------------------------------------------------------------
 * The module
 */
PyDoc_STRVAR(newlines_doc,
             "newlines(buffer, start, end) -> (count, last): the newlines in buffer[start:end] and the\n"
             "position of the last one (-1 without one); start and end are clipped to the buffer.");

static PyObject *newlines(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &end)) return NULL;
    if (start < 0) start = 0;
    if (end > view.len) end = view.len;
    Py_ssize_t count = 0, last = -1;
    if (start < end) {
        const uint8_t *data = view.buf;
        Py_BEGIN_ALLOW_THREADS;
        const uint8_t *at = data + start, *stop = data + end;
        while ((at = memchr(at, '\n', (size_t)(stop - at))) != NULL) {
            count++;
            last = at - data;
            at++;
        }
        Py_END_ALLOW_THREADS;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("nn", count, last);
}

static PyMethodDef module_methods[] = {
    {"newlines", newlines, METH_VARARGS, newlines_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "trustdesk.weblogs._fastlog",
    "The web-log ingest's parser and address dictionary in C (see trustdesk.weblogs.fastlog).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__fastlog(void) {
    if (PyType_Ready(&ParserType) < 0 || PyType_Ready(&AddressesType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&ParserType);
    Py_INCREF(&AddressesType);
    if (PyModule_AddObject(m, "Parser", (PyObject *)&ParserType) < 0 ||
        PyModule_AddObject(m, "Addresses", (PyObject *)&AddressesType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
