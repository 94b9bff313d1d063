/* Typed access to the Open_vSwitch database on top of ovsdb-client. */
#include <config.h>
#include "ovsdb/vswitch.h"

#include <errno.h>
#include "vjson.h"
#include <stdlib.h>
#include <string.h>

#include "ovsdb/ovsdb-client.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(vswitch);

struct vswitch {
    struct ovsdb_client *client;
};

struct vswitch_txn {
    struct vswitch *vs;
    json_t *ops;                /* Array of operations. */
    unsigned int n_named;       /* For unique named-uuids. */
    bool committed;
    struct ovsdb_client_txn *sent;      /* Sent, answer not yet taken. */
    size_t select_idx;          /* Of the op that reads next_cfg back. */
};

/* The columns vplug monitors; each table's list is NULL-terminated. */
static const char *const root_columns[] = {
    "next_cfg", "cur_cfg", "bridges", "datapath_types", NULL
};
static const char *const bridge_columns[] = {
    "name", "ports", "datapath_type", "fail_mode", "external_ids", NULL
};
static const char *const port_columns[] = {
    "name", "interfaces", "tag", "external_ids", NULL
};
static const char *const iface_columns[] = {
    "name", "type", "ofport", "error", "link_state", "admin_state",
    "external_ids", NULL
};

/* Every column vplug reads or writes, as ovsdb_client_check_columns()
 * wants them. */
static const char *const needed_columns[] = {
    "Open_vSwitch:next_cfg", "Open_vSwitch:cur_cfg", "Open_vSwitch:bridges",
    "Open_vSwitch:datapath_types",
    "Bridge:name", "Bridge:ports", "Bridge:datapath_type", "Bridge:fail_mode",
    "Bridge:external_ids",
    "Port:name", "Port:interfaces", "Port:tag", "Port:external_ids",
    "Interface:name", "Interface:type", "Interface:ofport",
    "Interface:error", "Interface:link_state", "Interface:admin_state",
    "Interface:external_ids",
    NULL
};

/* String maps. */

void
vswitch_smap_init(struct vswitch_smap *smap)
{
    smap->kvs = NULL;
    smap->n = 0;
}

void
vswitch_smap_destroy(struct vswitch_smap *smap)
{
    if (smap) {
        for (size_t i = 0; i < smap->n; i++) {
            free(smap->kvs[i].key);
            free(smap->kvs[i].value);
        }
        free(smap->kvs);
        smap->kvs = NULL;
        smap->n = 0;
    }
}

void
vswitch_smap_set(struct vswitch_smap *smap, const char *key,
                 const char *value)
{
    for (size_t i = 0; i < smap->n; i++) {
        if (!strcmp(smap->kvs[i].key, key)) {
            free(smap->kvs[i].value);
            smap->kvs[i].value = xstrdup(value);
            return;
        }
    }
    smap->kvs = xrealloc(smap->kvs, (smap->n + 1) * sizeof *smap->kvs);
    smap->kvs[smap->n].key = xstrdup(key);
    smap->kvs[smap->n].value = xstrdup(value);
    smap->n++;
}

const char *
vswitch_smap_get(const struct vswitch_smap *smap, const char *key)
{
    for (size_t i = 0; i < smap->n; i++) {
        if (!strcmp(smap->kvs[i].key, key)) {
            return smap->kvs[i].value;
        }
    }
    return NULL;
}

bool
vswitch_smap_equal(const struct vswitch_smap *a, const struct vswitch_smap *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        const char *value = vswitch_smap_get(b, a->kvs[i].key);
        if (!value || strcmp(value, a->kvs[i].value)) {
            return false;
        }
    }
    return true;
}

/* Decoding RFC 7047 values. */

/* Returns the atoms of datum 'datum': a set's elements, or 'datum' itself
 * as a one-element "set" (the notation for a set of one atom).  Stores the
 * count in '*n' and returns a borrowed array, or 'datum' itself when
 * '*n' is 1 and 'datum' is not a set. */
