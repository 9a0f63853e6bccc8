// Numbers as hone's error messages write them.
#pragma once

#include <string>

namespace hone {

// The shortest stream form of v (0.5, 1e+20, inf), as a message shows a bound or a value.
std::string FormatNumber(double v);

}  // namespace hone
