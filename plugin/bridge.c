/* The Linux bridge backend: a kernel bridge per switch, each veth's
 * root-namespace end enslaved to it.  Kernel changes are cheap and ordered,
 * so they happen at once rather than at commit(). */
#include <config.h>
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtnl.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

struct bridge_backend {
    struct vplug_backend up;
    struct rtnl *rtnl;          /* Socket in the current namespace. */
    char *alias;                /* "vplug:OWNER". */
};

static struct bridge_backend *
bridge_backend_cast(struct vplug_backend *backend)
{
    return (struct bridge_backend *) backend;
}

static int
bridge_open(struct vplug_ctx *ctx, struct vplug_backend **backendp,
            char **errp)
{
    struct rtnl *rtnl;
    int error = rtnl_open(-1, &rtnl);
    if (error) {
        *errp = xasprintf("cannot open a netlink socket: %s",
                          ovs_strerror(error));
        return error;
    }

    struct bridge_backend *b = xzalloc(sizeof *b);
    b->up.class = &vplug_bridge_backend;
    b->up.ctx = ctx;
    b->rtnl = rtnl;
    b->alias = xasprintf("vplug:%s", ctx->owner);
    *backendp = &b->up;
    return 0;
}

static void
bridge_close(struct vplug_backend *backend)
{
    if (backend) {
        struct bridge_backend *b = bridge_backend_cast(backend);
        rtnl_close(b->rtnl);
        free(b->alias);
        free(b);
    }
}

static int
bridge_probe(struct vplug_backend *backend OVS_UNUSED,
             const struct topo_switch *sw OVS_UNUSED, char **errp OVS_UNUSED)
{
    /* The bridge module is built into every kernel vplug runs on, and a
     * missing one shows up as a clear error at creation time. */
    return 0;
}

/* Returns true if link 'info' carries this backend's owner tag. */
static bool
is_ours(const struct bridge_backend *b, const struct rtnl_link_info *info)
{
    return info->alias && !strcmp(info->alias, b->alias);
}

/* Fills 'info' for link 'name' (a bridge if 'bridge') and returns 0.
 * Returns ENODEV, with no message, if there is none; otherwise errno and a
 * sentence in '*errp'. */
static int
lookup(struct bridge_backend *b, const char *name, bool bridge,
       struct rtnl_link_info *info, char **errp)
{
    int error = rtnl_link_get(b->rtnl, name, info);
    if (error && error != ENODEV) {
        *errp = xasprintf("cannot look up %s'%s': %s", bridge ? "bridge " : "",
                          name, ovs_strerror(error));
    }
    return error;
}

static int
bridge_ensure_switch(struct vplug_backend *backend,
                     const struct topo_switch *sw, bool *createdp,
                     char **variantp, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info info;

    *createdp = false;
    *variantp = xstrdup("bridge");

    int error = lookup(b, sw->name, true, &info, errp);
    if (!error) {
        /* A bridge tagged with our owner is ours, even if the run that
         * created it was killed before recording it. */
        *createdp = is_ours(b, &info);
        if (strcmp(info.kind, "bridge")) {
            *errp = xasprintf("cannot use '%s' as a Linux bridge: it exists "
                              "and is a %s link", sw->name,
                              info.kind[0] ? info.kind : "non-bridge");
            error = EEXIST;
        } else if (!info.admin_up && is_ours(b, &info)) {
            error = rtnl_link_set_up(b->rtnl, sw->name, true);
            if (error) {
                *errp = xasprintf("cannot bring up bridge '%s': %s",
                                  sw->name, ovs_strerror(error));
            }
        }
        rtnl_link_info_uninit(&info);
        return error;
    } else if (error != ENODEV) {
        return error;
    }

    if (backend->ctx->dry_run) {
        *createdp = true;
        return 0;
    }
    struct rtnl_link_spec spec = {
        .name = sw->name,
        .alias = b->alias,
        .mtu = sw->mtu,
        .ipv6_off = true,
        .up = true,
        .netns_fd = -1,
    };
    error = rtnl_bridge_create(b->rtnl, &spec);
    if (error) {
        *errp = xasprintf("cannot create bridge '%s': %s", sw->name,
                          ovs_strerror(error));
        return error;
    }
    *createdp = true;
    return 0;
}

