/* Placeholder: being written. */
#ifndef SANDBOX_H
#define SANDBOX_H 1
#endif
