#pragma once
// Profiles for the render tests, built through api::parse_security_profile so the CRD
// defaults apply exactly as in the cluster.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "api/securityprofile.h"

namespace secprov::render::testing {

inline constexpr const char* kNfInstanceId = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

// A minimal AMF profile document; tests set fields with json pointers.
inline nlohmann::json profile_doc(const std::string& nf_type = "AMF") {
  return {
      {"apiVersion", "secprov.io/v1alpha1"},
      {"kind", "SecurityProfile"},
      {"metadata", {{"name", "amf"}, {"namespace", "5gc"}, {"uid", "uid-1"}}},
      {"spec",
       {{"nfType", nf_type},
        {"selector", {{"matchLabels", {{"app", "amf"}}}}},
        {"trustDomainRef", {{"name", "operator-a"}}}}},
  };
}

inline api::SecurityProfile parse(const nlohmann::json& doc) {
  auto r = api::parse_security_profile(doc);
  if (!r.ok()) {
    std::string msg = "test profile does not parse:";
    for (const auto& e : r.errors()) msg += " " + e.message() + ";";
    throw std::runtime_error(msg);
  }
  // The render layer is only ever given valid profiles.
  const auto errs = api::validate(r.value());
  if (!errs.empty()) {
    std::string msg = "test profile is invalid:";
    for (const auto& e : errs) msg += " " + e.message() + ";";
    throw std::runtime_error(msg);
  }
  return r.value();
}

inline api::SecurityProfile with(nlohmann::json doc, const std::string& pointer,
                                 nlohmann::json value) {
  doc[nlohmann::json::json_pointer(pointer)] = std::move(value);
  return parse(doc);
}

inline YAML::Node load_yaml(const std::string& text) {
  return YAML::Load(text);
}

}  // namespace secprov::render::testing
