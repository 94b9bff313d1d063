/* Unit tests: topology. */
#include <config.h>
#include "test-vplug.h"
