/* Where each value of a JSON text begins: a second, tolerant scanner over
 * the text jansson parsed. */
#include <config.h>
#include "json-pos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

struct json_pos_entry {
    char *path;                 /* Escaped path; "" for the root. */
    int line;                   /* From 1. */
    int column;                 /* From 1, in characters. */
    bool key;                   /* Position of the member's key. */
};

struct json_pos {
    struct json_pos_entry *entries;
    size_t n, allocated;
};

struct scanner {
    const char *p, *end;
    int line;
    int column;                 /* Column of the character at 'p'. */
    struct json_pos *map;
    struct ds path;
    int depth;
};

/* jansson refuses deeper nesting, so this bound only guards the stack. */
#define MAX_DEPTH 2048

static bool
at_end(const struct scanner *s)
{
    return s->p >= s->end;
}

static void
advance(struct scanner *s)
{
    if (at_end(s)) {
        return;
    }
    unsigned char c = *s->p++;
    if (c == '\n') {
        s->line++;
        s->column = 1;
    } else if ((c & 0xc0) != 0x80) {
        /* Counts the first byte of each character only. */
        s->column++;
    }
}

static void
skip_ws(struct scanner *s)
{
    while (!at_end(s) && strchr(" \t\r\n", *s->p)) {
        advance(s);
    }
}

static void
record(struct scanner *s, int line, int column, bool key)
{
    struct json_pos *map = s->map;
    if (map->n >= map->allocated) {
        map->entries = x2nrealloc(map->entries, &map->allocated,
                                  sizeof *map->entries);
    }
    struct json_pos_entry *e = &map->entries[map->n++];
    e->path = xstrdup(ds_cstr(&s->path));
    e->line = line;
    e->column = column;
    e->key = key;
}

static int
hex_value(char c)
{
    return (c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
            : -1);
}

static bool
read_hex4(struct scanner *s, unsigned int *value)
{
    *value = 0;
    for (int i = 0; i < 4; i++) {
        int v = at_end(s) ? -1 : hex_value(*s->p);
        if (v < 0) {
            return false;
        }
        *value = *value * 16 + v;
        advance(s);
    }
    return true;
}

