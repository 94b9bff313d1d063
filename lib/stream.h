/* Byte streams over unix and tcp sockets, non-blocking, for the OVSDB client
 * and the unixctl server.  Active names: "unix:PATH", "tcp:IP:PORT"
 * (IPv6 as tcp:[ADDR]:PORT).  Passive names: "punix:PATH", "ptcp:PORT[:IP]".
 * Errors are positive errno values. */
#ifndef STREAM_H
#define STREAM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct stream;
struct pstream;

/* Checks that 'name' is a valid active stream name.  Returns NULL or an
 * error message naming it, which the caller frees. */
char *stream_verify_name(const char *name);

/* Starts connecting to 'name' without blocking.  Returns 0 (connection in
 * progress or done) or errno. */
int stream_open(const char *name, struct stream **);
/* Returns 0 once connected, EAGAIN while in progress, or errno. */
int stream_connect(struct stream *);
/* Returns the number of bytes received (> 0), 0 at end of stream, or a
 * negative errno (-EAGAIN when nothing is ready). */
ssize_t stream_recv(struct stream *, void *, size_t);
/* Returns the number of bytes sent (>= 0) or a negative errno. */
ssize_t stream_send(struct stream *, const void *, size_t);
void stream_connect_wait(struct stream *);
void stream_recv_wait(struct stream *);
void stream_send_wait(struct stream *);
const char *stream_get_name(const struct stream *);
/* Returns true for tcp streams (the client probes idle tcp servers). */
bool stream_is_tcp(const struct stream *);
void stream_close(struct stream *);

/* Listens on 'name'.  For punix, 'mode' sets the socket file's permission
 * bits (e.g. 0700 so other users cannot connect).  Returns 0 or errno. */
int pstream_open(const char *name, unsigned int mode, struct pstream **);
/* Returns 0 and a new stream, EAGAIN if none is waiting, or errno. */
int pstream_accept(struct pstream *, struct stream **);
void pstream_wait(struct pstream *);
const char *pstream_get_name(const struct pstream *);
/* Closes the listener; for punix also unlinks the socket file. */
void pstream_close(struct pstream *);

#endif /* stream.h */