static const json_t *
datum_set(const json_t *datum, size_t *n)
{
    if (json_is_array(datum) && json_array_size(datum) == 2
        && json_is_string(json_array_get(datum, 0))
        && !strcmp(json_string_value(json_array_get(datum, 0)), "set")
        && json_is_array(json_array_get(datum, 1))) {
        const json_t *elems = json_array_get(datum, 1);
        *n = json_array_size(elems);
        return elems;
    }
    *n = datum ? 1 : 0;
    return NULL;
}

/* Returns atom 'i' of 'datum' (see datum_set()). */
static const json_t *
datum_atom(const json_t *datum, size_t i)
{
    size_t n;
    const json_t *elems = datum_set(datum, &n);
    if (i >= n) {
        return NULL;
    }
    return elems ? json_array_get(elems, i) : datum;
}

/* Returns a copy of the string in optional datum 'datum', or NULL if it is
 * empty or not a string. */
static char *
datum_to_string(const json_t *datum)
{
    const json_t *atom = datum_atom(datum, 0);
    return json_is_string(atom) ? xstrdup(json_string_value(atom)) : NULL;
}

/* Returns the integer in optional datum 'datum', or 'dflt' if empty. */
static long long int
datum_to_int(const json_t *datum, long long int dflt)
{
    const json_t *atom = datum_atom(datum, 0);
    return json_is_integer(atom) ? json_integer_value(atom) : dflt;
}

/* Returns the UUID string in atom ["uuid", "..."], or NULL. */
static const char *
atom_uuid(const json_t *atom)
{
    if (json_is_array(atom) && json_array_size(atom) == 2
        && json_is_string(json_array_get(atom, 0))
        && !strcmp(json_string_value(json_array_get(atom, 0)), "uuid")
        && json_is_string(json_array_get(atom, 1))) {
        return json_string_value(json_array_get(atom, 1));
    }
    return NULL;
}

/* Appends every UUID of set datum 'datum' to 'uuids', and every string if
 * the set holds strings. */
static void
datum_to_svec(const json_t *datum, struct svec *svec)
{
    size_t n;
    datum_set(datum, &n);
    for (size_t i = 0; i < n; i++) {
        const json_t *atom = datum_atom(datum, i);
        const char *uuid = atom_uuid(atom);
        if (uuid) {
            svec_add(svec, uuid);
        } else if (json_is_string(atom)) {
            svec_add(svec, json_string_value(atom));
        }
    }
}

/* Reads map datum ["map", [[k, v], ...]] of strings into 'smap'. */
static void
datum_to_smap(const json_t *datum, struct vswitch_smap *smap)
{
    vswitch_smap_init(smap);
    if (!json_is_array(datum) || json_array_size(datum) != 2
        || !json_is_array(json_array_get(datum, 1))) {
        return;
    }
    const json_t *pairs = json_array_get(datum, 1);
    size_t i;
    const json_t *pair;
    json_array_foreach (pairs, i, pair) {
        const json_t *k = json_array_get(pair, 0);
        const json_t *v = json_array_get(pair, 1);
        if (json_is_string(k) && json_is_string(v)) {
            vswitch_smap_set(smap, json_string_value(k),
                             json_string_value(v));
        }
    }
}

/* Encoding. */

static json_t *
smap_to_datum(const struct vswitch_smap *smap)
{
    json_t *pairs = vjson_array();
    for (size_t i = 0; smap && i < smap->n; i++) {
        json_array_append_new(pairs,
                              json_pack("[ss]", smap->kvs[i].key,
                                        smap->kvs[i].value));
    }
    return json_pack("[so]", "map", pairs);
}

static json_t *
uuid_atom(const char *kind, const char *uuid)
{
    return json_pack("[ss]", kind, uuid);
}

/* A one-element set holding ["uuid"|"named-uuid", 'uuid']. */
static json_t *
uuid_set(const char *kind, const char *uuid)
{
    return json_pack("[s[o]]", "set", uuid_atom(kind, uuid));
}

static json_t *
empty_set(void)
{
    return json_pack("[s[]]", "set");
}

static json_t *
where_uuid(const char *uuid)
{
    return json_pack("[[sso]]", "_uuid", "==", uuid_atom("uuid", uuid));
}

static json_t *
where_name(const char *name)
{
    return json_pack("[[sss]]", "name", "==", name);
}

/* The client. */

