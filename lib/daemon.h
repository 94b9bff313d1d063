/* Placeholder: being written. */
#ifndef DAEMON_H
#define DAEMON_H 1
#endif
