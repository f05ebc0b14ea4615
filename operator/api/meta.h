#pragma once
// The parts of metav1.ObjectMeta the operator reads.

#include <cstdint>
#include <map>
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
  // metadata.labels (string values only): spec.consistency.scope selects peers by them.
  std::map<std::string, std::string> labels;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// Reads metadata.{name,namespace,uid,generation,resourceVersion,labels}; other metadata fields are
// ignored (they are the apiserver's, not the API's).
ObjectMeta parse_object_meta(const nlohmann::json& metadata, FieldErrors& errs);

}  // namespace secprov::api
