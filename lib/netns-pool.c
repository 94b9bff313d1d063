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
    struct netns_spare *spares;     /* 'max_capacity' of them. */
    size_t n;
    size_t capacity;                /* How many it makes: grows... */
    size_t max_capacity;            /* ...up to this. */
    size_t demand;                  /* Takes since it was last full. */
};

struct netns_pool *
netns_pool_create(size_t capacity, size_t max_capacity)
{
    struct netns_pool *pool = xzalloc(sizeof *pool);
    pthread_mutex_init(&pool->mutex, NULL);
    pool->capacity = capacity;
    pool->max_capacity = MAX(capacity, max_capacity);
    pool->spares = xcalloc(MAX(pool->max_capacity, 1), sizeof *pool->spares);
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

/* Reads '*field' of 'pool' under its mutex. */
static size_t
read_locked(struct netns_pool *pool, const size_t *field)
{
    pthread_mutex_lock(&pool->mutex);
    size_t value = *field;
    pthread_mutex_unlock(&pool->mutex);
    return value;
}

size_t
netns_pool_count(struct netns_pool *pool)
{
    return read_locked(pool, &pool->n);
}

size_t
netns_pool_capacity(struct netns_pool *pool)
{
    return read_locked(pool, &pool->capacity);
}

bool
netns_pool_needs_fill(struct netns_pool *pool)
{
    pthread_mutex_lock(&pool->mutex);
    bool short_ = pool->n < pool->capacity;
    pthread_mutex_unlock(&pool->mutex);
    return short_;
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
        if (pool->n == pool->capacity) {
            pool->demand = 0;
        }
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
    /* A burst that takes more than the pool holds makes the pool that
     * large for the next one. */
    pool->demand++;
    if (pool->demand > pool->capacity && pool->capacity < pool->max_capacity) {
        pool->capacity = MIN(pool->demand, pool->max_capacity);
        VLOG_DBG("%zu namespaces wanted since the pool was last full: it "
                 "keeps %zu spares from now on", pool->demand,
                 pool->capacity);
    }
    pthread_mutex_unlock(&pool->mutex);
    return found;
}