struct vswitch *
vswitch_create(const char *remote)
{
    struct vswitch *vs = xzalloc(sizeof *vs);
    vs->client = ovsdb_client_create(remote, "Open_vSwitch");
    ovsdb_client_add_table(vs->client, "Open_vSwitch", root_columns);
    ovsdb_client_add_table(vs->client, "Bridge", bridge_columns);
    ovsdb_client_add_table(vs->client, "Port", port_columns);
    ovsdb_client_add_table(vs->client, "Interface", iface_columns);
    return vs;
}

void
vswitch_destroy(struct vswitch *vs)
{
    if (vs) {
        ovsdb_client_destroy(vs->client);
        free(vs);
    }
}

const char *
vswitch_get_remote(const struct vswitch *vs)
{
    return ovsdb_client_get_remote(vs->client);
}

int
vswitch_wait_ready(struct vswitch *vs, long long int deadline, char **errp)
{
    return ovsdb_client_wait_ready(vs->client, deadline, errp);
}

bool
vswitch_is_ready(const struct vswitch *vs)
{
    return ovsdb_client_get_state(vs->client) == OVSDB_CLIENT_READY;
}

char *
vswitch_check_schema(const struct vswitch *vs)
{
    return ovsdb_client_check_columns(vs->client, needed_columns);
}

unsigned int
vswitch_get_seqno(const struct vswitch *vs)
{
    return ovsdb_client_get_seqno(vs->client);
}

int
vswitch_wait_change(struct vswitch *vs, unsigned int seqno,
                    long long int deadline)
{
    return ovsdb_client_wait_change(vs->client, seqno, deadline);
}

int
vswitch_wait_cur_cfg(struct vswitch *vs, long long int next_cfg,
                     long long int deadline, long long int *cur_cfgp)
{
    for (;;) {
        unsigned int seqno = vswitch_get_seqno(vs);
        struct vswitch_root root;

        *cur_cfgp = 0;
        if (!vswitch_get_root(vs, &root)) {
            *cur_cfgp = root.cur_cfg;
            vswitch_root_destroy(&root);
        }
        if (*cur_cfgp >= next_cfg) {
            return 0;
        }
        if (vswitch_wait_change(vs, seqno, deadline)) {
            return ETIMEDOUT;
        }
    }
}

/* Reading rows. */

static const json_t *
get_row(const struct vswitch *vs, const char *table, const char *uuid)
{
    return ovsdb_client_get_row(vs->client, table, uuid);
}

/* Returns the UUID of the first row of 'table' whose "name" is 'name'. */
static const char *
find_by_name(const struct vswitch *vs, const char *table, const char *name)
{
    const json_t *rows = ovsdb_client_get_table(vs->client, table);
    const char *uuid;
    json_t *row;

    json_object_foreach ((json_t *) rows, uuid, row) {
        const json_t *n = json_object_get(row, "name");
        if (json_is_string(n) && !strcmp(json_string_value(n), name)) {
            return uuid;
        }
    }
    return NULL;
}

int
vswitch_get_root(const struct vswitch *vs, struct vswitch_root *root)
{
    const json_t *rows = ovsdb_client_get_table(vs->client, "Open_vSwitch");
    const char *uuid;
    json_t *row;

    memset(root, 0, sizeof *root);
    json_object_foreach ((json_t *) rows, uuid, row) {
        root->uuid = xstrdup(uuid);
        root->next_cfg = datum_to_int(json_object_get(row, "next_cfg"), 0);
        root->cur_cfg = datum_to_int(json_object_get(row, "cur_cfg"), 0);
        svec_init(&root->bridges);
        datum_to_svec(json_object_get(row, "bridges"), &root->bridges);
        svec_init(&root->datapath_types);
        datum_to_svec(json_object_get(row, "datapath_types"),
                      &root->datapath_types);
        return 0;
    }
    return ENOENT;
}

void
vswitch_root_destroy(struct vswitch_root *root)
{
    if (root) {
        free(root->uuid);
        svec_destroy(&root->bridges);
        svec_destroy(&root->datapath_types);
        memset(root, 0, sizeof *root);
    }
}

