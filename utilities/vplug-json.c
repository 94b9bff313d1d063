/* --format=json output of the vplug command; see vplug-json.h. */
#include <config.h>
#include "vplug-json.h"

#include "vjson.h"
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Returns a new reference to the object of topology 'name' in 'show_json'
 * (engine_show() output), or NULL. */
static json_t *
show_topology(const char *show_json, const char *name)
{
    if (!show_json) {
        return NULL;
    }
    json_t *root = json_loads(show_json, 0, NULL);
    json_t *found = NULL;
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(root, "topologies"), i, t) {
        const char *n = json_string_value(json_object_get(t, "name"));
        if (n && !strcmp(n, name)) {
            found = json_incref(t);
        }
    }
    json_decref(root);
    return found;
}

static const json_t *
find_named(const json_t *array, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (array, i, v) {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && !strcmp(n, name)) {
            return v;
        }
    }
    return NULL;
}

/* "ns1/veth0" or "ovs-br/ovs-veth0" for an end of "show". */
static char *
end_label(const json_t *end)
{
    const char *sw = json_string_value(json_object_get(end, "switch"));
    const char *ns = json_string_value(json_object_get(end, "ns"));
    return xasprintf("%s/%s", sw ? sw : ns ? ns : "-",
                     json_string_value(json_object_get(end, "ifname")));
}

/* Whether 'links' of "show" has a link with ends 'a' and 'b' that both
 * exist. */
static bool
link_existed(const json_t *links, const char *a, const char *b)
{
    size_t i;
    json_t *l;
    json_array_foreach (links, i, l) {
        const json_t *ends = json_object_get(l, "ends");
        char *la = end_label(json_array_get(ends, 0));
        char *lb = end_label(json_array_get(ends, 1));
        bool match = ((!strcmp(la, a) && !strcmp(lb, b))
                      || (!strcmp(la, b) && !strcmp(lb, a)));
        free(la);
        free(lb);
        if (match
            && json_is_true(json_object_get(json_array_get(ends, 0),
                                            "exists"))
            && json_is_true(json_object_get(json_array_get(ends, 1),
                                            "exists"))) {
            return true;
        }
    }
    return false;
}

static json_t *
messages_array(const struct svec *messages)
{
    json_t *a = vjson_array();
    for (size_t i = 0; messages && i < messages->n; i++) {
        json_array_append_new(a, vjson_string(messages->names[i]));
    }
    return a;
}

/* Dumps 'root' (and releases it) as the command's output text. */
static char *
dump(json_t *root)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *out = xasprintf("%s\n", text);
    free(text);
    json_decref(root);
    return out;
}

/* One switch of "show" as apply reports it. */
static json_t *
switch_object(const json_t *sw, const json_t *before_sws)
{
    const char *name = json_string_value(json_object_get(sw, "name"));
    const json_t *before = find_named(before_sws, name);
    const json_t *reason = json_object_get(sw, "fallback_reason");
    bool owned = json_is_true(json_object_get(sw, "created"));
    return json_pack("{s:s, s:O, s:O, s:b, s:b, s:b, s:O}",
                     "name", name,
                     "backend", json_object_get(sw, "backend"),
                     "variant", json_object_get(sw, "variant"),
                     "created", owned && !(before
                                           && json_is_true(json_object_get(
                                                   before, "created"))),
                     "owned", owned,
                     "fallback", reason != NULL,
                     "fallback_reason", reason ? reason : json_null());
}

char *
vplug_json_apply(const char *name, const struct svec *existed,
                 const char *show_before, const char *show_after,
                 const struct svec *messages)
{
    json_t *before = show_topology(show_before, name);
    json_t *after = show_topology(show_after, name);
    json_t *root = json_pack("{s:s, s:s}", "command", "apply",
                             "topology", name);

    json_t *nss = vjson_array();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(after, "namespaces"), i, v) {
        const char *ns = json_string_value(json_object_get(v, "name"));
        json_array_append_new(nss, json_pack(
            "{s:s, s:b, s:b}", "name", ns,
            "created", !svec_has(existed, ns),
            "owned", json_is_true(json_object_get(v, "created"))));
    }
    json_object_set_new(root, "namespaces", nss);

    json_t *sws = vjson_array();
    json_array_foreach (json_object_get(after, "switches"), i, v) {
        json_array_append_new(sws, switch_object(
                                  v, json_object_get(before, "switches")));
    }
    json_object_set_new(root, "switches", sws);

    json_t *links = vjson_array();
    json_array_foreach (json_object_get(after, "links"), i, v) {
        const json_t *ends = json_object_get(v, "ends");
        char *a = end_label(json_array_get(ends, 0));
        char *b = end_label(json_array_get(ends, 1));
        bool created = !link_existed(json_object_get(before, "links"), a, b);
        json_array_append_new(links, json_pack("{s:[s,s], s:b}", "ends", a,
                                               b, "created", created));
        free(a);
        free(b);
    }
    json_object_set_new(root, "links", links);
    json_object_set_new(root, "messages", messages_array(messages));
    json_decref(before);
    json_decref(after);
    return dump(root);
}

