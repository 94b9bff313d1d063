/* Unit tests: ovsdb. */
#include <config.h>
#include "test-vplug.h"