static void
put_utf8(struct ds *ds, unsigned int c)
{
    if (c < 0x80) {
        ds_put_char(ds, c);
    } else if (c < 0x800) {
        ds_put_char(ds, 0xc0 | (c >> 6));
        ds_put_char(ds, 0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        ds_put_char(ds, 0xe0 | (c >> 12));
        ds_put_char(ds, 0x80 | ((c >> 6) & 0x3f));
        ds_put_char(ds, 0x80 | (c & 0x3f));
    } else {
        ds_put_char(ds, 0xf0 | (c >> 18));
        ds_put_char(ds, 0x80 | ((c >> 12) & 0x3f));
        ds_put_char(ds, 0x80 | ((c >> 6) & 0x3f));
        ds_put_char(ds, 0x80 | (c & 0x3f));
    }
}

/* Reads the string at 's->p' (which is '"'), decoding it into 'out' if
 * nonnull. */
static void
scan_string(struct scanner *s, struct ds *out)
{
    advance(s);
    while (!at_end(s) && *s->p != '"') {
        if (*s->p != '\\') {
            if (out) {
                ds_put_char(out, *s->p);
            }
            advance(s);
            continue;
        }
        advance(s);
        if (at_end(s)) {
            return;
        }
        char c = *s->p;
        advance(s);
        unsigned int u;
        switch (c) {
        case 'b': u = '\b'; break;
        case 'f': u = '\f'; break;
        case 'n': u = '\n'; break;
        case 'r': u = '\r'; break;
        case 't': u = '\t'; break;
        case 'u':
            if (!read_hex4(s, &u)) {
                return;
            }
            if (u >= 0xd800 && u < 0xdc00 && s->end - s->p >= 6
                && s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned int lo;
                advance(s);
                advance(s);
                if (!read_hex4(s, &lo)) {
                    return;
                }
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            break;
        default: u = (unsigned char) c; break;
        }
        if (out) {
            put_utf8(out, u);
        }
    }
    advance(s);                 /* The closing '"'. */
}

static void scan_value(struct scanner *);

/* Ends a member or an element: drops its path component (back to 'saved'
 * bytes) and returns true if a ',' says that another one follows. */
static bool
next_item(struct scanner *s, size_t saved)
{
    s->path.length = saved;
    s->path.string[saved] = '\0';
    skip_ws(s);
    if (at_end(s) || *s->p != ',') {
        return false;
    }
    advance(s);
    return true;
}

static void
skip_char(struct scanner *s, char c)
{
    if (!at_end(s) && *s->p == c) {
        advance(s);
    }
}

static void
scan_object(struct scanner *s)
{
    size_t saved = s->path.length;
    struct ds key = DS_EMPTY_INITIALIZER;

    advance(s);
    for (;;) {
        skip_ws(s);
        if (at_end(s) || *s->p != '"') {
            break;
        }
        int line = s->line, column = s->column;
        ds_clear(&key);
        scan_string(s, &key);
        ds_put_char(&s->path, '/');
        json_pos_put_token(&s->path, ds_cstr(&key));
        record(s, line, column, true);
        skip_ws(s);
        if (!at_end(s) && *s->p == ':') {
            advance(s);
            scan_value(s);
        }
        if (!next_item(s, saved)) {
            break;
        }
    }
    skip_char(s, '}');
    ds_destroy(&key);
}

static void
scan_array(struct scanner *s)
{
    size_t saved = s->path.length;

    advance(s);
    skip_ws(s);
    if (!at_end(s) && *s->p == ']') {
        advance(s);
        return;
    }
    for (size_t i = 0; ; i++) {
        ds_put_format(&s->path, "/%zu", i);
        scan_value(s);
        if (!next_item(s, saved)) {
            break;
        }
    }
    skip_char(s, ']');
}

static void
scan_value(struct scanner *s)
{
    skip_ws(s);
    if (at_end(s)) {
        return;
    }
    record(s, s->line, s->column, false);
    if (++s->depth > MAX_DEPTH) {
        s->p = s->end;
    } else if (*s->p == '{') {
        scan_object(s);
    } else if (*s->p == '[') {
        scan_array(s);
    } else if (*s->p == '"') {
        scan_string(s, NULL);
    } else {
        /* A number or a literal. */
        while (!at_end(s) && !strchr(",]}: \t\r\n", *s->p)) {
            advance(s);
        }
    }
    s->depth--;
}

struct json_pos *
json_pos_scan(const char *text, size_t size)
{
    struct json_pos *map = xzalloc(sizeof *map);
    struct scanner s = {
        .p = text,
        .end = text + size,
        .line = 1,
        .column = 1,
        .map = map,
        .path = DS_EMPTY_INITIALIZER,
    };
    ds_cstr(&s.path);
    scan_value(&s);
    ds_destroy(&s.path);
    return map;
}

void
json_pos_destroy(struct json_pos *map)
{
    if (map) {
        for (size_t i = 0; i < map->n; i++) {
            free(map->entries[i].path);
        }
        free(map->entries);
        free(map);
    }
}

bool
json_pos_find(const struct json_pos *map, const char *path, bool key,
              int *line, int *column)
{
    char *p = xstrdup(path);
    bool exact = true;

    for (;;) {
        for (size_t i = 0; i < map->n; i++) {
            const struct json_pos_entry *e = &map->entries[i];
            if (e->key == key && !strcmp(e->path, p)) {
                *line = e->line;
                *column = e->column;
                free(p);
                return exact;
            }
        }
        char *slash = strrchr(p, '/');
        if (!slash) {
            break;
        }
        *slash = '\0';
        key = false;
        exact = false;
    }
    free(p);
    *line = *column = 1;
    return false;
}

void
json_pos_put_token(struct ds *ds, const char *token)
{
    for (const char *p = token; *p; p++) {
        if (*p == '~') {
            ds_put_cstr(ds, "~0");
        } else if (*p == '/') {
            ds_put_cstr(ds, "~1");
        } else {
            ds_put_char(ds, *p);
        }
    }
}

char *
json_pos_get_token(const char *token, size_t size)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < size; i++) {
        if (token[i] == '~' && i + 1 < size
            && (token[i + 1] == '0' || token[i + 1] == '1')) {
            ds_put_char(&ds, token[i + 1] == '0' ? '~' : '/');
            i++;
        } else {
            ds_put_char(&ds, token[i]);
        }
    }
    return ds_steal_cstr(&ds);
}
