#include "check/scope.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "render/names.h"

namespace secprov::check {
namespace {

using api::SecurityProfile;

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void add_external_peers(Scope& scope, const SecurityProfile& p, std::set<std::string>& seen) {
  if (!p.spec.consistency) return;
  for (const auto& x : p.spec.consistency->external_peers) {
    if (seen.insert(x.name).second) scope.external_peers.push_back(external_peer(x));
  }
}

void add_domains(Scope& scope, std::span<const api::TrustDomain* const> domains) {
  for (const auto* d : domains) {
    if (d != nullptr) scope.trust_domains.push_back(trust_domain_info(*d));
  }
}

bool lists_ipsec_peer(const SecurityProfile& p, const std::string& name) {
  if (!p.spec.ipsec) return false;
  for (const auto& spec : p.spec.ipsec->interfaces) {
    if (spec.name == api::IpsecInterface::Xn) continue;
    for (const auto& peer : spec.peers) {
      if (peer.name == name) return true;
    }
  }
  return false;
}

bool outbound_names(const SecurityProfile& p, const SecurityProfile& q) {
  if (!p.spec.enabler) return false;
  return std::any_of(p.spec.enabler->outbound.begin(), p.spec.enabler->outbound.end(),
                     [&](const auto& o) {
                       return names_end(p, o, End{&q, nullptr});
                     });
}

// Whether `q` can be at the other end of a pair with `self` (see scope_for), as
// discover_pairs finds pairs: an SBI relation of the catalogue between their NF types, a peer list
// naming the other (IPsec peers, enabler outbound), two SEPPs one of which has N32; and every
// NRF (OAuth2 pairs look their NRF up in the scope). Non-SBI pairs come from peer lists only.
bool candidate(const SecurityProfile& self, const SecurityProfile& q) {
  if (q.spec.nf_type == api::NfType::NRF) return true;
  const EndType a{self.spec.nf_type};
  const EndType b{q.spec.nf_type};
  if (!relations(a, b, Interface::Sbi).empty() || !relations(b, a, Interface::Sbi).empty()) {
    return true;
  }
  if (lists_ipsec_peer(self, q.metadata.name) || lists_ipsec_peer(q, self.metadata.name)) {
    return true;
  }
  if (self.spec.nf_type == api::NfType::SEPP && q.spec.nf_type == api::NfType::SEPP &&
      (self.spec.n32 || q.spec.n32)) {
    return true;
  }
  return outbound_names(self, q) || outbound_names(q, self);
}

}  // namespace

std::vector<api::PlmnId> plmns_of_domain(std::string_view domain) {
  std::optional<std::string> mnc;
  std::optional<std::string> mcc;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.size() == 6 && label.starts_with("mnc") && is_digits(label.substr(3))) {
      mnc = std::string(label.substr(3));
    } else if (label.size() == 6 && label.starts_with("mcc") && is_digits(label.substr(3))) {
      mcc = std::string(label.substr(3));
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!mnc || !mcc) return {};
  // TS 23.003: a 2-digit MNC is written with a leading zero ("mnc001" is MNC 01).
  std::string m = *mnc;
  if (m.front() == '0') m.erase(0, 1);
  return {api::PlmnId{*mcc, m}};
}

TrustDomainInfo trust_domain_info(const api::TrustDomain& domain) {
  TrustDomainInfo info;
  info.name = domain.metadata.name;
  const auto& st = domain.status;
  if (!st.ca_fingerprint.empty()) info.fingerprints.push_back(st.ca_fingerprint);
  if (api::rotation_in_progress(st.rotation) && !st.rotation->new_ca_fingerprint.empty() &&
      !contains(info.fingerprints, st.rotation->new_ca_fingerprint)) {
    info.fingerprints.push_back(st.rotation->new_ca_fingerprint);
  }
  for (const auto& prev : st.previous_cas) {
    if (!prev.fingerprint.empty() && !contains(info.fingerprints, prev.fingerprint)) {
      info.fingerprints.push_back(prev.fingerprint);
    }
  }
  info.plmns = plmns_of_domain(domain.spec.domain);
  return info;
}

