/* Declarations shared by the engine's source files (plugin/engine*.c);
 * not an API: plugin/engine.h is. */
#ifndef ENGINE_PRIVATE_H
#define ENGINE_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

struct engine_opts;
struct rtnl;
struct vlog_module;

/* The engine's log module, "engine" (engine.c defines it). */
extern struct vlog_module *VLM_engine;

/* What the state file says about one switch. */
struct state_switch {
    char *name;
    enum topo_switch_kind backend;  /* The backend that hosts it. */
    char *variant;              /* "ovs/netdev", "bridge", "direct". */
    bool created;               /* This topology created it. */
    bool creating;              /* It did not exist when this apply was
                                 * planned: the apply creates it. */
    bool adopt;                 /* Not stored: a killed apply of this
                                 * topology was creating it, and may have
                                 * died before tagging it as ours. */
    char *reason;               /* Why a fallback was used, or NULL. */
    char *tcp_limit;            /* What limits TCP through it and what would
                                 * lift it (backend's dataplane()), or
                                 * NULL. */
};

/* A sysctl this topology changed, with the value to put back. */
struct state_sysctl {
    char *ns;                   /* NULL: the current namespace. */
    char *path;
    char *old;
};

/* The state file. */
struct state {
    struct topology *topo;      /* Applied (or being applied) topology. */
    struct topology *previous;  /* While applying over an applied one. */
    bool applying;              /* An apply started and did not finish. */
    struct svec created_ns;     /* Namespaces this topology created. */
    struct state_switch *switches;
    size_t n_switches;
    struct state_sysctl *sysctls;
    size_t n_sysctls;
    char *db_remote;            /* The OVSDB remote it was applied with. */
    char *ovn_sandbox;          /* The OVN rehearsal it was applied in, or
                                 * NULL. */
    char *ovn_nb;               /* The OVN Northbound remote given, or
                                 * NULL. */
};

/* An open namespace. */
struct ns_handle {
    char *name;                 /* NULL: the current namespace. */
    int fd;
    struct rtnl *rtnl;
};

struct engine {
    const struct engine_opts *opts;
    struct vplug_ctx ctx;
    char *alias;                /* "vplug:NAME". */
    char *db_remote;            /* Owned copy when taken from a state. */
    char *ovn_sandbox;          /* Owned copies when taken from a state. */
    char *ovn_nb;
    struct vplug_backend *backends[4];  /* Indexed by topo_switch_kind. */
    char *backend_errors[4];    /* Why a backend could not be opened. */
    struct ns_handle **nss;     /* Stable pointers: callers hold two. */
    size_t n_nss, allocated_nss;
};

enum undo_type {
    UNDO_NETNS,                 /* Created namespace 'name'. */
    UNDO_LINK,                  /* Created link 'name' in 'ns' (its
                                 * peer in namespace 'arg', NULL: the
                                 * root). */
    UNDO_ADDR,                  /* Added address 'arg' to 'name' in 'ns'. */
    UNDO_SYSCTL,                /* Changed sysctl 'name' in 'ns' from
                                 * 'arg'. */
    UNDO_PORT,                  /* Attached 'name' to switch 'arg'. */
    UNDO_SWITCH,                /* Created switch 'name'. */
};

struct undo {
    enum undo_type type;
    char *ns;
    char *name;
    char *arg;
    enum topo_switch_kind kind;
};

struct undo_log {
    struct undo *undos;
    size_t n, allocated;
};

/* One end of a link as the plan sees it. */
struct plan_end {
    const struct topo_end *end;
    const char *ns;             /* Where it lives (NULL: current). */
    bool exists;                /* The interface exists now. */
    bool ours;                  /* ...and carries this topology's alias. */
};

struct plan_link {
    const struct topo_link *link;
    struct plan_end ends[2];
    bool exists;                /* Both ends exist and are ours. */
    bool settled;               /* Applied as it is and still there: the
                                 * address pass skips it. */
};

/* engine.c */
void report(const struct engine *e, const char *format, ...) OVS_PRINTF_FORMAT(2,
            3);
const char *ns_label(const char *ns);
void progress(const struct engine *e, const char *phase, size_t done,
              size_t total);
int check_stop(char **errp);
int check_stop_or_deadline(const struct engine *, char **errp);
void engine_init(struct engine *e, const char *name,
                 const struct engine_opts *opts);
void engine_uninit(struct engine *e);
void engine_use_state_remote(struct engine *e, const struct state *st);
bool ns_equal(const char *a, const char *b);
struct ns_handle *engine_ns_adopt(struct engine *e, const char *name, int fd,
                                  struct rtnl *rtnl);
