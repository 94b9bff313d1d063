/* vplugd: requests that take long (apply, destroy, verify, plug, unplug)
 * run in worker threads, so that the loop goes on serving status, show,
 * self-healing and other clients meanwhile.
 *
 * Each job gets a thread of its own and a database connection of its own,
 * lent from a set of idle connections that the loop keeps up to date (so a
 * request saves the connect and the download, as it did when requests ran
 * on the loop's connection).  Plugs and unplugs, which come in bursts (a
 * compute node booting 20 VMs) and each change a port or two, share one
 * connection instead (vswitch_create_shared()): with one each, every
 * change of a burst would reach, and be parsed by, every replica of the
 * burst.
 *
 * A worker never touches the daemon's monitor 'vs', the unixctl server or
 * the managed topologies; the engine's per-topology locks
 * (plugin/engine-state.c) serialize an apply against a repair or another
 * apply of the same topology, across threads as across processes.  When the
 * worker is done it sets 'done' and the latch; the loop joins it and sends
 * the deferred unixctl reply.
 *
 * A client that goes away meanwhile costs nothing: OVS's unixctl reads no
 * more from a connection with a request pending, so the connection stays
 * until the reply, whose send then fails and closes it. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"
#include "ovsdb/vswitch.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "unixctl.h"
#include "openvswitch/vlog.h"
#include "vplugd.h"

VLOG_DEFINE_THIS_MODULE(vplugd_jobs);

/* Idle connections kept at most (beyond them, a finished job's connection
 * is closed).  Requests that come together (applies, destroys, verifies)
 * find one each, instead of connecting and downloading the database first;
 * each idle one costs a replica kept current, so after IDLE_TRIM_MS without
 * a new request only IDLE_CONNS_KEPT stay. */
#define MAX_IDLE_CONNS 32
#define IDLE_CONNS_KEPT 8
#define IDLE_TRIM_MS 10000

/* The idle connections' thread: keeps them current, and after a burst
 * closes those beyond IDLE_CONNS_KEPT. */
static void *
conns_main(void *d_)
{
    struct vplugd *d = d_;

    for (;;) {
        ovs_mutex_lock(&d->conns_mutex);
        if (d->conns_exit) {
            ovs_mutex_unlock(&d->conns_mutex);
            return NULL;
        }
        while (d->n_idle_conns > IDLE_CONNS_KEPT
               && time_msec() >= d->last_job_start + IDLE_TRIM_MS) {
            vswitch_destroy(d->idle_conns[--d->n_idle_conns]);
        }
        for (size_t i = 0; i < d->n_idle_conns; i++) {
            vswitch_run(d->idle_conns[i]);
            vswitch_wait(d->idle_conns[i]);
        }
        if (d->n_idle_conns > IDLE_CONNS_KEPT) {
            poll_timer_wait_until(d->last_job_start + IDLE_TRIM_MS);
        }
        ovs_mutex_unlock(&d->conns_mutex);

        latch_wait(&d->conns_latch);
        poll_block();
        latch_poll(&d->conns_latch);
    }
}

void
jobs_init(struct vplugd *d)
{
    ovs_list_init(&d->jobs);
    ovs_mutex_init(&d->jobs_mutex);
    latch_init(&d->jobs_latch);
    ovs_mutex_init(&d->conns_mutex);
    latch_init(&d->conns_latch);
    d->conns_thread = ovs_thread_create("vplug-conns", conns_main, d);
}

static void
job_free(struct vplugd_job *job)
{
    if (job->free_aux) {
        job->free_aux(job->aux);
    }
    svec_destroy(&job->args);
    ds_destroy(&job->out);
    free(job->why);
    free(job->title);
    free(job->topo_name);
    free(job);
}

/* Returns 'vs' to the idle connections, or closes it. */
static void
put_conn(struct vplugd *d, struct vswitch *vs)
{
    ovs_mutex_lock(&d->conns_mutex);
    if (d->n_idle_conns < MAX_IDLE_CONNS) {
        d->idle_conns = xrealloc(d->idle_conns, (d->n_idle_conns + 1)
                                 * sizeof *d->idle_conns);
        d->idle_conns[d->n_idle_conns++] = vs;
        vs = NULL;
    }
    ovs_mutex_unlock(&d->conns_mutex);
    if (vs) {
        vswitch_destroy(vs);
    } else {
        latch_set(&d->conns_latch);     /* It has one more to follow. */
    }
}