static struct vswitch_bridge *
bridge_from_row(const char *uuid, const json_t *row)
{
    struct vswitch_bridge *br = xzalloc(sizeof *br);
    br->uuid = xstrdup(uuid);
    br->name = datum_to_string(json_object_get(row, "name"));
    if (!br->name) {
        br->name = xstrdup("");
    }
    br->datapath_type = datum_to_string(json_object_get(row,
                                                        "datapath_type"));
    if (!br->datapath_type) {
        br->datapath_type = xstrdup("");
    }
    br->fail_mode = datum_to_string(json_object_get(row, "fail_mode"));
    svec_init(&br->ports);
    datum_to_svec(json_object_get(row, "ports"), &br->ports);
    datum_to_smap(json_object_get(row, "external_ids"), &br->external_ids);
    return br;
}

void
vswitch_bridge_free(struct vswitch_bridge *br)
{
    if (br) {
        free(br->uuid);
        free(br->name);
        free(br->datapath_type);
        free(br->fail_mode);
        svec_destroy(&br->ports);
        vswitch_smap_destroy(&br->external_ids);
        free(br);
    }
}

void
vswitch_bridges_free(struct vswitch_bridge **bridges, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vswitch_bridge_free(bridges[i]);
    }
    free(bridges);
}

struct vswitch_bridge *
vswitch_bridge_find(const struct vswitch *vs, const char *name)
{
    const char *uuid = find_by_name(vs, "Bridge", name);
    return uuid ? bridge_from_row(uuid, get_row(vs, "Bridge", uuid)) : NULL;
}

static int
compare_bridges(const void *a_, const void *b_)
{
    const struct vswitch_bridge *const *a = a_;
    const struct vswitch_bridge *const *b = b_;
    return strcmp((*a)->name, (*b)->name);
}

void
vswitch_bridges_list(const struct vswitch *vs,
                     struct vswitch_bridge ***bridgesp, size_t *n)
{
    struct vswitch_root root;
    struct vswitch_bridge **bridges = NULL;
    size_t n_bridges = 0;

    if (!vswitch_get_root(vs, &root)) {
        bridges = xcalloc(root.bridges.n ? root.bridges.n : 1,
                          sizeof *bridges);
        for (size_t i = 0; i < root.bridges.n; i++) {
            const char *uuid = root.bridges.names[i];
            const json_t *row = get_row(vs, "Bridge", uuid);
            if (row) {
                bridges[n_bridges++] = bridge_from_row(uuid, row);
            }
        }
        qsort(bridges, n_bridges, sizeof *bridges, compare_bridges);
        vswitch_root_destroy(&root);
    }
    *bridgesp = bridges;
    *n = n_bridges;
}

/* Returns the name of the bridge whose ports hold 'port_uuid', or NULL. */
static char *
bridge_of_port(const struct vswitch *vs, const char *port_uuid)
{
    const json_t *rows = ovsdb_client_get_table(vs->client, "Bridge");
    const char *uuid;
    json_t *row;

    json_object_foreach ((json_t *) rows, uuid, row) {
        const json_t *ports = json_object_get(row, "ports");
        size_t n;
        datum_set(ports, &n);
        for (size_t i = 0; i < n; i++) {
            const char *p = atom_uuid(datum_atom(ports, i));
            if (p && !strcmp(p, port_uuid)) {
                return datum_to_string(json_object_get(row, "name"));
            }
        }
    }
    return NULL;
}

struct vswitch_port *
vswitch_port_get(const struct vswitch *vs, const char *uuid)
{
    const json_t *row = get_row(vs, "Port", uuid);
    if (!row) {
        return NULL;
    }

    struct vswitch_port *port = xzalloc(sizeof *port);
    port->uuid = xstrdup(uuid);
    port->name = datum_to_string(json_object_get(row, "name"));
    if (!port->name) {
        port->name = xstrdup("");
    }
    port->bridge = bridge_of_port(vs, uuid);
    svec_init(&port->interfaces);
    datum_to_svec(json_object_get(row, "interfaces"), &port->interfaces);
    port->tag = datum_to_int(json_object_get(row, "tag"), -1);
    datum_to_smap(json_object_get(row, "external_ids"), &port->external_ids);
    return port;
}