static int
bridge_switch_exists(struct vplug_backend *backend, const char *name,
                     bool *existsp, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info info;

    int error = lookup(b, name, true, &info, errp);
    *existsp = !error;
    if (!error) {
        rtnl_link_info_uninit(&info);
    }
    return error == ENODEV ? 0 : error;
}

static int
bridge_adopt_switch(struct vplug_backend *backend, const char *name,
                    bool *adoptedp, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info info;

    *adoptedp = false;
    int error = lookup(b, name, true, &info, errp);
    if (error) {
        return error == ENODEV ? 0 : error;
    }
    if (!strcmp(info.kind, "bridge") && !info.alias
        && !backend->ctx->dry_run) {
        /* What rtnl_bridge_create() does after creating it: the tag, then
         * no IPv6 addresses, and bridge_ensure_switch() brings it up. */
        error = rtnl_link_set_alias(b->rtnl, name, b->alias);
        if (!error) {
            error = rtnl_link_set_ipv6_off(b->rtnl, name, true);
        }
        if (error) {
            *errp = xasprintf("cannot take over bridge '%s', which an apply "
                              "of topology '%s' created and was killed "
                              "before tagging: %s", name,
                              backend->ctx->owner, ovs_strerror(error));
        } else {
            *adoptedp = true;
        }
    }
    rtnl_link_info_uninit(&info);
    return error;
}

static int
bridge_attach(struct vplug_backend *backend, const struct topo_switch *sw,
              const struct topo_end *end, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);

    if (backend->ctx->dry_run) {
        return 0;
    }
    int error = rtnl_link_set_master(b->rtnl, end->ifname, sw->name);
    if (error) {
        *errp = xasprintf("cannot attach '%s' to bridge '%s': %s",
                          end->ifname, sw->name, ovs_strerror(error));
    }
    return error;
}

static int
bridge_detach(struct vplug_backend *backend, const char *sw_name,
              const char *ifname, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info info;

    int error = lookup(b, ifname, false, &info, errp);
    if (error) {
        return error == ENODEV ? 0 : error;
    }
    if (is_ours(b, &info) && !strcmp(info.master, sw_name)
        && !backend->ctx->dry_run) {
        error = rtnl_link_set_master(b->rtnl, ifname, NULL);
        if (error && error != ENODEV) {
            *errp = xasprintf("cannot detach '%s' from bridge '%s': %s",
                              ifname, sw_name, ovs_strerror(error));
        } else {
            error = 0;
        }
    }
    rtnl_link_info_uninit(&info);
    return error;
}

/* Stores into '*heirp' the name (malloc'd) of another topology than
 * ctx->owner with a port on bridge 'sw_name' (the smallest name), or NULL
 * if no other topology has one.  Returns 0 or errno and '*errp'. */
static int
other_port_owner(struct bridge_backend *b, const char *sw_name,
                 char **heirp, char **errp)
{
    struct rtnl_link_info *links;
    size_t n_links;

    *heirp = NULL;
    int error = rtnl_link_list(b->rtnl, &links, &n_links);
    if (error) {
        *errp = xasprintf("cannot list the ports of bridge '%s': %s",
                          sw_name, ovs_strerror(error));
        return error;
    }
    for (size_t i = 0; i < n_links; i++) {
        const struct rtnl_link_info *l = &links[i];
        if (!strcmp(l->master, sw_name) && l->alias
            && str_startswith(l->alias, "vplug:") && !is_ours(b, l)) {
            const char *tag = l->alias + strlen("vplug:");
            if (!*heirp || strcmp(tag, *heirp) < 0) {
                free(*heirp);
                *heirp = xstrdup(tag);
            }
        }
    }
    rtnl_link_info_free_array(links, n_links);
    return 0;
}

