/* Placeholder: being written. */
#ifndef OVSDB_CLIENT_H
#define OVSDB_CLIENT_H 1
#endif
