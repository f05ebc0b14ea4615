#pragma once
// Test helper: YAML (files of deploy/samples/ and crds/) to nlohmann::json, with the scalar
// typing kubectl applies (quoted -> string; plain true/false, null, integers, floats typed).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace secprov::api::testing {

// All documents of a YAML file (empty documents skipped).
std::vector<nlohmann::json> load_yaml_file(const std::string& path);
nlohmann::json parse_yaml(const std::string& text);  // the first document

}  // namespace secprov::api::testing
