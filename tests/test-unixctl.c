/* Unit tests: unixctl. */
#include <config.h>
#include "test-vplug.h"