struct vswitch_port *
vswitch_port_find(const struct vswitch *vs, const char *name)
{
    const char *uuid = find_by_name(vs, "Port", name);
    return uuid ? vswitch_port_get(vs, uuid) : NULL;
}

void
vswitch_port_free(struct vswitch_port *port)
{
    if (port) {
        free(port->uuid);
        free(port->name);
        free(port->bridge);
        svec_destroy(&port->interfaces);
        vswitch_smap_destroy(&port->external_ids);
        free(port);
    }
}

struct vswitch_iface *
vswitch_iface_get(const struct vswitch *vs, const char *uuid)
{
    const json_t *row = get_row(vs, "Interface", uuid);
    if (!row) {
        return NULL;
    }

    struct vswitch_iface *iface = xzalloc(sizeof *iface);
    iface->uuid = xstrdup(uuid);
    iface->name = datum_to_string(json_object_get(row, "name"));
    if (!iface->name) {
        iface->name = xstrdup("");
    }
    iface->type = datum_to_string(json_object_get(row, "type"));
    if (!iface->type) {
        iface->type = xstrdup("");
    }
    iface->ofport = datum_to_int(json_object_get(row, "ofport"), 0);
    iface->error = datum_to_string(json_object_get(row, "error"));
    iface->link_state = datum_to_string(json_object_get(row, "link_state"));
    iface->admin_state = datum_to_string(json_object_get(row,
                                                         "admin_state"));
    datum_to_smap(json_object_get(row, "external_ids"), &iface->external_ids);
    return iface;
}

struct vswitch_iface *
vswitch_iface_find(const struct vswitch *vs, const char *name)
{
    const char *uuid = find_by_name(vs, "Interface", name);
    return uuid ? vswitch_iface_get(vs, uuid) : NULL;
}

void
vswitch_iface_free(struct vswitch_iface *iface)
{
    if (iface) {
        free(iface->uuid);
        free(iface->name);
        free(iface->type);
        free(iface->error);
        free(iface->link_state);
        free(iface->admin_state);
        vswitch_smap_destroy(&iface->external_ids);
        free(iface);
    }
}

/* Transactions. */

struct vswitch_txn *
vswitch_txn_create(struct vswitch *vs)
{
    struct vswitch_txn *txn = xzalloc(sizeof *txn);
    txn->vs = vs;
    txn->ops = vjson_array();
    return txn;
}

void
vswitch_txn_destroy(struct vswitch_txn *txn)
{
    if (txn) {
        /* An answer that still comes is ignored. */
        ovsdb_client_txn_destroy(txn->sent);
        json_decref(txn->ops);
        free(txn);
    }
}

size_t
vswitch_txn_n_ops(const struct vswitch_txn *txn)
{
    return json_array_size(txn->ops);
}

static void
add_op(struct vswitch_txn *txn, json_t *op)
{
    if (!op) {
        /* Only a wrong json_pack() format gets here: a programming error. */
        ovs_fatal_status(1, "vswitch: cannot build an operation");
    }
    json_array_append_new(txn->ops, op);
}

/* Returns a new named-uuid for a row inserted by 'txn' (caller frees). */
static char *
next_name(struct vswitch_txn *txn, const char *prefix)
{
    return xasprintf("%s%u", prefix, ++txn->n_named);
}

/* Adds a "wait" that column 'column' of the rows 'where' selects in
 * 'table' equals 'rows' (ownership of 'where' and 'rows' is taken). */
static void
add_wait(struct vswitch_txn *txn, const char *table, json_t *where,
         const char *column, json_t *rows)
{
    add_op(txn, json_pack("{sssisssos[s]ssso}", "op", "wait", "timeout", 0,
                          "table", table, "where", where,
                          "columns", column, "until", "==", "rows", rows));
}

/* Adds a wait that column 'column' of row 'uuid' in 'table' is still what
 * the replica says, or that the row is absent if the replica has none. */
static void
wait_column_unchanged(struct vswitch_txn *txn, const char *table,
                      const char *uuid, const char *column)
{
    const json_t *row = get_row(txn->vs, table, uuid);
    const json_t *value = row ? json_object_get(row, column) : NULL;
    json_t *rows = vjson_array();
    if (value) {
        json_array_append_new(rows, json_pack("{sO}", column, value));
    }
    add_wait(txn, table, where_uuid(uuid), column, rows);
}

