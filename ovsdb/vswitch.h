/* Placeholder: being written. */
#ifndef VSWITCH_H
#define VSWITCH_H 1
#endif
