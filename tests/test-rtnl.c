/* Unit tests: rtnl. */
#include <config.h>
#include "test-vplug.h"
