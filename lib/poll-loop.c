/* The event loop. */
#include <config.h>
#include "poll-loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(poll_loop);

struct poll_loop {
    struct pollfd *fds;         /* Registered descriptors. */
    size_t n_fds, allocated;
    long long int timeout_when; /* LLONG_MAX: no timer. */
    struct pollfd *last;        /* Result of the last poll_block(). */
    size_t n_last;
};

static __thread struct poll_loop *loop;

static struct poll_loop *
poll_loop(void)
{
    if (!loop) {
        loop = xzalloc(sizeof *loop);
        loop->timeout_when = LLONG_MAX;
    }
    return loop;
}

void
poll_fd_wait(int fd, short int events)
{
    struct poll_loop *l = poll_loop();

    for (size_t i = 0; i < l->n_fds; i++) {
        if (l->fds[i].fd == fd) {
            l->fds[i].events |= events;
            return;
        }
    }
    if (l->n_fds >= l->allocated) {
        l->fds = x2nrealloc(l->fds, &l->allocated, sizeof *l->fds);
    }
    l->fds[l->n_fds].fd = fd;
    l->fds[l->n_fds].events = events;
    l->fds[l->n_fds].revents = 0;
    l->n_fds++;
}

void
poll_timer_wait_until(long long int when)
{
    struct poll_loop *l = poll_loop();
    if (when < l->timeout_when) {
        l->timeout_when = when;
    }
}

void
poll_timer_wait(long long int msec)
{
    poll_timer_wait_until(msec <= 0 ? 0 : time_msec() + msec);
}

void
poll_immediate_wake(void)
{
    poll_timer_wait_until(0);
}

void
poll_block(void)
{
    struct poll_loop *l = poll_loop();
    int timeout;

    if (l->timeout_when == LLONG_MAX) {
        timeout = -1;
    } else {
        long long int left = l->timeout_when - time_msec();
        timeout = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int) left;
    }

    int n = poll(l->fds, l->n_fds, timeout);
    if (n < 0 && errno != EINTR) {
        VLOG_ERR("poll: %s", ovs_strerror(errno));
    }

    /* Keep the polled set as 'last' so poll_fd_revents() can answer
     * until the next poll_block(); the next pass registers afresh. */
    free(l->last);
    l->last = l->fds;
    l->n_last = l->n_fds;
    l->fds = NULL;
    l->n_fds = l->allocated = 0;
    l->timeout_when = LLONG_MAX;
}

short int
poll_fd_revents(int fd)
{
    struct poll_loop *l = poll_loop();
    for (size_t i = 0; i < l->n_last; i++) {
        if (l->last[i].fd == fd) {
            return l->last[i].revents;
        }
    }
    return 0;
}
