// The cost of one SecurityProfile change for the consistency checks (issue 11 §3) in a
// namespace of N profiles (default 10,000): what the consistency controller does per key,
// check::scope_for (candidates copied out of the cache's profiles) then check::evaluate_for
// (the pairs of the changed profile only). Pure; prints figures, asserts nothing.
//
//   secprov-consistency-bench [N] [repetitions]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/securityprofile.h"
#include "check/scope.h"

namespace {

using namespace secprov;

api::SecurityProfile make(const std::string& name, api::NfType type) {
  api::SecurityProfile p;
  p.metadata.name = name;
  p.metadata.namespace_ = "5gc";
  p.metadata.resource_version = "1";
  p.spec.nf_type = type;
  p.spec.selector.match_labels = {{"app.kubernetes.io/name", name}};
  p.spec.trust_domain_ref.name = "home";
  return p;
}

// A mixed core: per 10,000, 1 NRF, 2,000 AMF, 2,900 SMF, 3,000 UPF (each SMF lists one UPF on
// N4), 500 each of AUSF, UDM and PCF, 400 UDR, 100 each of NSSF and NEF, minus rounding.
std::vector<api::SecurityProfile> namespace_of(std::size_t n) {
  struct Share {
    api::NfType type;
    const char* prefix;
    std::size_t per_10k;
  };
  const Share shares[] = {{api::NfType::AMF, "amf", 2000}, {api::NfType::SMF, "smf", 2900},
                          {api::NfType::UPF, "upf", 3000}, {api::NfType::AUSF, "ausf", 500},
                          {api::NfType::UDM, "udm", 500},  {api::NfType::PCF, "pcf", 500},
                          {api::NfType::UDR, "udr", 400},  {api::NfType::NSSF, "nssf", 100},
                          {api::NfType::NEF, "nef", 99}};
  std::vector<api::SecurityProfile> out{make("nrf", api::NfType::NRF)};
  for (const auto& s : shares) {
    const std::size_t count = std::max<std::size_t>(1, s.per_10k * n / 10000);
    for (std::size_t i = 0; i < count && out.size() < n; ++i) {
      auto p = make(std::string(s.prefix) + "-" + std::to_string(i), s.type);
      if (s.type == api::NfType::SMF) {
        api::IpsecInterfaceSpec n4;
        n4.name = api::IpsecInterface::N4;
        n4.local_address = "10.4.0.1";
        n4.peers.push_back({"upf-" + std::to_string(i), "10.4.1.1", std::nullopt});
        p.spec.ipsec = api::IpsecSpec{{n4}};
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

struct Figure {
  double scope_ms = 0;
  double evaluate_ms = 0;
  std::size_t candidates = 0;
  std::size_t pairs = 0;
};

Figure one_change(const std::vector<const api::SecurityProfile*>& all,
                  const api::SecurityProfile& self) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const auto scope = check::scope_for(self, all, {});
  const auto t1 = Clock::now();
  const auto pairs = check::evaluate_for(scope, "5gc/" + self.metadata.name);
  const auto t2 = Clock::now();
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  return {ms(t1 - t0), ms(t2 - t1), scope.profiles.size(), pairs.size()};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const auto profiles = namespace_of(n);
  std::vector<const api::SecurityProfile*> all;
  for (const auto& p : profiles) all.push_back(&p);
  std::printf("profiles in the namespace: %zu\n", profiles.size());
  std::printf("%-8s %10s %10s %12s %12s %10s\n", "changed", "candidates", "pairs", "scope ms",
              "evaluate ms", "total ms");
  for (const char* name : {"upf-0", "smf-0", "ausf-0", "amf-0", "nrf"}) {
    const auto it = std::find_if(profiles.begin(), profiles.end(),
                                 [&](const auto& p) { return p.metadata.name == name; });
    if (it == profiles.end()) continue;
    std::vector<Figure> runs;
    for (int r = 0; r < reps; ++r) runs.push_back(one_change(all, *it));
    std::sort(runs.begin(), runs.end(), [](const Figure& a, const Figure& b) {
      return a.scope_ms + a.evaluate_ms < b.scope_ms + b.evaluate_ms;
    });
    const auto& median = runs[runs.size() / 2];
    std::printf("%-8s %10zu %10zu %12.2f %12.2f %10.2f\n", name, median.candidates, median.pairs,
                median.scope_ms, median.evaluate_ms, median.scope_ms + median.evaluate_ms);
  }
  return 0;
}
