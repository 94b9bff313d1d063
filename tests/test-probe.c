/* Unit tests: probe. */
#include <config.h>
#include "test-vplug.h"
