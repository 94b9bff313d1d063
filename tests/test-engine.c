/* Unit tests: engine. */
#include <config.h>
#include "test-vplug.h"
