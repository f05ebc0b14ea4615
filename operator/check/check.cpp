#include "check/check.h"

#include <algorithm>

#include "check/ipsec.h"
#include "check/n32.h"
#include "check/oauth2.h"
#include "check/tls.h"

namespace secprov::check {
namespace {

bool has(const std::vector<Mechanism>& mechanisms, Mechanism m) {
  return std::find(mechanisms.begin(), mechanisms.end(), m) != mechanisms.end();
}

void append(std::vector<Finding>& out, std::vector<Finding> more) {
  for (auto& f : more) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const Finding& g) {
      return g.reason == f.reason && g.message == f.message;
    });
    if (!seen) out.push_back(std::move(f));
  }
}

std::vector<Finding> sbi(const Pair& pair, const Scope& scope, bool oauth2) {
  std::vector<Finding> out;
  const auto client = tls_end(pair.a, TlsRole::Client, scope, &pair.b);
  const auto server = tls_end(pair.b, TlsRole::Server, scope);
  append(out, check_tls({"SBI", client, server, pair.dialled_name}));
  if (!oauth2) return out;
  const auto consumer = oauth2_end(pair.a);
  const auto producer = oauth2_end(pair.b);
  const auto nrf_id =
      producer.nrf_instance_id ? producer.nrf_instance_id : consumer.nrf_instance_id;
  const auto nrf = nrf_id ? find_nrf(scope, *nrf_id) : std::nullopt;
  append(out, check_oauth2({consumer, producer, nrf ? &*nrf : nullptr}));
  return out;
}

std::vector<Finding> n32(const Pair& pair, const Scope& scope) {
  std::vector<Finding> out;
  const auto a = n32_end(pair.a, pair.b, scope);
  const auto b = n32_end(pair.b, pair.a, scope);
  append(out, check_n32({a, b}));
  // N32-c is mutual TLS, opened by either SEPP: the negotiated parameters, both ways. Trust
  // is N32's own (roots bound to PLMN IDs), checked above.
  if (a.capability && b.capability && a.tls && b.tls) {
    for (const auto& [x, y] : {std::pair{pair.a, pair.b}, std::pair{pair.b, pair.a}}) {
      const auto client = tls_end(x, TlsRole::Client, scope, &y);
      const auto server = tls_end(y, TlsRole::Server, scope);
      const TlsPair tls{"N32", client, server, ""};
      for (const auto check : {common_tls_version, common_tls_suite, common_tls_group}) {
        if (auto f = check(tls)) append(out, {std::move(*f)});
      }
    }
  }
  return out;
}

}  // namespace

bool PairResult::consistent() const {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.severity != Severity::Info; });
}

bool Report::consistent() const {
  return std::all_of(pairs.begin(), pairs.end(), [](const auto& p) { return p.consistent(); });
}

std::vector<const PairResult*> Report::involving(std::string_view end_id) const {
  std::vector<const PairResult*> out;
  for (const auto& p : pairs) {
    if (p.a == end_id || p.b == end_id) out.push_back(&p);
  }
  return out;
}

std::size_t Report::count(Severity severity) const {
  std::size_t n = 0;
  for (const auto& p : pairs) {
    n += static_cast<std::size_t>(
        std::count_if(p.findings.begin(), p.findings.end(),
                      [&](const auto& f) { return f.severity == severity; }));
  }
  return n;
}

PairResult evaluate_pair(const Pair& pair, const Scope& scope) {
  PairResult out;
  out.interface = pair.interface;
  out.a = pair.a.id();
  out.b = pair.b.id();
  out.in_catalogue = pair.relation != nullptr;
  out.via_scp = pair.relation != nullptr && pair.relation->via_scp;
  if (pair.relation) {
    out.mechanisms = pair.relation->mechanisms;
  } else if (pair.interface == Interface::Sbi) {
    out.mechanisms = {Mechanism::Tls, Mechanism::OAuth2};
  } else if (pair.interface == Interface::N32) {
    out.mechanisms = {Mechanism::Tls, Mechanism::N32};
  } else {
    out.mechanisms = {Mechanism::Ipsec};
  }
  if (!pair.relation) {
    out.findings.push_back({"in_catalogue", "InterfaceNotInCatalogue",
                            std::string(to_string(pair.interface)) + " " + out.a + " -> " + out.b +
                                ": " + to_string(pair.a.type()) + " and " +
                                to_string(pair.b.type()) +
                                " have no such relation in the 3GPP catalogue; checked as listed",
                            Severity::Info});
  }
  switch (pair.interface) {
    case Interface::Sbi:
      append(out.findings, sbi(pair, scope, has(out.mechanisms, Mechanism::OAuth2)));
      break;
    case Interface::N32:
      append(out.findings, n32(pair, scope));
      break;
    case Interface::N2:
    case Interface::N3:
    case Interface::N4:
    case Interface::N9: {
      const auto interface = *ipsec_interface(pair.interface);
      const auto a = ipsec_end(pair.a, pair.b, interface);
      const auto b = ipsec_end(pair.b, pair.a, interface);
      append(out.findings,
             check_ipsec({to_string(pair.interface), a, b, scope.cluster_ip_addresses}));
      break;
    }
  }
  return out;
}

Report evaluate(const Scope& scope) {
  Report report;
  for (const auto& pair : discover_pairs(scope)) report.pairs.push_back(evaluate_pair(pair, scope));
  report.unresolved_peers = unresolved_peers(scope);
  return report;
}

}  // namespace secprov::check
