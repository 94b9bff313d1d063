/* Where each value of a JSON text begins.  jansson reports positions only
 * for syntax errors; this scanner reads the same text again and records the
 * line and column where every value, and every object key, begins, so that
 * a semantic error found later can point at the offending value.  Values
 * are addressed by paths in the style of JSON pointers (RFC 6901):
 * "" is the root, "/links/0/ends/1/ifname" a member of an element.  Lines
 * and columns count from 1; columns count characters (UTF-8 sequences), as
 * jansson does. */
#ifndef JSON_POS_H
#define JSON_POS_H 1

#include <stdbool.h>
#include <stddef.h>

struct ds;

struct json_pos;

/* Scans the 'size' bytes of 'text', which should be JSON that jansson
 * accepted.  Never fails: a malformed text yields positions for what could
 * be scanned.  Returns a new map that the caller destroys. */
struct json_pos *json_pos_scan(const char *text, size_t size);
void json_pos_destroy(struct json_pos *);

/* Finds where the value at 'path' begins, or its key if 'key' is true (the
 * root has no key).  A path that is not in the text falls back to its
 * nearest enclosing value: an error about something the file leaves out
 * points at the object that should have had it.  Returns true if 'path'
 * itself was found.  Always stores a position (1:1 at worst). */
bool json_pos_find(const struct json_pos *, const char *path, bool key,
                   int *line, int *column);

/* Appends 'token' to 'ds' as one path component, escaped as JSON pointers
 * escape it ("~" as "~0", "/" as "~1"), without the leading "/". */
void json_pos_put_token(struct ds *, const char *token);

/* Decodes the one path component at 'token', up to 'size' bytes, into a
 * new string (the inverse of json_pos_put_token()). */
char *json_pos_get_token(const char *token, size_t size);

#endif /* json-pos.h */
