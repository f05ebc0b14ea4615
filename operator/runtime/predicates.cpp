#include "runtime/predicates.h"

#include <array>
#include <string_view>

namespace secprov::runtime {
namespace {

// object[field], or null when `object` is null, not an object or lacks it.
const Json* member(const Json* object, std::string_view field) {
  return object != nullptr ? find_at(*object, {field}) : nullptr;
}

bool same(const Json* a, const Json* b) {
  return a && b ? *a == *b : a == b;
}

}  // namespace

bool spec_or_metadata_changed(const Json& old_object, const Json& new_object) {
  if (&old_object == &new_object) return true;
  const std::string version = resource_version_of(new_object);
  if (version.empty() || version == resource_version_of(old_object)) return true;
  const Json* old_metadata = member(&old_object, "metadata");
  const Json* new_metadata = member(&new_object, "metadata");
  static constexpr std::array<std::string_view, 7> kFields = {
      "generation",        "labels", "annotations", "finalizers", "ownerReferences",
      "deletionTimestamp", "uid"};
  for (const auto field : kFields) {
    if (!same(member(old_metadata, field), member(new_metadata, field))) return true;
  }
  return false;
}

}  // namespace secprov::runtime
