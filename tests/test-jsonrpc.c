/* Unit tests: jsonrpc. */
#include <config.h>
#include "test-vplug.h"
