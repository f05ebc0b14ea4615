#pragma once
// Impact preview of one SecurityProfile change (issue 11, co-operation): which pairs that
// were consistent before the change are inconsistent after it, and whether that is denied
// (an end of such a pair opted into Enforce) or admitted with a warning (Warn, the default).
// An already inconsistent pair never counts, so a broken pair never blocks an unrelated fix.
// Pure: the admission webhook calls it over the namespace's cached profiles.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "check/check.h"

namespace secprov::check {

struct BrokenPair {
  Interface interface = Interface::Sbi;
  std::string a;  // End::id(), as in PairResult
  std::string b;
  std::vector<std::string> peers;  // the ends other than the changed profile, sorted
  std::vector<Finding> findings;   // the Error and Warning findings after the change
  bool enforced = false;           // an end of the pair is in Enforce mode
  friend bool operator==(const BrokenPair&, const BrokenPair&) = default;
};

struct Impact {
  std::vector<BrokenPair> broken;  // sorted by interface, a, b
  // Denied: some broken pair has an end in Enforce mode.
  bool denied() const;
  // One line per broken pair: "would break the consistent N4 pair with 5gc/upf:
  // NoCommonIkeProposal: ...".
  // Peer, interface and reason first: the apiserver may cut long warnings.
  std::vector<std::string> messages() const;
};

// The pairs consistent in `before` and inconsistent in `after` (PairResult::consistent), by
// (interface, a, b). `changed` is the changed profile's End::id(); `enforcing` the End::id()s
// whose consistency mode is Enforce (the changed profile's new mode included).
Impact impact(const Report& before, const Report& after, std::string_view changed,
              const std::set<std::string>& enforcing);

// The same over two scopes that differ in the changed profile only (`before` without it on a
// create), evaluating only the pairs with the changed profile at an end (evaluate_for: linear
// in the scope). Not seen: pairs of others that a changed NRF reaches through OAuth2.
Impact preview(const Scope& before, const Scope& after, std::string_view changed,
               const std::set<std::string>& enforcing);

}  // namespace secprov::check