char *
vplug_json_destroy(const char *name, const char *show_before,
                   const struct svec *messages)
{
    json_t *before = show_topology(show_before, name);
    json_t *removed = json_pack("{s:[], s:[], s:[]}", "namespaces",
                                "switches", "links");
    json_t *kept = json_pack("{s:[], s:[]}", "namespaces", "switches");
    const char *kinds[] = { "namespaces", "switches" };
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(before, kinds[k]), i, v) {
            if (json_is_string(json_object_get(v, "variant"))
                && !strcmp(json_string_value(json_object_get(v, "variant")),
                           "direct")) {
                continue;
            }
            json_t *to = (json_is_true(json_object_get(v, "created"))
                          ? removed : kept);
            json_array_append(json_object_get(to, kinds[k]),
                              json_object_get(v, "name"));
        }
    }
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(before, "links"), i, v) {
        const json_t *ends = json_object_get(v, "ends");
        char *a = end_label(json_array_get(ends, 0));
        char *b = end_label(json_array_get(ends, 1));
        json_array_append_new(json_object_get(removed, "links"),
                              json_pack("{s:[s,s]}", "ends", a, b));
        free(a);
        free(b);
    }
    json_t *root = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}",
                             "command", "destroy", "topology", name,
                             "was_applied", before != NULL,
                             "removed", removed, "kept", kept,
                             "messages", messages_array(messages));
    json_decref(before);
    return dump(root);
}

char *
vplug_json_plug(const char *ns, const char *ifname, const char *sw,
                const char *name, bool changed, const char *show_after,
                const struct svec *messages)
{
    json_t *after = show_topology(show_after, name);
    json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
                             "command", "plug", "ns", ns, "ifname", ifname,
                             "switch", sw, "topology", name,
                             "changed", changed);
    json_object_set(root, "links", (after ? json_object_get(after, "links")
                                    : vjson_array()));
    json_object_set_new(root, "messages", messages_array(messages));
    json_decref(after);
    return dump(root);
}

char *
vplug_json_unplug(const char *ns, const char *ifname, bool was_plugged,
                  const struct svec *messages)
{
    return dump(json_pack("{s:s, s:s, s:s, s:b, s:o}", "command", "unplug",
                          "ns", ns, "ifname", ifname,
                          "was_plugged", was_plugged,
                          "messages", messages_array(messages)));
}

char *
vplug_json_sandbox(const char *action, const char *status_text)
{
    json_t *root = json_pack("{s:s, s:s}", "command", "sandbox",
                             "action", action);
    json_t *daemons = vjson_array();
    bool running = true;
    char *copy = xstrdup(status_text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strstr(line, ": ");
        if (!colon) {
            continue;
        }
        *colon = '\0';
        const char *value = colon + 2;
        if (!strcmp(line, "sandbox")) {
            json_object_set_new(root, "dir", vjson_string(value));
        } else if (!strcmp(line, "database")) {
            json_object_set_new(root, "db", vjson_string(value));
        } else {
            long long int pid = 0;
            const char *p = strstr(value, "pid ");
            if (p) {
                pid = strtoll(p + 4, NULL, 10);
            }
            bool up = str_startswith(value, "running");
            running &= up;
            json_t *d = json_pack("{s:s, s:b}", "name", line, "running", up);
            json_object_set_new(d, "pid", pid ? vjson_integer(pid)
                                              : json_null());
            json_array_append_new(daemons, d);
        }
    }
    free(copy);
    json_object_set_new(root, "running", json_boolean(running
                                                      && json_array_size(
                                                          daemons)));
    json_object_set_new(root, "daemons", daemons);
    return dump(root);
}

char *
vplug_json_error(const char *message, const char *object, const char *file)
{
    json_t *root = vjson_object();
    size_t n = file ? strlen(file) : 0;
    int line, column, len = 0;
    if (file && !strncmp(message, file, n) && message[n] == ':'
        && sscanf(message + n, ":%d:%d: %n", &line, &column, &len) == 2
        && len) {
        json_object_set_new(root, "error", vjson_string(message + n + len));
        json_object_set_new(root, "object", vjson_string(object ? object
                                                        : file));
        json_object_set_new(root, "file", vjson_string(file));
        json_object_set_new(root, "line", vjson_integer(line));
        json_object_set_new(root, "column", vjson_integer(column));
    } else {
        json_object_set_new(root, "error", vjson_string(message));
        json_object_set_new(root, "object", object ? vjson_string(object)
                                                   : json_null());
        if (file) {
            json_object_set_new(root, "file", vjson_string(file));
        }
    }
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *out = xasprintf("%s\n", text);
    free(text);
    json_decref(root);
    return out;
}