void
vswitch_txn_wait_bridge_ports(struct vswitch_txn *txn, const char *uuid)
{
    wait_column_unchanged(txn, "Bridge", uuid, "ports");
}

void
vswitch_txn_wait_root_bridges(struct vswitch_txn *txn)
{
    struct vswitch_root root;
    if (!vswitch_get_root(txn->vs, &root)) {
        wait_column_unchanged(txn, "Open_vSwitch", root.uuid, "bridges");
        vswitch_root_destroy(&root);
    }
}

void
vswitch_txn_wait_absent(struct vswitch_txn *txn, const char *table,
                        const char *name)
{
    add_wait(txn, table, where_name(name), "name", vjson_array());
}

void
vswitch_txn_wait_exists(struct vswitch_txn *txn, const char *table,
                        const char *uuid, const char *name)
{
    add_wait(txn, table, where_uuid(uuid), "name",
             json_pack("[{ss}]", "name", name));
}

/* Adds an insert of Interface 'name' of 'type', returning its named-uuid
 * (caller frees). */
static char *
insert_iface(struct vswitch_txn *txn, const char *name, const char *type,
             const struct vswitch_smap *external_ids)
{
    char *iface = next_name(txn, "iface");
    add_op(txn, json_pack("{sssssss{ssssso}}",
                          "op", "insert", "table", "Interface",
                          "uuid-name", iface,
                          "row", "name", name, "type", type,
                          "external_ids", smap_to_datum(external_ids)));
    return iface;
}

/* Adds an insert of Port 'name' holding named Interface 'iface'. */
static char *
insert_port(struct vswitch_txn *txn, const char *name, const char *iface,
            int tag, const struct vswitch_smap *external_ids)
{
    char *port = next_name(txn, "port");
    json_t *row = json_pack("{sssoso}", "name", name,
                            "interfaces", uuid_set("named-uuid", iface),
                            "external_ids", smap_to_datum(external_ids));
    if (tag >= 0) {
        json_object_set_new(row, "tag", vjson_integer(tag));
    }
    add_op(txn, json_pack("{ssssssso}", "op", "insert", "table", "Port",
                          "uuid-name", port, "row", row));
    return port;
}

void
vswitch_txn_add_bridge(struct vswitch_txn *txn, const char *name,
                       const char *datapath_type, const char *fail_mode,
                       const struct vswitch_smap *external_ids)
{
    char *iface = insert_iface(txn, name, "internal", NULL);
    char *port = insert_port(txn, name, iface, -1, NULL);
    char *br = next_name(txn, "bridge");

    json_t *row = json_pack("{sssossso}", "name", name,
                            "ports", uuid_set("named-uuid", port),
                            "datapath_type", datapath_type,
                            "external_ids", smap_to_datum(external_ids));
    if (fail_mode) {
        json_object_set_new(row, "fail_mode", vjson_string(fail_mode));
    }
    add_op(txn, json_pack("{ssssssso}", "op", "insert", "table", "Bridge",
                          "uuid-name", br, "row", row));
    add_op(txn, json_pack("{sssss[]s[[sso]]}", "op", "mutate",
                          "table", "Open_vSwitch", "where",
                          "mutations", "bridges", "insert",
                          uuid_set("named-uuid", br)));
    free(iface);
    free(port);
    free(br);
}

void
vswitch_txn_add_port(struct vswitch_txn *txn, const char *bridge,
                     const char *name, const char *type, int tag,
                     const struct vswitch_smap *port_external_ids,
                     const struct vswitch_smap *iface_external_ids)
{
    char *iface = insert_iface(txn, name, type, iface_external_ids);
    char *port = insert_port(txn, name, iface, tag, port_external_ids);

    add_op(txn, json_pack("{sssssos[[sso]]}", "op", "mutate",
                          "table", "Bridge", "where", where_name(bridge),
                          "mutations", "ports", "insert",
                          uuid_set("named-uuid", port)));
    free(iface);
    free(port);
}

