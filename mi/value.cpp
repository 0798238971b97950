// value.cpp: compact JSON text of a Value.
#include "mi/value.h"

namespace sb::mi {

std::string to_compact_json(const Value& v) {
  return v.dump(-1, ' ', false, Value::error_handler_t::replace);
}

}  // namespace sb::mi
