/* Show: describes applied topologies as text or JSON. */
#include <config.h>
#include "engine.h"
#include "engine-private.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include "vjson.h"
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ethtool.h"
#include "netns-pool.h"
#include "netns.h"
#include "probe.h"
#include "rtnl.h"
#include "sysctl.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

/* The OpenFlow port OVS gave port 'ifname' of switch 'sw' in 'infos', or
 * -1 (none yet, or failed). */
static int
find_ofport(const struct vplug_switch_info *infos, size_t n_infos,
            const char *sw, const char *ifname)
{
    for (size_t i = 0; i < n_infos; i++) {
        for (size_t p = 0; !strcmp(infos[i].name, sw)
                           && p < infos[i].n_ports; p++) {
            if (!strcmp(infos[i].ports[p].ifname, ifname)) {
                return infos[i].ports[p].ofport;
            }
        }
    }
    return -1;
}

/* Describes the live state of one end into a new JSON object.  'ovs_ports'
 * (NULL if Open vSwitch could not be asked) lists the OVS switches and
 * their ports; a port on one of them gets its "ofport". */
static json_t *
describe_end(struct engine *e, const struct topology *eff,
             const struct topo_end *end,
             const struct vplug_switch_info *ovs_ports, size_t n_ovs)
{
    const char *ns = end_ns(end);
    json_t *j = vjson_object();
    json_object_set_new(j, "ifname", vjson_string(end->ifname));
    if (end->sw) {
        json_object_set_new(j, "switch", vjson_string(end->sw));
        if (ns) {
            json_object_set_new(j, "ns", vjson_string(ns));
        }
    } else {
        json_object_set_new(j, "ns", ns ? vjson_string(ns) : json_null());
    }

    int error = 0;
    struct ns_handle *h = (!ns || netns_exists(ns)
                           ? engine_ns(e, ns, &error) : NULL);
    struct rtnl_link_info info;
    if (h && !rtnl_link_get(h->rtnl, end->ifname, &info)) {
        json_object_set_new(j, "exists", json_true());
        json_object_set_new(j, "up", json_boolean(info.oper_up));
        json_object_set_new(j, "mtu", vjson_integer(info.mtu));
        json_object_set_new(j, "mac", vjson_string(info.mac));
        rtnl_link_info_uninit(&info);

        struct svec addrs = SVEC_EMPTY_INITIALIZER;
        json_t *ja = vjson_array();
        if (!rtnl_addr_list(h->rtnl, end->ifname, &addrs)) {
            for (size_t i = 0; i < addrs.n; i++) {
                json_array_append_new(ja, vjson_string(addrs.names[i]));
            }
        }
        svec_destroy(&addrs);
        json_object_set_new(j, "addrs", ja);
    } else {
        json_object_set_new(j, "exists", json_false());
    }
    const struct topo_switch *sw = (end->sw
                                    ? topology_find_switch(eff, end->sw)
                                    : NULL);
    if (sw && sw->kind == TOPO_SW_OVS && ovs_ports) {
        json_object_set_new(j, "ofport", vjson_integer(
                                find_ofport(ovs_ports, n_ovs, end->sw,
                                            end->ifname)));
    }
    return j;
}

static json_t *
describe_topology(struct engine *e, const struct state *st)
{
    struct topology *eff = engine_effective_or_plain(e, st->topo, st);
    json_t *j = vjson_object();

    json_object_set_new(j, "name", vjson_string(st->topo->name));
    json_object_set_new(j, "state", vjson_string(st->applying ? "applying"
                                                             : "applied"));
    json_t *sws = vjson_array();
    for (size_t i = 0; i < st->n_switches; i++) {
        const struct state_switch *s = &st->switches[i];
        json_t *sw = json_pack("{s:s, s:s, s:s, s:b}", "name", s->name,
                               "backend", topo_switch_kind_name(s->backend),
                               "variant", s->variant ? s->variant : "",
                               "created", s->created);
        if (s->reason) {
            json_object_set_new(sw, "fallback_reason",
                                vjson_string(s->reason));
        }
        if (s->tcp_limit) {
            json_object_set_new(sw, "tcp_limit", vjson_string(s->tcp_limit));
        }
        json_array_append_new(sws, sw);
    }
    json_object_set_new(j, "switches", sws);

    struct svec names = SVEC_EMPTY_INITIALIZER;
    collect_namespaces(eff, &names);
    json_t *nss = vjson_array();
    for (size_t i = 0; i < names.n; i++) {
        json_array_append_new(nss, json_pack(
            "{s:s, s:b, s:b}", "name", names.names[i],
            "created", svec_has(&st->created_ns, names.names[i]),
            "exists", netns_exists(names.names[i])));
    }
    svec_destroy(&names);
    json_object_set_new(j, "namespaces", nss);

    /* OVS ports: their OpenFlow port numbers. */
    struct vplug_switch_info *ovs_ports = NULL;
    size_t n_ovs = 0;
    bool any_ovs = false;
    for (size_t i = 0; i < eff->n_switches; i++) {
        any_ovs |= eff->switches[i].kind == TOPO_SW_OVS;
    }
    struct vplug_backend *ovs = any_ovs ? engine_backend(e, TOPO_SW_OVS)
                                        : NULL;
    char *err = NULL;
    if (ovs && ovs->class->list(ovs, NULL, &ovs_ports, &n_ovs, &err)) {
        free(err);
        ovs_ports = NULL;
        n_ovs = 0;
    }

    json_t *links = vjson_array();
    for (size_t i = 0; i < eff->n_links; i++) {
        json_t *ends = vjson_array();
        for (int k = 0; k < 2; k++) {
            json_array_append_new(ends, describe_end(e, eff,
                                                     &eff->links[i].ends[k],
                                                     ovs_ports, n_ovs));
        }
        json_array_append_new(links, json_pack("{s:o}", "ends", ends));
    }
    json_object_set_new(j, "links", links);
    vplug_switch_info_free_array(ovs_ports, n_ovs);

    /* What the backends hold beyond ports (OVN's logical rows). */
    struct vplug_backend *ovn = (topology_has_ovn(eff)
                                 ? e->backends[TOPO_SW_OVN] : NULL);
    if (ovn && ovn->class->describe) {
        struct ds d = DS_EMPTY_INITIALIZER;
        char *err = NULL;
        if (ovn->class->describe(ovn, &d, &err)) {
            ds_put_format(&d, "  OVN: %s\n", err);
            free(err);
        }
        json_object_set_new(j, "ovn", vjson_string(ds_cstr(&d)));
        ds_destroy(&d);
    }
    topology_destroy(eff);
    return j;
}

