#include "api/meta.h"

#include <nlohmann/json.hpp>

#include "api/detail/json_reader.h"

namespace secprov::api {

void to_json(nlohmann::json& out, const Labels& labels) {
  out = nlohmann::json::object();
  for (const auto& [key, value] : labels) out[key] = value;
}

ObjectMeta parse_object_meta(const nlohmann::json& metadata, FieldErrors& errs) {
  detail::ObjectReader r(metadata, "metadata", errs, detail::Strictness::IgnoreUnknown);
  ObjectMeta m;
  if (auto v = r.string("name")) m.name = *v;
  if (auto v = r.string("namespace")) m.namespace_ = *v;
  if (auto v = r.string("uid")) m.uid = *v;
  if (auto v = r.integer("generation")) m.generation = *v;
  if (auto v = r.string("resourceVersion")) m.resource_version = *v;
  if (const nlohmann::json* labels = r.object("labels")) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) m.labels.emplace(k, v.get<std::string>());
    }
  }
  return m;
}

}  // namespace secprov::api