ExternalPeer external_peer(const api::ExternalPeerSpec& spec) {
  ExternalPeer x;
  x.name = spec.name;
  if (spec.type == api::kExternalGnbType) {
    x.type = ExternalKind::Gnb;
  } else if (const auto nf = api::parse_enum<api::NfType>(spec.type)) {
    x.type = *nf == api::NfType::SEPP ? EndType{ExternalKind::RemoteSepp} : EndType{*nf};
  }
  x.implementation = spec.implementation;
  if (spec.tls) {
    const auto& t = *spec.tls;
    x.tls.mode = t.mode;
    x.tls.min_version = t.min_version;
    x.tls.max_version = t.max_version;
    x.tls.tls12_cipher_suites = t.tls12_cipher_suites;
    x.tls.tls13_cipher_suites = t.tls13_cipher_suites;
    x.tls.groups = t.groups;
    x.tls.certificate.key_algorithm = t.key_algorithm;
  }
  x.dns_names = spec.dns_names;
  x.dials = spec.dials;
  x.issuer_fingerprint = spec.issuer_fingerprint;
  x.trusted_fingerprints = spec.trusted_fingerprints;
  if (spec.n32) {
    x.n32_capability = spec.n32->capability;
    x.n32_sender = spec.n32->sender.value_or("");
    x.plmns = spec.n32->plmns;
    x.jwe_cipher_suites = spec.n32->jwe_cipher_suites;
    x.separate_n32f = spec.n32->separate_n32f;
  }
  if (spec.ipsec) {
    x.ipsec = spec.ipsec->interface;
    x.ipsec_local_id = spec.ipsec->local_id.value_or("");
    x.certificate_ids = spec.ipsec->certificate_ids;
    x.holds_profile_pre_shared_key = spec.ipsec->shares_pre_shared_key;
  }
  return x;
}

bool selects(const api::LabelSelector& selector, const api::Labels& labels) {
  return std::all_of(selector.match_labels.begin(), selector.match_labels.end(),
                     [&](const auto& kv) {
                       const auto it = labels.find(kv.first);
                       return it != labels.end() && it->second == kv.second;
                     });
}

Scope build_scope(std::span<const api::SecurityProfile* const> profiles,
                  std::span<const api::TrustDomain* const> domains, std::string_view namespace_,
                  const std::optional<api::LabelSelector>& selector) {
  Scope scope;
  std::set<std::string> seen;
  for (const auto* p : profiles) {
    if (p == nullptr || p->metadata.namespace_ != namespace_) continue;
    if (selector && !selects(*selector, p->metadata.labels)) continue;
    scope.profiles.push_back(*p);
    add_external_peers(scope, *p, seen);
  }
  add_domains(scope, domains);
  return scope;
}

Scope build_scope(const std::vector<api::SecurityProfile>& profiles,
                  const std::vector<api::TrustDomain>& domains, std::string_view namespace_,
                  const std::optional<api::LabelSelector>& selector) {
  std::vector<const api::SecurityProfile*> ps;
  ps.reserve(profiles.size());
  for (const auto& p : profiles) ps.push_back(&p);
  std::vector<const api::TrustDomain*> ds;
  ds.reserve(domains.size());
  for (const auto& d : domains) ds.push_back(&d);
  return build_scope(ps, ds, namespace_, selector);
}

Scope scope_for(const api::SecurityProfile& self,
                std::span<const api::SecurityProfile* const> profiles,
                std::span<const api::TrustDomain* const> domains) {
  Scope scope;
  std::set<std::string> seen;
  scope.profiles.push_back(self);
  add_external_peers(scope, self, seen);
  const auto& ns = self.metadata.namespace_;
  const auto* selector = self.spec.consistency && self.spec.consistency->scope
                             ? &*self.spec.consistency->scope
                             : nullptr;
  for (const auto* p : profiles) {
    if (p == nullptr || p->metadata.namespace_ != ns || p->metadata.name == self.metadata.name) {
      continue;
    }
    if (selector && !selects(*selector, p->metadata.labels)) continue;
    // Every profile's external peers (few, bounded), candidate or not: an external peer may
    // pair with self whoever describes it.
    add_external_peers(scope, *p, seen);
    if (candidate(self, *p)) scope.profiles.push_back(*p);
  }
  add_domains(scope, domains);
  return scope;
}

std::vector<PairResult> evaluate_for(const Scope& scope, std::string_view end_id) {
  std::vector<PairResult> out;
  for (const auto& pair : discover_pairs(scope, end_id)) out.push_back(evaluate_pair(pair, scope));
  return out;
}

}  // namespace secprov::check
