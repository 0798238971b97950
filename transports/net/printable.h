// printable.h: the transports' name for mi::printable() (client text made safe for a log line).
// Threading: pure function.
#pragma once

#include "mi/printable.h"

namespace sb::transports {
using mi::printable;
}  // namespace sb::transports
