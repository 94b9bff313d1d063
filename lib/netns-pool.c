/* Spare network namespaces, made ahead of need. */
#include <config.h>
#include "netns-pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "netns.h"
#include "rtnl.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(netns_pool);

struct netns_pool {
    pthread_mutex_t mutex;
    struct netns_spare *spares;
    size_t n, capacity;
};

struct netns_pool *
netns_pool_create(size_t capacity)
{
    struct netns_pool *pool = xzalloc(sizeof *pool);
    pthread_mutex_init(&pool->mutex, NULL);
    pool->capacity = capacity;
    pool->spares = xcalloc(MAX(capacity, 1), sizeof *pool->spares);
    return pool;
}

static void
spare_close(struct netns_spare *spare)
{
    rtnl_close(spare->rtnl);
    close(spare->fd);
}

void
netns_pool_destroy(struct netns_pool *pool)
{
    if (pool) {
        for (size_t i = 0; i < pool->n; i++) {
            spare_close(&pool->spares[i]);
        }
        free(pool->spares);
        pthread_mutex_destroy(&pool->mutex);
        free(pool);
    }
}

size_t
netns_pool_count(struct netns_pool *pool)
{
    pthread_mutex_lock(&pool->mutex);
    size_t n = pool->n;
    pthread_mutex_unlock(&pool->mutex);
    return n;
}

bool
netns_pool_needs_fill(struct netns_pool *pool)
{
    return netns_pool_count(pool) < pool->capacity;
}

int
netns_pool_fill_one(struct netns_pool *pool)
{
    if (!netns_pool_needs_fill(pool)) {
        return 0;
    }

    /* Made outside the lock: takers do not wait for a creation. */
    struct netns_spare spare = { .fd = -1, .rtnl = NULL };
    int error = netns_create_unnamed(&spare.fd);
    if (!error) {
        error = rtnl_open(spare.fd, &spare.rtnl);
    }
    if (!error) {
        /* A namespace is born with lo down; every user of ours wants it
         * up (local traffic, seed scenario 1's replies). */
        error = rtnl_link_set_up(spare.rtnl, "lo", true);
    }
    if (error) {
        VLOG_DBG("cannot make a spare network namespace: %s",
                 ovs_strerror(error));
        if (spare.fd >= 0) {
            spare_close(&spare);
        }
        return error;
    }

    pthread_mutex_lock(&pool->mutex);
    bool room = pool->n < pool->capacity;
    if (room) {
        pool->spares[pool->n++] = spare;
    }
    pthread_mutex_unlock(&pool->mutex);
    if (!room) {
        spare_close(&spare);
    }
    return 0;
}

bool
netns_pool_take(struct netns_pool *pool, struct netns_spare *spare)
{
    if (!pool) {
        return false;
    }
    pthread_mutex_lock(&pool->mutex);
    bool found = pool->n > 0;
    if (found) {
        *spare = pool->spares[--pool->n];
    }
    pthread_mutex_unlock(&pool->mutex);
    return found;
}
