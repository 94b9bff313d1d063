/* Placeholder: being written. */
#ifndef JSON_POS_H
#define JSON_POS_H 1
#endif
