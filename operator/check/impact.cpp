#include "check/impact.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "check/scope.h"

namespace secprov::check {
namespace {

using Key = std::tuple<Interface, std::string, std::string>;

Key key_of(const PairResult& pair) {
  return {pair.interface, pair.a, pair.b};
}

}  // namespace

bool Impact::denied() const {
  return std::any_of(broken.begin(), broken.end(), [](const auto& b) { return b.enforced; });
}

std::vector<std::string> Impact::messages() const {
  std::vector<std::string> out;
  for (const auto& pair : broken) {
    std::string peers;
    for (const auto& peer : pair.peers) peers += (peers.empty() ? "" : " and ") + peer;
    std::string line = "would break the consistent " + std::string(to_string(pair.interface)) +
                       " pair with " + peers;
    std::string findings;
    for (const auto& f : pair.findings) {
      findings += (findings.empty() ? ": " : "; ") + f.reason + ": " + f.message;
    }
    line += findings;
    out.push_back(std::move(line));
  }
  return out;
}

Impact impact(const Report& before, const Report& after, std::string_view changed,
              const std::set<std::string>& enforcing) {
  std::map<Key, const PairResult*> was;
  for (const auto& pair : before.pairs) was.emplace(key_of(pair), &pair);
  Impact out;
  for (const auto& pair : after.pairs) {
    const auto found = was.find(key_of(pair));
    // A new pair (a create, a peer listed now) was not consistent before: it breaks nothing.
    if (found == was.end() || !found->second->consistent() || pair.consistent()) continue;
    BrokenPair broken{pair.interface, pair.a, pair.b, {}, {}, false};
    for (const auto& end : {pair.a, pair.b}) {
      if (end != changed) broken.peers.push_back(end);
      broken.enforced = broken.enforced || enforcing.contains(end);
    }
    broken.enforced = broken.enforced || enforcing.contains(std::string(changed));
    std::sort(broken.peers.begin(), broken.peers.end());
    for (const auto& f : pair.findings) {
      if (f.severity != Severity::Info) broken.findings.push_back(f);
    }
    out.broken.push_back(std::move(broken));
  }
  std::sort(out.broken.begin(), out.broken.end(), [](const auto& x, const auto& y) {
    return std::tie(x.interface, x.a, x.b) < std::tie(y.interface, y.a, y.b);
  });
  return out;
}

Impact preview(const Scope& before, const Scope& after, std::string_view changed,
               const std::set<std::string>& enforcing) {
  return impact(Report{evaluate_for(before, changed), {}}, Report{evaluate_for(after, changed), {}},
                changed, enforcing);
}

}  // namespace secprov::check
