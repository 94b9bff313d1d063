/* vplugd: the reply of vplug/status, as text and as JSON, from facts
 * gathered once (see struct vplugd_status in vplugd.h), so that both
 * formats say the same.  jansson is used here, where no OVS JSON header
 * is included (see vjson.h). */
#include <config.h>

#include "vjson.h"
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "openvswitch/dynamic-string.h"
#include "vplugd.h"

void
vplugd_status_uninit(struct vplugd_status *st)
{
    if (st) {
        free(st->jobs);
        for (size_t i = 0; i < st->n_datapaths; i++) {
            free(st->datapaths[i].type);
        }
        free(st->datapaths);
    }
}

void
vplugd_status_add_job(struct vplugd_status *st, const char *title,
                      long long int elapsed_ms)
{
    st->jobs = xrealloc(st->jobs, (st->n_jobs + 1) * sizeof *st->jobs);
    st->jobs[st->n_jobs++] = (struct vplugd_status_job) {
        .title = title,
        .elapsed_ms = elapsed_ms,
    };
}

void
vplugd_status_add_datapath(struct vplugd_status *st, const char *type,
                           size_t n_bridges)
{
    st->datapaths = xrealloc(st->datapaths,
                             (st->n_datapaths + 1) * sizeof *st->datapaths);
    st->datapaths[st->n_datapaths++] = (struct vplugd_status_datapath) {
        .type = xstrdup(type),
        .n_bridges = n_bridges,
    };
}

void
vplugd_status_format_text(const struct vplugd_status *st, struct ds *out)
{
    ds_put_format(out, "database: %s\n", st->db_remote);
    if (st->db_connected) {
        ds_put_cstr(out, "database state: connected\n");
    } else if (st->db_error) {
        ds_put_format(out, "database state: connecting (%s)\n",
                      st->db_error);
    } else {
        ds_put_cstr(out, "database state: connecting\n");
    }
    ds_put_format(out, "sandbox: %s\n", st->sandbox_dir ? st->sandbox_dir
                                                        : "none");
    ds_put_format(out, "uptime: %lld seconds\n", st->uptime_s);
    ds_put_format(out, "requests: %u\n", st->n_requests);
    ds_put_format(out, "requests in progress: %zu\n", st->n_jobs);
    for (size_t i = 0; i < st->n_jobs; i++) {
        ds_put_format(out, "  %s (%lld ms)\n", st->jobs[i].title,
                      st->jobs[i].elapsed_ms);
    }
    ds_put_format(out, "spare namespaces: %zu of %zu\n", st->n_spares,
                  st->max_spares);
    ds_put_format(out, "topologies: %zu (%zu VIF%s)\n", st->n_topos,
                  st->n_vifs, st->n_vifs == 1 ? "" : "s");
    ds_put_cstr(out, "backends in use:");
    if (st->n_ovs) {
        ds_put_format(out, " ovs (%zu switch%s)", st->n_ovs,
                      st->n_ovs == 1 ? "" : "es");
    }
    if (st->n_bridge) {
        ds_put_format(out, "%s bridge (%zu switch%s)", st->n_ovs ? "," : "",
                      st->n_bridge, st->n_bridge == 1 ? "" : "es");
    }
    if (!st->n_ovs && !st->n_bridge) {
        ds_put_cstr(out, " none");
    }
    ds_put_cstr(out, "\ndatapath: ");
    for (size_t i = 0; i < st->n_datapaths; i++) {
        const struct vplugd_status_datapath *dp = &st->datapaths[i];
        ds_put_format(out, "%s%s (%zu bridge%s)", i ? ", " : "", dp->type,
                      dp->n_bridges, dp->n_bridges == 1 ? "" : "s");
    }
    if (!st->n_datapaths) {
        ds_put_cstr(out, "none");
    }
    ds_put_format(out, "\ndrifting: %zu\n", st->n_drifting);
    ds_put_format(out, "repairs: %u (%u object%s restored)\n", st->n_repairs,
                  st->n_repaired, st->n_repaired == 1 ? "" : "s");
    ds_put_format(out, "failed repairs: %u\n", st->n_repair_failures);
    if (st->last_repair) {
        ds_put_format(out, "last repair: %s\n", st->last_repair);
    }
}

/* Returns a new string, or JSON null for NULL. */
static json_t *
string_or_null(const char *s)
{
    return s ? vjson_string(s) : json_null();
}

char *
vplugd_status_to_json(const struct vplugd_status *st)
{
    json_t *jobs = vjson_array();
    for (size_t i = 0; i < st->n_jobs; i++) {
        json_array_append_new(jobs, json_pack("{s:s, s:I}",
                                              "title", st->jobs[i].title,
                                              "elapsed_ms",
                                              (json_int_t)
                                              st->jobs[i].elapsed_ms));
    }
    json_t *datapaths = vjson_object();
    for (size_t i = 0; i < st->n_datapaths; i++) {
        json_object_set_new(datapaths, st->datapaths[i].type,
                            vjson_integer(st->datapaths[i].n_bridges));
    }

    json_t *root = vjson_object();
    json_object_set_new(root, "database", vjson_string(st->db_remote));
    json_object_set_new(root, "database_state",
                        vjson_string(st->db_connected ? "connected"
                                     : "connecting"));
    json_object_set_new(root, "database_error",
                        string_or_null(st->db_connected ? NULL
                                       : st->db_error));
    json_object_set_new(root, "sandbox", string_or_null(st->sandbox_dir));
    json_object_set_new(root, "uptime_s", vjson_integer(st->uptime_s));
    json_object_set_new(root, "requests", vjson_integer(st->n_requests));
    json_object_set_new(root, "requests_in_progress", jobs);
    json_object_set_new(root, "spare_namespaces",
                        json_pack("{s:I, s:I}",
                                  "ready", (json_int_t) st->n_spares,
                                  "target", (json_int_t) st->max_spares));
    json_object_set_new(root, "topologies", vjson_integer(st->n_topos));
    json_object_set_new(root, "vifs", vjson_integer(st->n_vifs));
    json_object_set_new(root, "backends",
                        json_pack("{s:I, s:I}",
                                  "ovs", (json_int_t) st->n_ovs,
                                  "bridge", (json_int_t) st->n_bridge));
    json_object_set_new(root, "datapaths", datapaths);
    json_object_set_new(root, "drifting", vjson_integer(st->n_drifting));
    json_object_set_new(root, "repairs", vjson_integer(st->n_repairs));
    json_object_set_new(root, "objects_restored",
                        vjson_integer(st->n_repaired));
    json_object_set_new(root, "failed_repairs",
                        vjson_integer(st->n_repair_failures));
    json_object_set_new(root, "last_repair", string_or_null(st->last_repair));

    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *out = xasprintf("%s\n", text);
    free(text);
    json_decref(root);
    return out;
}
