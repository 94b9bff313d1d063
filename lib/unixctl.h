/* Placeholder: being written. */
#ifndef UNIXCTL_H
#define UNIXCTL_H 1
#endif
