// zlib, for the tests' PNG reader (the run report's browser screenshot). Debian: zlib1g-dev.
#include <zlib.h>
