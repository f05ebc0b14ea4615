#pragma once
// Test helpers: SecurityProfiles from JSON specs with the CRD defaults applied (parse only,
// as the checks see stored objects), and the reasons of one pair of a report.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "check/check.h"

namespace secprov::check::testing {

// A profile `name` in namespace 5gc of trust domain "home", `spec` merged over a minimal one
// (nfType, selector, trustDomainRef).
inline api::SecurityProfile profile(const std::string& name, const std::string& nf_type,
                                    const nlohmann::json& spec = nlohmann::json::object(),
                                    const std::string& ns = "5gc") {
  nlohmann::json resource = {{"apiVersion", "secprov.io/v1alpha1"},
                             {"kind", "SecurityProfile"},
                             {"metadata", {{"name", name}, {"namespace", ns}}},
                             {"spec",
                              {{"nfType", nf_type},
                               {"selector", {{"matchLabels", {{"app.kubernetes.io/name", name}}}}},
                               {"trustDomainRef", {{"name", "home"}}}}}};
  resource["spec"].merge_patch(spec);
  auto parsed = api::parse_security_profile(resource);
  if (!parsed.ok()) {
    std::string errors;
    for (const auto& e : parsed.errors()) errors += e.message() + "; ";
    ADD_FAILURE() << name << " does not parse: " << errors;
    return {};
  }
  return parsed.value();
}

// The pair (interface, a, b) of the report, or a failure.
inline const PairResult* find_pair(const Report& report, Interface interface, const std::string& a,
                                   const std::string& b) {
  for (const auto& p : report.pairs) {
    if (p.interface == interface && p.a == a && p.b == b) return &p;
  }
  return nullptr;
}

inline std::vector<std::string> reasons(const PairResult* pair) {
  std::vector<std::string> out;
  if (pair == nullptr) return {"(no such pair)"};
  for (const auto& f : pair->findings) out.push_back(f.reason);
  return out;
}

inline std::string dump(const Report& report) {
  std::string out;
  for (const auto& p : report.pairs) {
    out += std::string(to_string(p.interface)) + " " + p.a + " -> " + p.b + "\n";
    for (const auto& f : p.findings) {
      out += "  " + std::string(to_string(f.severity)) + " " + f.reason + ": " + f.message + "\n";
    }
  }
  return out;
}

}  // namespace secprov::check::testing