static void
format_end_text(struct ds *out, const json_t *end)
{
    const char *sw = json_string_value(json_object_get(end, "switch"));
    const char *ns = json_string_value(json_object_get(end, "ns"));
    ds_put_format(out, "%s/%s", sw ? sw : ns ? ns : "-",
                  json_string_value(json_object_get(end, "ifname")));
}

static void
format_topology_text(struct ds *out, const json_t *t)
{
    size_t i;
    json_t *v;

    ds_put_format(out, "topology %s (%s)\n",
                  json_string_value(json_object_get(t, "name")),
                  json_string_value(json_object_get(t, "state")));
    json_array_foreach (json_object_get(t, "switches"), i, v) {
        const char *reason = json_string_value(json_object_get(
                                                   v, "fallback_reason"));
        const char *variant = json_string_value(json_object_get(v,
                                                                "variant"));
        ds_put_format(out, "  switch %s: %s%s",
                      json_string_value(json_object_get(v, "name")), variant,
                      !strcmp(variant, "direct") ? ""
                      : json_is_true(json_object_get(v, "created"))
                      ? ", created by vplug" : ", existing");
        if (reason) {
            ds_put_format(out, " (fallback: %s)", reason);
        }
        ds_put_char(out, '\n');
        const char *tcp_limit = json_string_value(json_object_get(
                                                      v, "tcp_limit"));
        if (tcp_limit) {
            ds_put_format(out, "    tcp: %s\n", tcp_limit);
        }
    }
    json_array_foreach (json_object_get(t, "namespaces"), i, v) {
        ds_put_format(out, "  namespace %s%s%s\n",
                      json_string_value(json_object_get(v, "name")),
                      json_is_true(json_object_get(v, "created"))
                      ? ", created by vplug" : ", existing",
                      json_is_true(json_object_get(v, "exists"))
                      ? "" : ", MISSING");
    }
    json_array_foreach (json_object_get(t, "links"), i, v) {
        const json_t *ends = json_object_get(v, "ends");
        ds_put_cstr(out, "  link ");
        format_end_text(out, json_array_get(ends, 0));
        ds_put_cstr(out, " <-> ");
        format_end_text(out, json_array_get(ends, 1));
        ds_put_char(out, '\n');
        for (size_t k = 0; k < 2; k++) {
            const json_t *end = json_array_get(ends, k);
            ds_put_cstr(out, "    ");
            format_end_text(out, end);
            if (!json_is_true(json_object_get(end, "exists"))) {
                ds_put_cstr(out, ": MISSING\n");
                continue;
            }
            ds_put_format(out, ": %s, mtu %d",
                          json_is_true(json_object_get(end, "up"))
                          ? "up" : "down",
                          (int) json_integer_value(json_object_get(end,
                                                                   "mtu")));
            size_t a;
            json_t *addr;
            json_array_foreach (json_object_get(end, "addrs"), a, addr) {
                ds_put_format(out, "%s%s", a ? " " : ", ",
                              json_string_value(addr));
            }
            ds_put_char(out, '\n');
        }
    }
    const char *ovn = json_string_value(json_object_get(t, "ovn"));
    if (ovn) {
        ds_put_cstr(out, ovn);
    }
}

int
engine_show(const char *name, bool as_json, const struct engine_opts *opts,
            struct ds *out, char **errp)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    int error = 0;

    *errp = NULL;
    if (name) {
        svec_add(&names, name);
    } else {
        error = engine_list(opts, &names);
        if (error) {
            *errp = xasprintf("cannot list %s: %s", state_dir(opts),
                              ovs_strerror(error));
            svec_destroy(&names);
            return error;
        }
    }

    json_t *all = vjson_array();
    for (size_t i = 0; i < names.n && !error; i++) {
        struct state st;
        error = state_read_applied(opts, names.names[i], &st, errp);
        if (error) {
            break;
        }
        struct engine e;
        engine_init(&e, names.names[i], opts);
        engine_use_state_remote(&e, &st);
        json_array_append_new(all, describe_topology(&e, &st));
        engine_uninit(&e);
        state_uninit(&st);
    }

    if (!error) {
        if (as_json) {
            json_t *root = json_pack("{s:O}", "topologies", all);
            char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            ds_put_format(out, "%s\n", text);
            free(text);
            json_decref(root);
        } else {
            size_t i;
            json_t *t;
            json_array_foreach (all, i, t) {
                format_topology_text(out, t);
            }
        }
    }
    json_decref(all);
    svec_destroy(&names);
    return error;
}
