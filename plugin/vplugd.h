/* Declarations shared by vplugd's source files (plugin/vplugd*.c). */
#ifndef VPLUGD_H
#define VPLUGD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "latch.h"
#include "openvswitch/list.h"
#include "ovs-thread.h"
#include "vplugd-gate.h"

struct engine_opts;
struct unixctl_conn;
struct vplugd_job;
struct vplugd_status;
struct netns_pool;
struct rtnl;
struct vlog_module;
struct vswitch;

/* The daemon's log module, "vplugd" (vplugd.c defines it). */
extern struct vlog_module *VLM_vplugd;

/* How often the kernel side is checked without any event (namespaces,
 * links inside namespaces), and how long drift must last before a repair:
 * long enough for someone else's destroy of a small topology to finish. */
#define TICK_MS 1000
#define GRACE_MS 1000
/* How long after an event the check runs, so that a burst of events (a
 * plug makes several) costs one check. */
#define COALESCE_MS 100
/* The same while requests of ours are in progress (their own changes make
 * most events then). */
#define BUSY_COALESCE_MS 1000
/* The nice value of the requests' threads, relative to the loop's 0. */
#define JOB_NICE 10
/* Bound on a repair's waits: shorter than a request's, as the daemon does
 * nothing else meanwhile. */
#define REPAIR_TIMEOUT_MS 10000
/* Spare namespaces kept for plugs into new namespaces by default, at most,
 * and how long to wait after failing to make one.  After a burst that
 * wanted more than it had, the pool keeps as many as the burst wanted, up
 * to BURST_SPARE_NAMESPACES (about 170 kB of kernel memory each on Linux
 * 6.x): a compute node that booted 20 VMs at once may boot 20 again. */
#define SPARE_NAMESPACES 4
#define MAX_SPARE_NAMESPACES 64
#define BURST_SPARE_NAMESPACES 32
#define SPARE_RETRY_MS 10000

/* What the quick check compares, per kind of object. */
enum drift_kind {
    DRIFT_NONE,
    DRIFT_NS,                   /* A namespace is gone. */
    DRIFT_LINK,                 /* A link is gone or down. */
    DRIFT_PORT,                 /* An OVS port is gone from its bridge. */
    DRIFT_UNFINISHED,           /* An apply died half-way (its state still
                                 * says "applying", its lock is free). */
};

/* A topology in the state directory (applied by the daemon or by the
 * CLI: every one is vplug's, so the daemon keeps them all), with what the
 * quick check looks for. */
struct managed {
    char *name;
    struct timespec mtime;      /* Of its state file when loaded. */
    bool is_vif;                /* Plugged by vplug/plug or "vplug plug". */
    struct svec namespaces;     /* Namespaces of its ends. */
    struct svec root_links;     /* Its interfaces in the root namespace. */
    struct svec ovs_ports;      /* "BRIDGE IFNAME" of its ends on OVS. */
    struct svec ns_links;       /* "NS IFNAME" of links with no end in the
                                 * root namespace (seen by no event). */
    struct svec switches;       /* "KIND NAME" of its switches. */
    bool exempt[DRIFT_UNFINISHED + 1];
                                /* Per drift_kind: the quick check was
                                 * wrong here (a fallback backend), so only
                                 * engine_check() judges it. */
    long long int suspect_since;        /* When drift was first seen, or
                                         * 0. */
    enum drift_kind suspect_kind;
    long long int retry_after;  /* After a failed repair. */
    int n_failures;             /* Consecutive failed repairs. */
    bool seen;                  /* Found in this reload. */
};

/* The daemon's settings and state, one per process. */
struct vplugd {
    char *db_remote;            /* OVSDB remote. */
    char *sandbox_dir;          /* Sandbox directory, or NULL. */
    char *unixctl_path;         /* --unixctl, or NULL for the default. */
    struct ctl_gate_limits gate_limits;  /* --idle-timeout, --max-clients. */
    struct ctl_gate *gate;      /* In front of the unixctl server. */
    const char *state_dir;      /* Engine state directory. */
    int timeout_ms;             /* --timeout: bound on each request's
                                 * waits. */
    bool exiting;               /* "exit" received. */
    long long int start_time;   /* time_msec() at start. */
    unsigned int n_requests;    /* Engine requests served. */

