// reply_validator.cpp: valijson behind a small interface (its headers stay in this file).
#include "mi/reply_validator.h"

#include <stdexcept>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace sb::mi {

namespace {
constexpr std::size_t kMaxReported = 3;
}

struct ReplyValidator::Compiled {
  valijson::Schema schema;
};

ReplyValidator::ReplyValidator(const Value& schema) : compiled_(std::make_unique<Compiled>()) {
  const nlohmann::json document(schema);  // valijson adapts nlohmann::json, not ordered_json
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, compiled_->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not a JSON schema: ") + e.what());
  }
}

ReplyValidator::~ReplyValidator() = default;

std::string ReplyValidator::validate(const Value& reply) const {
  const nlohmann::json target(reply);
  valijson::Validator validator;  // holds a regex cache: one per call keeps validate() const-safe
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(target);
  if (validator.validate(compiled_->schema, adapter, &results)) return {};
  // valijson reports the failing leaf first, then each enclosing level: the first few say it.
  std::string out;
  std::size_t n = 0;
  for (const auto& e : results) {
    if (n++ == kMaxReported) break;
    std::string path;
    for (const auto& c : e.context) path += c;
    if (!out.empty()) out += "; ";
    out += path + ": " + e.description;
  }
  return out;
}

}  // namespace sb::mi
