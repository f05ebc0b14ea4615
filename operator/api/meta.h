#pragma once
// The parts of metav1.ObjectMeta the operator reads.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/errors.h"

namespace secprov::api {

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // empty for cluster-scoped objects
  std::string uid;
  std::int64_t generation = 0;
  std::string resource_version;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// Reads metadata.{name,namespace,uid,generation,resourceVersion}; other metadata fields are
// ignored (they are the apiserver's, not the API's).
ObjectMeta parse_object_meta(const nlohmann::json& metadata, FieldErrors& errs);

}  // namespace secprov::api