static struct vswitch *
get_conn(struct vplugd *d)
{
    struct vswitch *vs = NULL;

    ovs_mutex_lock(&d->conns_mutex);
    d->last_job_start = time_msec();
    if (d->n_idle_conns) {
        vs = d->idle_conns[--d->n_idle_conns];
    }
    ovs_mutex_unlock(&d->conns_mutex);
    return vs ? vs : vswitch_create(d->db_remote, true);
}

/* Returns the connection that plugs and unplugs share, made the first time
 * one is asked for.  (A plug does not count as a job start for the idle
 * connections: it uses none of them.) */
static struct vswitch *
get_shared_conn(struct vplugd *d)
{
    ovs_mutex_lock(&d->conns_mutex);
    if (!d->shared_conn) {
        d->shared_conn = vswitch_create_shared(d->db_remote);
    }
    struct vswitch *vs = d->shared_conn;
    ovs_mutex_unlock(&d->conns_mutex);
    return vs;
}

/* Sends 'job''s reply and frees it.  'job' is no longer in the list and its
 * thread is joined. */
static void
job_finish(struct vplugd *d, struct vplugd_job *job)
{
    if (job->error) {
        ds_put_format(&job->out, "%s",
                      job->why ? job->why : ovs_strerror(job->error));
        unixctl_command_reply_error(job->conn, ds_cstr(&job->out));
    } else {
        unixctl_command_reply(job->conn, ds_cstr(&job->out));
    }
    VLOG_DBG("%s: done in %lld ms%s", job->title,
             time_msec() - job->started, job->error ? " (failed)" : "");
    if (!job->shared_conn) {
        put_conn(d, job->vs);
    }
    job_free(job);
}

/* Asks every job to stop (an apply rolls back), waits for them and sends
 * their replies, before the unixctl server goes away. */
void
jobs_destroy(struct vplugd *d)
{
    struct vplugd_job *job;

    if (!ovs_list_is_empty(&d->jobs)) {
        engine_request_stop();
    }
    LIST_FOR_EACH_POP (job, node, &d->jobs) {
        xpthread_join(job->thread, NULL);
        job_finish(d, job);
    }
    ovs_mutex_lock(&d->conns_mutex);
    d->conns_exit = true;
    ovs_mutex_unlock(&d->conns_mutex);
    latch_set(&d->conns_latch);
    xpthread_join(d->conns_thread, NULL);
    for (size_t i = 0; i < d->n_idle_conns; i++) {
        vswitch_destroy(d->idle_conns[i]);
    }
    vswitch_destroy(d->shared_conn);
    d->shared_conn = NULL;
    free(d->idle_conns);
    d->idle_conns = NULL;
    d->n_idle_conns = 0;
    latch_destroy(&d->conns_latch);
    ovs_mutex_destroy(&d->conns_mutex);
    latch_destroy(&d->jobs_latch);
    ovs_mutex_destroy(&d->jobs_mutex);
}

static void *
job_main(void *job_)
{
    struct vplugd_job *job = job_;
    struct vplugd *d = job->d;
    struct engine_opts opts;

    /* The loop, which answers the operator and heals, goes first: a job
     * and the workers it starts (they inherit this) yield to it when the
     * cores are short, as they are during a large apply. */
    if (setpriority(PRIO_PROCESS, syscall(SYS_gettid), JOB_NICE) < 0) {
        VLOG_DBG("cannot lower the priority of a request's thread (%s)",
                 ovs_strerror(errno));
    }
    jobs_init_opts(job, &opts);
    job->run(job, &opts);

    ovs_mutex_lock(&d->jobs_mutex);
    job->done = true;
    ovs_mutex_unlock(&d->jobs_mutex);
    latch_set(&d->jobs_latch);
    return NULL;
}

