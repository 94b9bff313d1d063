/* jansson, for what users write and read (topology and state files), next
 * to libopenvswitch.  Both define json_object(), json_array(),
 * json_string(), json_integer(), json_real() and json_equal(); a program
 * that links OVS's library statically would have its calls to those
 * jansson functions bound to OVS's.  So vplug includes jansson only
 * through this header, which offers those it uses under other names (built from
 * jansson calls that do not collide) and poisons the colliding ones.  A
 * file never includes both this and OVS's "openvswitch/json.h". */
#ifndef VJSON_H
#define VJSON_H 1

#include <jansson.h>
#include <string.h>

/* Returns a new empty object. */
static inline json_t *
vjson_object(void)
{
    return json_pack("{}");
}

/* Returns a new empty array. */
static inline json_t *
vjson_array(void)
{
    return json_pack("[]");
}

/* Returns a new string holding a copy of 's' (valid UTF-8), or NULL. */
static inline json_t *
vjson_string(const char *s)
{
    return s ? json_stringn(s, strlen(s)) : NULL;
}

/* Returns a new integer. */
static inline json_t *
vjson_integer(json_int_t value)
{
    return json_pack("I", value);
}

/* Returns a new real. */
static inline json_t *
vjson_real(double value)
{
    return json_pack("f", value);
}

#pragma GCC poison json_object json_array json_string json_integer json_real json_equal

#endif /* vjson.h */
