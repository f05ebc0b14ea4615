#pragma once
// `secprovctl check`: the admission webhook's validation and the consistency checks
// (check::evaluate) over manifests, without a cluster. Output as a table, JSON or SARIF
// 2.1.0. Exit codes: 0 clean, 1 an Error or Warning finding, 2 bad input.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "check/check.h"
#include "cmd/secprovctl/manifest.h"

namespace secprov::ctl {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;

struct FindingRow {
  std::string namespace_;
  check::Interface interface = check::Interface::Sbi;
  std::string a;  // end ids as check::PairResult has them
  std::string b;
  check::Finding finding;
  std::optional<Source> source;  // the document of end a (else b) when it is a profile
};

struct CheckResult {
  std::size_t files = 0;
  std::size_t documents = 0;  // objects read
  std::size_t profiles = 0;
  std::size_t trust_domains = 0;
  std::size_t skipped = 0;  // objects of other kinds
  std::size_t pairs = 0;
  std::vector<InputError> errors;
  std::vector<FindingRow> findings;           // by namespace, then the report's order
  std::vector<std::string> unresolved_peers;  // "<namespace>: <interface> <end> -> <peer>"
  std::size_t count(check::Severity severity) const;
  int exit_code() const;
};

// Validation, then consistency per namespace over the valid objects.
CheckResult run_check(const Manifests& manifests, const std::string& default_namespace = "default");

// The scope of one namespace (check::build_scope, as the consistency controller builds it).
check::Scope scope_of(const Resources& resources, const std::string& namespace_);

std::string format_table(const CheckResult& result);
nlohmann::json to_json(const CheckResult& result);
// SARIF 2.1.0: one run, tool.driver.rules from the check names, one result per finding
// and per input error (ruleId "invalid-input").
nlohmann::json to_sarif(const CheckResult& result, const std::string& version);

}  // namespace secprov::ctl