/* Collects the engine's progress lines for the reply. */
static void
collect_report(void *out_, const char *line)
{
    struct ds *out = out_;
    ds_put_format(out, "%s\n", line);
}

/* Engine options for 'job': its own connection and output. */
void
jobs_init_opts(struct vplugd_job *job, struct engine_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->db_remote = job->d->db_remote;
    opts->timeout_ms = job->d->timeout_ms;
    opts->state_dir = job->d->state_dir;
    opts->report = collect_report;
    opts->report_aux = &job->out;
    opts->vswitch = job->vs;
    opts->netns_pool = job->d->pool;    /* Has its own mutex. */
}

/* Starts a job: see jobs_start() and jobs_start_vif(). */
static void
start_job(struct vplugd *d, struct unixctl_conn *conn, const char *title,
          const char *topo_name, vplugd_job_func *run, int argc,
          const char *argv[], void *aux, void (*free_aux)(void *),
          bool shared_conn)
{
    struct vplugd_job *job = xzalloc(sizeof *job);

    job->d = d;
    job->conn = conn;
    job->title = xstrdup(title);
    job->topo_name = xstrdup(topo_name);
    job->started = time_msec();
    job->run = run;
    svec_init(&job->args);
    for (int i = 0; i < argc; i++) {
        svec_add(&job->args, argv[i]);
    }
    job->aux = aux;
    job->free_aux = free_aux;
    job->shared_conn = shared_conn;
    job->vs = shared_conn ? get_shared_conn(d) : get_conn(d);
    ds_init(&job->out);
    ovs_list_push_back(&d->jobs, &job->node);
    d->n_requests++;
    job->thread = ovs_thread_create("vplug-job", job_main, job);
}

/* Starts 'run' for the request on 'conn' in a new worker; the reply is sent
 * when it is done.  Takes ownership of 'aux' (freed with 'free_aux'). */
void
jobs_start(struct vplugd *d, struct unixctl_conn *conn, const char *title,
           const char *topo_name, vplugd_job_func *run, int argc,
           const char *argv[], void *aux, void (*free_aux)(void *))
{
    start_job(d, conn, title, topo_name, run, argc, argv, aux, free_aux,
              false);
}

/* The same for a plug or an unplug, on the connection those share. */
void
jobs_start_vif(struct vplugd *d, struct unixctl_conn *conn,
               const char *title, const char *topo_name,
               vplugd_job_func *run, int argc, const char *argv[], void *aux,
               void (*free_aux)(void *))
{
    start_job(d, conn, title, topo_name, run, argc, argv, aux, free_aux,
              true);
}

void
jobs_run(struct vplugd *d)
{
    struct ovs_list finished = OVS_LIST_INITIALIZER(&finished);
    struct vplugd_job *job;

    if (!latch_poll(&d->jobs_latch)) {
        return;
    }
    ovs_mutex_lock(&d->jobs_mutex);
    LIST_FOR_EACH_SAFE (job, node, &d->jobs) {
        if (job->done) {
            ovs_list_remove(&job->node);
            ovs_list_push_back(&finished, &job->node);
        }
    }
    ovs_mutex_unlock(&d->jobs_mutex);

    LIST_FOR_EACH_POP (job, node, &finished) {
        xpthread_join(job->thread, NULL);
        job_finish(d, job);
    }
}

void
jobs_wait(struct vplugd *d)
{
    latch_wait(&d->jobs_latch);
}

/* True if a request in progress changes topology 'topo_name'. */
bool
jobs_busy(const struct vplugd *d, const char *topo_name)
{
    const struct vplugd_job *job;

    LIST_FOR_EACH (job, node, &d->jobs) {
        if (!strcmp(job->topo_name, topo_name)) {
            return true;
        }
    }
    return false;
}

/* Adds the requests in progress to 'st', for vplug/status. */
void
jobs_describe(const struct vplugd *d, struct vplugd_status *st)
{
    const struct vplugd_job *job;
    long long int now = time_msec();

    LIST_FOR_EACH (job, node, &d->jobs) {
        vplugd_status_add_job(st, job->title, now - job->started);
    }
}
