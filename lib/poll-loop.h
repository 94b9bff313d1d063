/* The event loop: each module's foo_wait() registers the file descriptors
 * and timers it waits on, then poll_block() sleeps until one of them is
 * ready and forgets them all, so the next pass registers afresh.  One loop
 * per thread. */
#ifndef POLL_LOOP_H
#define POLL_LOOP_H 1

#include <poll.h>

/* Wakes the next poll_block() when 'fd' has one of 'events' (POLLIN,
 * POLLOUT). */
void poll_fd_wait(int fd, short int events);
/* Wakes the next poll_block() after 'msec' milliseconds (now if <= 0). */
void poll_timer_wait(long long int msec);
/* Wakes the next poll_block() at monotonic time 'when' (time_msec()). */
void poll_timer_wait_until(long long int when);
/* Makes the next poll_block() return at once. */
void poll_immediate_wake(void);
/* Sleeps until something registered is ready, then clears the set. */
void poll_block(void);
/* Returns true if the last poll_block() reported 'fd' ready for any of
 * 'events'. */
short int poll_fd_revents(int fd);

#endif /* poll-loop.h */