struct ns_handle *engine_ns(struct engine *e, const char *name, int *errorp);
void engine_move_namespaces(struct engine *to, struct engine *from);
struct vplug_backend *engine_backend(struct engine *e,
                                     enum topo_switch_kind kind);
void undo_push(struct undo_log *log, enum undo_type type, const char *ns,
               const char *name, const char *arg, enum topo_switch_kind kind);
int apply_locked(const struct topology *topo, const struct engine_opts *opts,
                 char **errp);

/* engine-state.c */
const char *state_dir(const struct engine_opts *opts);
char *state_file_name(const struct engine_opts *opts, const char *name);
void state_init(struct state *st);
void state_uninit(struct state *st);
struct state_switch *state_find_switch(const struct state *st,
                                       const char *name);
struct state_switch *state_add_switch(struct state *st, const char *name);
void state_add_sysctl(struct state *st, const char *ns, const char *path,
                      const char *old);
int state_write(const struct engine_opts *opts, const struct state *st,
                char **errp);
int state_read(const struct engine_opts *opts, const char *name,
               struct state *st, char **errp);
int state_read_applied(const struct engine_opts *opts, const char *name,
                       struct state *st, char **errp);
int state_remove(const struct engine_opts *opts, const char *name,
                 char **errp);
int engine_lock(const struct engine_opts *opts, const char *name, bool wait,
                long long int deadline, int *fdp, char **errp);
void engine_unlock(const struct engine_opts *opts, const char *name, int fd);
void state_inherit(struct state *st, const struct state *old);

/* engine-plan.c */
size_t count_switch_links(const struct topology *topo, const char *sw,
                          bool *all_ns_endsp);
struct topology *effective_topology(const struct topology *topo,
                                    const struct state *st);
struct topology *engine_effective(struct engine *, const struct topology *,
                                  const struct state *, char **errp);
struct topology *engine_effective_or_plain(struct engine *,
                                           const struct topology *,
                                           const struct state *);
const char *end_ns(const struct topo_end *end);
bool end_has_family(const struct topo_end *end, int family);
char *link_key(const struct topo_link *l);
const struct topo_link *find_link(const struct topology *topo,
                                  const char *key);
bool topo_link_unchanged(const struct topo_link *l,
                         const struct topo_link *old);
char *end_label(const struct topo_end *end);
int plan_links(struct engine *e, const struct topology *eff,
               const struct state *st, struct plan_link **plinksp,
               char **errp);
void collect_namespaces(const struct topology *eff, struct svec *names);
void report_plan(struct engine *e, const struct topology *eff,
                 const struct plan_link *plinks, const struct state *st);

/* engine-kernel.c */
int set_tx_offloads(struct engine *e, const struct topology *eff,
                    const struct plan_link *plinks, struct state *st,
                    char **errp);
int wait_links_up(struct engine *e, struct plan_link *plinks, size_t n,
                  char **errp);
int delete_link(struct engine *e, const struct topo_link *l,
                const struct svec *dying_ns, char **errp);
void wait_links_gone(struct engine *e, const struct topology *eff,
                     const struct svec *dead_ns);
bool wait_link_gone(struct engine *e, const char *ns, const char *name);
int run_kernel_work(struct engine *e, const struct svec *names,
                    struct plan_link *plinks, size_t n_links, bool addresses,
                    const struct topology *old_eff, bool old_applying,
                    struct state *st, struct undo_log *log, size_t *n_createdp,
                    char **errp);

/* engine-switch.c */
const char *kind_title(enum topo_switch_kind kind);
int choose_backends(struct engine *e, const struct topology *topo,
                    struct state *st, char **errp);
int plan_switches(struct engine *, const struct topology *eff,
                  struct state *, char **errp);
int adopt_killed_switch(struct engine *, struct vplug_backend *,
                        const struct state_switch *, char **errp);
int setup_switches(struct engine *e, const struct topology *eff,
                   struct state *st, struct undo_log *log, char **errp);
int attach_ports(struct engine *e, const struct topology *eff,
                 const struct topology *old_eff, struct undo_log *log,
                 char **errp);
void start_commit_backends(struct engine *e);
int commit_backends(struct engine *e, char **errp);
int settle_backends(struct engine *e, const struct topology *eff,
                    char **errp);
void abort_backends(struct engine *e);
void remove_stale_ports(struct engine *e, const struct topology *eff);
int detach_link_ports(struct engine *e, const struct topology *eff,
                      const struct topo_link *l, char **errp);

#endif /* engine-private.h */