    /* Desired state and self-healing. */
    struct managed **topos;
    size_t n_topos, allocated_topos;
    struct vswitch *vs;         /* Database monitor. */
    unsigned int vs_seqno;
    unsigned int vs_n_connects;
    int nl_fd;                  /* rtnetlink RTNLGRP_LINK, or -1. */
    struct rtnl *root_rtnl;     /* For listing root-namespace links. */
    long long int next_tick;    /* Next periodic check. */
    long long int check_at;     /* Next quick check (LLONG_MAX: none). */
    long long int repair_at;    /* Next repair pass (LLONG_MAX: none). */
    unsigned int n_checks;      /* Quick checks run. */
    unsigned int n_repairs;     /* Topologies re-applied to fix drift. */
    unsigned int n_repaired;    /* Objects found missing by those. */
    unsigned int n_repair_failures;
    char *last_repair;          /* "TOPOLOGY: what was missing", or NULL. */

    /* Requests in progress: each runs in a worker thread of its own, with
     * a database connection lent from 'idle_conns' (never 'vs'), or for a
     * plug or an unplug 'shared_conn', and hands its result back through
     * 'jobs_latch'; the loop sends the deferred reply.  Only the main
     * thread touches 'jobs'; a worker writes only its own job, and 'done'
     * under 'jobs_mutex'.  The idle connections follow the database in a
     * thread of their own ('conns_thread'), so that a large change (a
     * 500-host apply) is not parsed once per idle replica on the loop. */
    struct ovs_list jobs;               /* Of struct vplugd_job. */
    struct ovs_mutex jobs_mutex;
    struct latch jobs_latch;
    struct ovs_mutex conns_mutex;
    struct vswitch **idle_conns OVS_GUARDED;    /* Connections no job
                                                 * holds. */
    size_t n_idle_conns OVS_GUARDED;
    long long int last_job_start OVS_GUARDED;   /* time_msec() of the last
                                                 * job. */
    bool conns_exit OVS_GUARDED;
    struct vswitch *shared_conn OVS_GUARDED;   /* Plugs' and unplugs', made
                                                 * for the first. */
    struct latch conns_latch;           /* Wakes 'conns_thread'. */
    pthread_t conns_thread;

    /* Spare namespaces, made while idle. */
    struct netns_pool *pool;
    int n_spares;                       /* --spare-namespaces. */
    long long int pool_retry_at;        /* After a failure to make one. */
};

/* vplugd-heal.c */
void add_unique(struct svec *v, const char *s);
void init_heal_opts(const struct vplugd *d, struct engine_opts *opts);
void reload_topologies(struct vplugd *d);
void heal_init(struct vplugd *d);
void heal_destroy(struct vplugd *d);
void heal_run(struct vplugd *d);
void heal_wait(struct vplugd *d);

/* vplugd-jobs.c */

/* Runs in the worker: fills the job's result from its request. */
typedef void vplugd_job_func(struct vplugd_job *, const struct engine_opts *);

/* One request in progress. */
struct vplugd_job {
    struct ovs_list node;       /* In struct vplugd's 'jobs'. */
    struct vplugd *d;
    struct unixctl_conn *conn;  /* Answered when the job is done. */
    char *title;                /* "apply FILE", for vplug/status. */
    char *topo_name;            /* The topology it changes: healing leaves
                                 * it alone meanwhile. */
    long long int started;      /* time_msec(). */
    vplugd_job_func *run;
    struct svec args;           /* The request's arguments. */
    void *aux;                  /* Parsed request, freed by 'free_aux'. */
    void (*free_aux)(void *);
    struct vswitch *vs;         /* Lent connection, or the shared one. */
    bool shared_conn;           /* 'vs' is 'shared_conn' of struct
                                 * vplugd. */
    pthread_t thread;
    bool done;                  /* Under 'jobs_mutex'. */

