#pragma once
// Test helpers for FieldErrors.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "api/errors.h"

namespace secprov::api::testing {

inline std::string dump(const FieldErrors& errs) {
  std::string out;
  for (const auto& e : errs)
    out += "  [" + std::string(to_string(e.type)) + "] " + e.message() + "\n";
  return out.empty() ? "  (no errors)\n" : out;
}

inline const FieldError* find_error(const FieldErrors& errs, std::string_view field) {
  auto it =
      std::find_if(errs.begin(), errs.end(), [&](const FieldError& e) { return e.field == field; });
  return it == errs.end() ? nullptr : &*it;
}

// Passes when `errs` has an error on exactly `field` (and, if given, one of them has a reason
// that contains `text`: a field can fail several rules).
inline ::testing::AssertionResult HasError(const FieldErrors& errs, std::string_view field,
                                           std::string_view text = {}) {
  if (find_error(errs, field) == nullptr) {
    return ::testing::AssertionFailure() << "no error on " << field << "; got:\n" << dump(errs);
  }
  const bool found = std::any_of(errs.begin(), errs.end(), [&](const FieldError& e) {
    return e.field == field && e.reason.find(text) != std::string::npos;
  });
  if (!found) {
    return ::testing::AssertionFailure()
           << "error on " << field << " lacks \"" << text << "\"; got:\n"
           << dump(errs);
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult NoErrors(const FieldErrors& errs) {
  if (errs.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "unexpected errors:\n" << dump(errs);
}

}  // namespace secprov::api::testing
