/* VIF plugging in the manner of os-vif: one interface of a namespace (a
 * VM's or a container's) attached to an integration bridge, with the OVS
 * Interface external_ids an OpenStack-like agent expects (iface-id,
 * attached-mac, vm-uuid, iface-status), optionally through a per-VIF Linux
 * bridge (hybrid plug).  Each VIF is a topology of its own, named after its
 * namespace and interface, so the engine's ownership, rollback and repair
 * apply to it unchanged; the integration bridge is shared and never removed
 * by an unplug. */
#ifndef VIF_H
#define VIF_H 1

#include <stdbool.h>
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

struct engine_opts;

struct vif_request {
    char *ns;                   /* Namespace (created if missing). */
    char *ifname;               /* Interface inside it. */
    char *sw;                   /* OVS integration bridge. */
    char *mac;                  /* "mac=": the VIF's MAC, or NULL. */
    int mtu;                    /* "mtu=": both ends, 0 for default. */
    int vlan;                   /* "vlan=": OVS tag, or -1. */
    struct svec addrs;          /* "addr=": CIDRs (repeatable). */
    char *iface_id;             /* "iface-id=". */
    char *vm_uuid;              /* "vm-uuid=". */
    char *attached_mac;         /* "attached-mac=" (default: mac). */
    bool hybrid;                /* "hybrid=true". */
};

/* Parses NS IFNAME SWITCH [key=value...] into 'req'.  Returns NULL or an
 * error message naming the bad argument (caller frees). */
char *vif_request_parse(int argc, const char *const argv[],
                        struct vif_request *req) OVS_WARN_UNUSED_RESULT;
void vif_request_uninit(struct vif_request *);

/* The topology name of VIF 'ifname' in 'ns'.  Caller frees. */
char *vif_topology_name(const char *ns, const char *ifname);

/* Plugs 'req' and returns when the port is ready: on the integration
 * bridge that ovn-controller manages, a port with an iface-id also once OVN
 * installed it; if that does not happen in time, the port stays plugged and
 * the error says so.  Plugging what is plugged the same way changes nothing;
 * differently is an error naming the difference.  Reports 'true' in
 * '*changedp' if anything was done. */
int vif_plug(const struct vif_request *req, const struct engine_opts *,
             bool *changedp, char **errp);

/* Unplugs VIF 'ifname' of 'ns'.  Succeeds if it is not plugged. */
int vif_unplug(const char *ns, const char *ifname, const struct engine_opts *,
               char **errp);

#endif /* vif.h */
