#pragma once
// Security configuration consistency across peer NFs (issue 11): every pair of the scope
// (peers.h) on every interface, each mechanism's checks (tls.h, oauth2.h, ipsec.h, n32.h)
// over the two ends' effective capabilities. Pure and deterministic: the controller, the
// admission webhook and secprovctl call the same evaluate().

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "check/catalogue.h"
#include "check/finding.h"
#include "check/peers.h"

namespace secprov::check {

struct PairResult {
  Interface interface = Interface::Sbi;
  std::string a;  // End::id(); SBI: the consumer
  std::string b;  // SBI: the producer
  bool in_catalogue = false;
  bool via_scp = false;
  std::vector<Mechanism> mechanisms;
  std::vector<Finding> findings;  // in check order
  // No Error or Warning finding (Info findings say what was not decided).
  bool consistent() const;
  friend bool operator==(const PairResult&, const PairResult&) = default;
};

struct Report {
  std::vector<PairResult> pairs;              // sorted by interface, a, b
  std::vector<std::string> unresolved_peers;  // listed, but in no pair (peers.h)
  bool consistent() const;                    // every pair is
  // The pairs with `end_id` ("<namespace>/<name>", "external/<name>") at either end.
  std::vector<const PairResult*> involving(std::string_view end_id) const;
  std::size_t count(Severity severity) const;
  friend bool operator==(const Report&, const Report&) = default;
};

Report evaluate(const Scope& scope);

// One pair alone (what evaluate() does for each discovered pair).
PairResult evaluate_pair(const Pair& pair, const Scope& scope);

}  // namespace secprov::check
