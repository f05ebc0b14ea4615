#pragma once
// Deterministic YAML from an ordered JSON document (internal).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace secprov::render::detail {

// Block-style YAML of `doc` (keys in insertion order), preceded by one "# " comment line
// per entry of `comments`, ending with a newline. Strings a YAML 1.1 or 1.2 reader could
// take for a number, boolean, null or timestamp ("1.2", "yes", "010", "~") are
// double-quoted; empty containers are written as [] / {}. Floats are not supported.
std::string to_yaml(const nlohmann::ordered_json& doc, const std::vector<std::string>& comments);

}  // namespace secprov::render::detail
