/* Unit tests: util. */
#include <config.h>
#include "test-vplug.h"