void
vswitch_txn_del_port(struct vswitch_txn *txn, const char *bridge,
                     const char *port_uuid)
{
    add_op(txn, json_pack("{sssssos[[sso]]}", "op", "mutate",
                          "table", "Bridge", "where", where_name(bridge),
                          "mutations", "ports", "delete",
                          uuid_set("uuid", port_uuid)));
}

void
vswitch_txn_del_bridge(struct vswitch_txn *txn, const char *bridge_uuid)
{
    add_op(txn, json_pack("{sssss[]s[[sso]]}", "op", "mutate",
                          "table", "Open_vSwitch", "where",
                          "mutations", "bridges", "delete",
                          uuid_set("uuid", bridge_uuid)));
}

/* Adds an update of 'column' to 'value' (ownership taken) in row 'uuid'. */
static void
update_column(struct vswitch_txn *txn, const char *table, const char *uuid,
              const char *column, json_t *value)
{
    add_op(txn, json_pack("{sssssos{so}}", "op", "update", "table", table,
                          "where", where_uuid(uuid), "row", column, value));
}

void
vswitch_txn_set_external_ids(struct vswitch_txn *txn, const char *table,
                             const char *uuid,
                             const struct vswitch_smap *external_ids)
{
    update_column(txn, table, uuid, "external_ids",
                  smap_to_datum(external_ids));
}

void
vswitch_txn_set_port_tag(struct vswitch_txn *txn, const char *uuid, int tag)
{
    update_column(txn, "Port", uuid, "tag",
                  tag >= 0 ? vjson_integer(tag) : empty_set());
}

void
vswitch_txn_set_iface_type(struct vswitch_txn *txn, const char *uuid,
                           const char *type)
{
    update_column(txn, "Interface", uuid, "type", vjson_string(type));
}

void
vswitch_txn_send(struct vswitch_txn *txn)
{
    if (txn->committed) {
        return;
    }
    txn->committed = true;

    add_op(txn, json_pack("{sssss[]s[[ssi]]}", "op", "mutate",
                          "table", "Open_vSwitch", "where",
                          "mutations", "next_cfg", "+=", 1));
    add_op(txn, json_pack("{sssss[]s[s]}", "op", "select",
                          "table", "Open_vSwitch", "where",
                          "columns", "next_cfg"));
    txn->select_idx = json_array_size(txn->ops) - 1;

    VLOG_DBG("transaction of %zu operations", json_array_size(txn->ops));
    txn->sent = ovsdb_client_transact(txn->vs->client,
                                      json_incref(txn->ops));
}

int
vswitch_txn_commit(struct vswitch_txn *txn, long long int deadline,
                   long long int *next_cfgp, char **errp)
{
    json_t *result = NULL;
    int error;

    *errp = NULL;
    *next_cfgp = 0;
    if (txn->committed && !txn->sent) {
        *errp = xstrdup("transaction already committed");
        return EINVAL;
    }
    vswitch_txn_send(txn);

    size_t select_idx = txn->select_idx;
    struct ovsdb_client_txn *sent = txn->sent;
    txn->sent = NULL;
    error = ovsdb_client_txn_block(sent, deadline, &result, errp);
    if (error) {
        json_decref(result);
        return error;
    }

    const json_t *select = json_array_get(result, select_idx);
    const json_t *rows = json_object_get(select, "rows");
    const json_t *next_cfg = json_object_get(json_array_get(rows, 0),
                                             "next_cfg");
    if (!json_is_integer(next_cfg)) {
        *errp = xasprintf("%s: transaction reply lacks next_cfg",
                          vswitch_get_remote(txn->vs));
        json_decref(result);
        return EPROTO;
    }
    *next_cfgp = json_integer_value(next_cfg);
    json_decref(result);
    return 0;
}

/* Driving the connection from the caller's poll loop (a daemon's monitor). */

void
vswitch_run(struct vswitch *vs)
{
    ovsdb_client_run(vs->client);
}

void
vswitch_wait(struct vswitch *vs)
{
    ovsdb_client_wait(vs->client);
}

unsigned int
vswitch_get_n_connects(const struct vswitch *vs)
{
    return ovsdb_client_get_n_connects(vs->client);
}

const char *
vswitch_get_last_error(const struct vswitch *vs)
{
    return ovsdb_client_get_last_error(vs->client);
}
