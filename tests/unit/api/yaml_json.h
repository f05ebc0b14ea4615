#pragma once
// The unit tests read YAML (deploy/samples/, crds/) with the shared module, yaml/yaml.h.

#include "yaml/yaml.h"

namespace secprov::api::testing {

inline std::vector<nlohmann::json> load_yaml_file(const std::string& path) {
  return yaml::load_file(path);
}

}  // namespace secprov::api::testing
