/* Spare network namespaces, made ahead of need.
 *
 * Creating a network namespace (unshare(CLONE_NEWNET)) is the slowest single
 * step of plugging a VIF into a new namespace: about half a millisecond on
 * Linux 6.x, as much as the veth itself.  A long-lived process (vplugd) makes
 * a few spare namespaces while it is idle, each with lo up and a route
 * netlink socket open inside, so that a request only has to name one
 * (netns_add_fd()).  A spare namespace has no name: nothing outside the
 * process sees it ("ip netns" does not list it), and it disappears with the
 * process, however that ends.
 *
 * Taking is thread-safe (the engine's workers take concurrently); filling is
 * meant for one thread. */
#ifndef NETNS_POOL_H
#define NETNS_POOL_H 1

#include <stdbool.h>
#include <stddef.h>

struct rtnl;

/* A spare namespace, once taken: the caller owns both. */
struct netns_spare {
    int fd;                     /* Descriptor of the namespace. */
    struct rtnl *rtnl;          /* A socket inside it. */
};

/* A pool that keeps 'capacity' spares.  Whenever more namespaces are taken
 * (or wanted while it was empty) than it holds before it is full again,
 * it keeps that many from then on, up to 'max_capacity': a daemon that
 * sees a compute node boot 20 VMs at once has 20 ready for the next 20.
 * 'capacity' 0 with 'max_capacity' 0 makes none. */
struct netns_pool *netns_pool_create(size_t capacity, size_t max_capacity);
void netns_pool_destroy(struct netns_pool *);

/* Returns how many spare namespaces 'pool' holds. */
size_t netns_pool_count(struct netns_pool *);

/* Returns how many spares 'pool' keeps now (see netns_pool_create()). */
size_t netns_pool_capacity(struct netns_pool *);

/* Returns true if 'pool' holds fewer than its capacity. */
bool netns_pool_needs_fill(struct netns_pool *);

/* Makes one spare namespace if 'pool' has room.  Returns 0 or errno. */
int netns_pool_fill_one(struct netns_pool *);

/* Takes a spare namespace out of 'pool' into '*spare' and returns true, or
 * returns false if there is none (the caller makes one: it counts as
 * taken, for the pool's growth).  'pool' may be NULL (then none). */
bool netns_pool_take(struct netns_pool *, struct netns_spare *spare);

#endif /* netns-pool.h */
