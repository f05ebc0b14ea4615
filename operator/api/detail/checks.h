#pragma once
// Internal: collects validation errors with the apiserver's wording for schema rules
// (maxLength, pattern, maxItems, ...) and the CRD's own messages for CEL rules.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "api/detail/json_reader.h"
#include "api/errors.h"

namespace secprov::api::detail {

class Checks {
 public:
  explicit Checks(FieldErrors& errs) : errs_(errs) {}

  // A CEL rule (x-kubernetes-validations): reason is the CRD's message.
  void rule(const std::string& path, bool ok, std::string message) {
    if (!ok) errs_.push_back({FieldErrorType::Invalid, path, std::move(message)});
  }

  void pattern(const std::string& path, std::string_view value, bool ok, std::string_view pat) {
    if (!ok) {
      errs_.push_back({FieldErrorType::Invalid, path,
                       "Invalid value: \"" + std::string(value) + "\": " + path +
                           " in body should match '" + std::string(pat) + "'"});
    }
  }

  // Returns false when too long (so callers can skip rules the apiserver would not reach).
  bool max_length(const std::string& path, std::string_view value, std::size_t max) {
    if (value.size() <= max) return true;
    errs_.push_back({FieldErrorType::TooLong, path,
                     "Too long: may not be more than " + std::to_string(max) + " bytes"});
    return false;
  }

  void min_length(const std::string& path, std::string_view value, std::size_t min) {
    if (value.size() >= min) return;
    errs_.push_back({FieldErrorType::TooFew, path,
                     "Invalid value: \"" + std::string(value) + "\": " + path +
                         " in body should be at least " + std::to_string(min) + " chars long"});
  }

  void max_items(const std::string& path, std::size_t n, std::size_t max) {
    if (n <= max) return;
    errs_.push_back(too_many_items(path, n, max));
  }

  void min_items(const std::string& path, std::size_t n, std::size_t min) {
    if (n >= min) return;
    errs_.push_back({FieldErrorType::TooFew, path,
                     "Invalid value: " + std::to_string(n) + ": " + path +
                         " in body should have at least " + std::to_string(min) + " items"});
  }

  void min_properties(const std::string& path, std::size_t n, std::size_t min) {
    if (n >= min) return;
    errs_.push_back({FieldErrorType::TooFew, path,
                     "Invalid value: " + std::to_string(n) + ": " + path +
                         " in body should have at least " + std::to_string(min) + " properties"});
  }

  void max_properties(const std::string& path, std::size_t n, std::size_t max) {
    if (n <= max) return;
    errs_.push_back({FieldErrorType::TooMany, path,
                     "Too many: " + std::to_string(n) + ": must have at most " +
                         std::to_string(max) + " properties"});
  }

  // x-kubernetes-list-type set / map: `key(item)` gives the identity as a string.
  template <class Items, class KeyFn>
  void unique(const std::string& path, const Items& items, KeyFn key) {
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::string k = key(items[i]);
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
        errs_.push_back(
            {FieldErrorType::Duplicate, index_path(path, i), "Duplicate value: \"" + k + "\""});
      } else {
        seen.push_back(std::move(k));
      }
    }
  }

 private:
  FieldErrors& errs_;
};

}  // namespace secprov::api::detail