    /* Result, written by the worker only. */
    int error;
    struct ds out;              /* Engine lines, then the reply. */
    char *why;                  /* Error message, or NULL. */
};

void jobs_init(struct vplugd *);
void jobs_destroy(struct vplugd *);
void jobs_run(struct vplugd *);
void jobs_wait(struct vplugd *);
void jobs_start(struct vplugd *, struct unixctl_conn *, const char *title,
                const char *topo_name, vplugd_job_func *, int argc,
                const char *argv[], void *aux, void (*free_aux)(void *));
void jobs_start_vif(struct vplugd *, struct unixctl_conn *,
                    const char *title, const char *topo_name,
                    vplugd_job_func *, int argc, const char *argv[],
                    void *aux, void (*free_aux)(void *));
bool jobs_busy(const struct vplugd *, const char *topo_name);
void jobs_init_opts(struct vplugd_job *, struct engine_opts *);
void jobs_describe(const struct vplugd *, struct vplugd_status *);

/* vplugd-status.c */

/* A request in progress, as vplug/status reports it. */
struct vplugd_status_job {
    const char *title;          /* Borrowed from the job. */
    long long int elapsed_ms;
};

/* A datapath type of the managed OVS bridges ("netdev", "system",
 * "missing": no such bridge in the database) and how many have it. */
struct vplugd_status_datapath {
    char *type;
    size_t n_bridges;
};

/* What vplug/status reports, gathered once so that its text and its JSON
 * say the same.  Strings are borrowed from the daemon for the duration of
 * one request, except the datapath types. */
struct vplugd_status {
    const char *db_remote;
    bool db_connected;
    const char *db_error;       /* Why it is not connected, or NULL. */
    const char *sandbox_dir;    /* Or NULL. */
    long long int uptime_s;
    unsigned int n_requests;    /* Engine requests served. */
    struct vplugd_status_job *jobs;     /* Requests in progress. */
    size_t n_jobs;
    size_t n_spares;            /* Spare namespaces ready... */
    size_t max_spares;          /* ...of those it keeps now. */
    size_t n_topos;             /* Topologies kept... */
    size_t n_vifs;              /* ...of which plugged VIFs. */
    size_t n_ovs;               /* Distinct OVS bridges in use. */
    size_t n_bridge;            /* Distinct Linux bridges in use. */
    struct vplugd_status_datapath *datapaths;   /* Sorted by type. */
    size_t n_datapaths;
    size_t n_drifting;          /* Topologies with a repair pending. */
    unsigned int n_repairs;     /* Topologies re-applied to fix drift. */
    unsigned int n_repaired;    /* Objects those restored. */
    unsigned int n_repair_failures;
    const char *last_repair;    /* Or NULL. */
};

/* Frees what 'st' owns ('st' itself is the caller's). */
void vplugd_status_uninit(struct vplugd_status *st);
/* Appends a request in progress, or 'n_bridges' bridges of datapath type
 * 'type', to 'st'. */
void vplugd_status_add_job(struct vplugd_status *st, const char *title,
                           long long int elapsed_ms);
void vplugd_status_add_datapath(struct vplugd_status *st, const char *type,
                                size_t n_bridges);
/* Appends to 'out' the text of vplug/status: one "fact: value" a line. */
void vplugd_status_format_text(const struct vplugd_status *st,
                               struct ds *out);
/* Returns the JSON of "vplug/status --format=json" (documented in
 * vplugd(8)), ending in a new line.  Caller frees. */
char *vplugd_status_to_json(const struct vplugd_status *st);

/* vplugd-commands.c */
void register_commands(struct vplugd *d);

#endif /* vplugd.h */
