// reply_validator.h: checks a command's reply against its declared reply schema (valijson,
// JSON Schema draft 7), as Redis's req-res validator does for its test suite.
//
// Purpose: with core.validate_replies on (every test daemon and in-process harness turns it on),
// the dispatcher answers a reply that does not match its command's schema with 500 and logs why,
// so a handler that drifts from what it declares fails the test that ran it.
// Threading: construct once; validate() is const and may run on any thread concurrently.
#pragma once

#include <memory>
#include <string>

#include "mi/value.h"

namespace sb::mi {

class ReplyValidator {
 public:
  /// Compiles the schema; throws std::invalid_argument when it is not one.
  explicit ReplyValidator(const Value& schema);
  ~ReplyValidator();
  ReplyValidator(const ReplyValidator&) = delete;
  ReplyValidator& operator=(const ReplyValidator&) = delete;

  /// Empty when `reply` matches; else the first mismatches, each with its path
  /// ("<root>.[Calls].[0].[Id]: value type not permitted by 'type' constraint").
  std::string validate(const Value& reply) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace sb::mi
