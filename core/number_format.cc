#include "core/number_format.h"

#include <sstream>

namespace hone {

std::string FormatNumber(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace hone