static int
bridge_remove_switch(struct vplug_backend *backend, const char *sw_name,
                     char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info info;

    int error = lookup(b, sw_name, true, &info, errp);
    if (error) {
        return error == ENODEV ? 0 : error;
    }
    if (is_ours(b, &info) && !strcmp(info.kind, "bridge")
        && !backend->ctx->dry_run) {
        char *heir = NULL;
        error = other_port_owner(b, sw_name, &heir, errp);
        if (error || heir) {
            if (heir) {
                /* Another topology still has ports on it: the bridge
                 * stays and is that topology's now, so that it goes with
                 * the last topology using it. */
                char *alias = xasprintf("vplug:%s", heir);
                error = rtnl_link_set_alias(b->rtnl, sw_name, alias);
                if (error) {
                    *errp = xasprintf("cannot hand bridge '%s' over to "
                                      "topology '%s': %s", sw_name, heir,
                                      ovs_strerror(error));
                }
                free(alias);
                free(heir);
            }
            rtnl_link_info_uninit(&info);
            return error;
        }
        error = rtnl_link_delete(b->rtnl, sw_name);
        if (error && error != ENODEV) {
            *errp = xasprintf("cannot delete bridge '%s': %s", sw_name,
                              ovs_strerror(error));
        } else {
            error = 0;
        }
    }
    rtnl_link_info_uninit(&info);
    return error;
}

static int
bridge_commit(struct vplug_backend *backend OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
bridge_list(struct vplug_backend *backend, const char *owner,
            struct vplug_switch_info **infosp, size_t *np, char **errp)
{
    struct bridge_backend *b = bridge_backend_cast(backend);
    struct rtnl_link_info *links;
    size_t n_links;

    *infosp = NULL;
    *np = 0;
    int error = rtnl_link_list(b->rtnl, &links, &n_links);
    if (error) {
        *errp = xasprintf("cannot list links: %s", ovs_strerror(error));
        return error;
    }

    struct vplug_switch_info *infos = NULL;
    size_t n = 0, allocated = 0;
    for (size_t i = 0; i < n_links; i++) {
        const struct rtnl_link_info *br = &links[i];
        if (strcmp(br->kind, "bridge")) {
            continue;
        }

        struct vplug_switch_info info = {
            .name = xstrdup(br->name),
            .variant = xstrdup("bridge"),
            .owner = (br->alias && str_startswith(br->alias, "vplug:")
                      ? xstrdup(br->alias + 6) : NULL),
        };
        size_t ports_allocated = 0;
        bool any_ours = false;
        for (size_t j = 0; j < n_links; j++) {
            const struct rtnl_link_info *port = &links[j];
            if (strcmp(port->master, br->name)) {
                continue;
            }
            const char *port_owner = (port->alias
                                      && str_startswith(port->alias, "vplug:")
                                      ? port->alias + 6 : NULL);
            if (port_owner && (!owner || !strcmp(port_owner, owner))) {
                any_ours = true;
            }
            if (info.n_ports >= ports_allocated) {
                info.ports = x2nrealloc(info.ports, &ports_allocated,
                                        sizeof *info.ports);
            }
            info.ports[info.n_ports++] = (struct vplug_port_info) {
                .ifname = xstrdup(port->name),
                .owner = nullable_xstrdup(port_owner),
                .ofport = -1,
                .vlan = -1,
            };
        }
        if (info.owner && (!owner || !strcmp(info.owner, owner))) {
            any_ours = true;
        }
        if (!any_ours) {
            vplug_switch_info_uninit(&info);
            continue;
        }
        if (n >= allocated) {
            infos = x2nrealloc(infos, &allocated, sizeof *infos);
        }
        infos[n++] = info;
    }
    rtnl_link_info_free_array(links, n_links);
    *infosp = infos;
    *np = n;
    return 0;
}

const struct vplug_backend_class vplug_bridge_backend = {
    .name = "bridge",
    .open = bridge_open,
    .close = bridge_close,
    .probe = bridge_probe,
    .ensure_switch = bridge_ensure_switch,
    .switch_exists = bridge_switch_exists,
    .adopt_switch = bridge_adopt_switch,
    .attach = bridge_attach,
    .detach = bridge_detach,
    .remove_switch = bridge_remove_switch,
    .commit = bridge_commit,
    .list = bridge_list,
};
