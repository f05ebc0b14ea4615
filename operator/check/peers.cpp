#include "check/peers.h"

#include <algorithm>
#include <tuple>

#include "render/names.h"

namespace secprov::check {
namespace {

using api::SecurityProfile;

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

const api::IpsecInterfaceSpec* find_interface(const SecurityProfile& p, api::IpsecInterface i) {
  if (!p.spec.ipsec) return nullptr;
  for (const auto& spec : p.spec.ipsec->interfaces) {
    if (spec.name == i) return &spec;
  }
  return nullptr;
}

const Relation* first_relation(const End& a, const End& b, Interface interface) {
  const auto found = relations(a.type(), b.type(), interface);
  return found.empty() ? nullptr : found.front();
}

class Collector {
 public:
  void add(Pair pair) {
    // Non-SBI pairs are undirected: one per interface and pair of ends.
    if (pair.interface != Interface::Sbi && pair.b.id() < pair.a.id()) std::swap(pair.a, pair.b);
    for (auto& existing : pairs_) {
      if (existing.interface == pair.interface && existing.a.id() == pair.a.id() &&
          existing.b.id() == pair.b.id()) {
        if (existing.dialled_name.empty()) existing.dialled_name = pair.dialled_name;
        return;
      }
    }
    pairs_.push_back(std::move(pair));
  }
  std::vector<Pair> take() {
    std::sort(pairs_.begin(), pairs_.end(), [](const Pair& x, const Pair& y) {
      return std::make_tuple(x.interface, x.a.id(), x.b.id()) <
             std::make_tuple(y.interface, y.a.id(), y.b.id());
    });
    return std::move(pairs_);
  }

 private:
  std::vector<Pair> pairs_;
};

void sbi_pairs(const Scope& scope, Collector& out) {
  std::vector<End> ends;
  for (const auto& p : scope.profiles) ends.push_back({&p, nullptr});
  for (const auto& x : scope.external_peers) {
    if (std::holds_alternative<api::NfType>(x.type)) ends.push_back({nullptr, &x});
  }
  for (const auto& consumer : ends) {
    for (const auto& producer : ends) {
      if (consumer.id() == producer.id() || (consumer.external && producer.external)) continue;
      if (const auto* relation = first_relation(consumer, producer, Interface::Sbi)) {
        out.add({Interface::Sbi, relation, consumer, producer,
                 consumer.external ? consumer.external->dials.value_or("") : ""});
      }
    }
  }
  // The enabler's outbound peers name their producers explicitly.
  for (const auto& p : scope.profiles) {
    if (!p.spec.enabler) continue;
    const End consumer{&p, nullptr};
    for (const auto& outbound : p.spec.enabler->outbound) {
      const std::string dialled = api::effective_server_name(outbound);
      for (const auto& q : scope.profiles) {
        if (&q == &p) continue;
        const auto names = render::sbi_dns_names(q);
        if (q.metadata.name == outbound.name || contains(names, outbound.host) ||
            contains(names, dialled)) {
          const End producer{&q, nullptr};
          out.add({Interface::Sbi, first_relation(consumer, producer, Interface::Sbi), consumer,
                   producer, dialled});
        }
      }
      for (const auto& x : scope.external_peers) {
        if (x.name == outbound.name || contains(x.dns_names, outbound.host)) {
          const End producer{nullptr, &x};
          out.add({Interface::Sbi, first_relation(consumer, producer, Interface::Sbi), consumer,
                   producer, dialled});
        }
      }
    }
  }
}

void ipsec_pairs(const Scope& scope, Collector& out) {
  for (const auto& p : scope.profiles) {
    if (!p.spec.ipsec) continue;
    for (const auto& spec : p.spec.ipsec->interfaces) {
      if (spec.name == api::IpsecInterface::Xn) continue;  // gNB-gNB: no profile end
      const Interface interface = from_ipsec(spec.name);
      const End self{&p, nullptr};
      for (const auto& peer : spec.peers) {
        for (const auto& q : scope.profiles) {
          if (&q != &p && q.metadata.namespace_ == p.metadata.namespace_ &&
              q.metadata.name == peer.name) {
            const End other{&q, nullptr};
            out.add({interface, first_relation(self, other, interface), self, other, ""});
          }
        }
        for (const auto& x : scope.external_peers) {
          if (x.name == peer.name) {
            const End other{nullptr, &x};
            out.add({interface, first_relation(self, other, interface), self, other, ""});
          }
        }
      }
    }
  }
  // An external peer listing a profile that does not list it back.
  for (const auto& x : scope.external_peers) {
    if (!x.ipsec || x.ipsec->name == api::IpsecInterface::Xn) continue;
    const Interface interface = from_ipsec(x.ipsec->name);
    const End other{nullptr, &x};
    for (const auto& peer : x.ipsec->peers) {
      for (const auto& p : scope.profiles) {
        if (p.metadata.name == peer.name && find_interface(p, x.ipsec->name) != nullptr) {
          const End self{&p, nullptr};
          out.add({interface, first_relation(self, other, interface), self, other, ""});
        }
      }
    }
  }
}

void n32_pairs(const Scope& scope, Collector& out) {
  for (const auto& p : scope.profiles) {
    if (p.spec.nf_type != api::NfType::SEPP || !p.spec.n32) continue;
    const End self{&p, nullptr};
    for (const auto& peer : p.spec.n32->peers) {
      for (const auto& q : scope.profiles) {
        if (&q == &p || q.spec.nf_type != api::NfType::SEPP) continue;
        if (render::primary_dns_name(q) == peer.fqdn) {
          const End other{&q, nullptr};
          out.add({Interface::N32, first_relation(self, other, Interface::N32), self, other, ""});
        }
      }
      for (const auto& x : scope.external_peers) {
        if (x.type != EndType{ExternalKind::RemoteSepp}) continue;
        if (x.name == peer.name || (!x.n32_sender.empty() && x.n32_sender == peer.fqdn)) {
          const End other{nullptr, &x};
          out.add({Interface::N32, first_relation(self, other, Interface::N32), self, other, ""});
        }
      }
    }
  }
}

}  // namespace

std::string trust_anchor_key(std::string_view namespace_, const api::TrustAnchorRef& ref) {
  return std::string(namespace_) + "/" + std::string(api::to_string(ref.kind)) + "/" + ref.name +
         "/" + ref.key;
}

std::vector<api::SecurityProfile> in_namespace(const std::vector<api::SecurityProfile>& profiles,
                                               std::string_view namespace_) {
  std::vector<api::SecurityProfile> out;
  std::copy_if(profiles.begin(), profiles.end(), std::back_inserter(out),
               [&](const auto& p) { return p.metadata.namespace_ == namespace_; });
  return out;
}

std::string End::id() const {
  if (profile) return profile->metadata.namespace_ + "/" + profile->metadata.name;
  if (external) return "external/" + external->name;
  return {};
}

EndType End::type() const {
  if (profile) return profile->spec.nf_type;
  if (external) return external->type;
  return ExternalKind::Gnb;
}

std::vector<Pair> discover_pairs(const Scope& scope) {
  Collector out;
  sbi_pairs(scope, out);
  ipsec_pairs(scope, out);
  n32_pairs(scope, out);
  return out.take();
}

std::vector<std::string> unresolved_peers(const Scope& scope) {
  std::vector<std::string> out;
  const auto external = [&](const auto& matches) {
    return std::any_of(scope.external_peers.begin(), scope.external_peers.end(), matches);
  };
  const auto profile = [&](const auto& matches) {
    return std::any_of(scope.profiles.begin(), scope.profiles.end(), matches);
  };
  for (const auto& p : scope.profiles) {
    const std::string id = End{&p, nullptr}.id();
    if (p.spec.ipsec) {
      for (const auto& spec : p.spec.ipsec->interfaces) {
        for (const auto& peer : spec.peers) {
          const bool found = profile([&](const auto& q) {
                               return &q != &p && q.metadata.namespace_ == p.metadata.namespace_ &&
                                      q.metadata.name == peer.name;
                             }) ||
                             external([&](const auto& x) { return x.name == peer.name; });
          if (!found) {
            out.push_back(std::string(api::to_string(spec.name)) + " " + id + " -> " + peer.name);
          }
        }
      }
    }
    if (p.spec.nf_type == api::NfType::SEPP && p.spec.n32) {
      for (const auto& peer : p.spec.n32->peers) {
        const bool found =
            profile([&](const auto& q) {
              return &q != &p && q.spec.nf_type == api::NfType::SEPP &&
                     render::primary_dns_name(q) == peer.fqdn;
            }) ||
            external([&](const auto& x) {
              return x.type == EndType{ExternalKind::RemoteSepp} &&
                     (x.name == peer.name || (!x.n32_sender.empty() && x.n32_sender == peer.fqdn));
            });
        if (!found) out.push_back("N32 " + id + " -> " + peer.fqdn);
      }
    }
    if (p.spec.enabler) {
      for (const auto& outbound : p.spec.enabler->outbound) {
        const std::string dialled = api::effective_server_name(outbound);
        const bool found = profile([&](const auto& q) {
                             if (&q == &p) return false;
                             const auto names = render::sbi_dns_names(q);
                             return q.metadata.name == outbound.name ||
                                    contains(names, outbound.host) || contains(names, dialled);
                           }) ||
                           external([&](const auto& x) {
                             return x.name == outbound.name || contains(x.dns_names, outbound.host);
                           });
        if (!found) out.push_back("SBI " + id + " -> " + outbound.host);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace secprov::check

namespace secprov::check {

std::vector<render::EnforcementGap> native_gaps(const End& end) {
  if (end.profile) {
    if (api::enabler_sidecar(*end.profile)) return {};
    return render::enforcement_gaps(*end.profile);
  }
  if (!end.external || !end.external->implementation) return {};
  const auto& x = *end.external;
  api::SecurityProfile as_profile;
  as_profile.metadata.name = x.name;
  if (const auto* nf = std::get_if<api::NfType>(&x.type)) {
    as_profile.spec.nf_type = *nf;
  } else {
    as_profile.spec.nf_type =
        x.type == EndType{ExternalKind::RemoteSepp} ? api::NfType::SEPP : api::NfType::AMF;
  }
  as_profile.spec.sbi.tls = x.tls;
  as_profile.spec.sbi.oauth2 = x.oauth2;
  if (x.n32_capability) as_profile.spec.n32 = api::N32Spec{*x.n32_capability, {}, {}, {}};
  as_profile.spec.outputs.open5gs = *x.implementation == render::NativeOutput::Open5gs;
  as_profile.spec.outputs.free5gc = *x.implementation == render::NativeOutput::Free5gc;
  return render::enforcement_gaps(as_profile);
}

bool has_gap(const std::vector<render::EnforcementGap>& gaps, render::NativeOutput output,
             std::string_view code) {
  return std::any_of(gaps.begin(), gaps.end(),
                     [&](const auto& g) { return g.output == output && g.code == code; });
}

std::string fingerprint_id(std::string_view fingerprint) {
  std::string hex;
  for (const char c : fingerprint) {
    if (c == ':' || c == ' ') continue;
    hex += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  }
  return "sha256:" + hex;
}

bool anchor_unresolved(std::string_view id) {
  return id.empty() || id.starts_with("trustdomain:");
}

namespace {

Anchors domain_anchors(const std::string& domain, const Scope& scope) {
  for (const auto& info : scope.trust_domains) {
    if (info.name != domain || info.fingerprints.empty()) continue;
    Anchors out{fingerprint_id(info.fingerprints.front()), {}};
    for (const auto& f : info.fingerprints) out.trusted.push_back(fingerprint_id(f));
    return out;
  }
  return {"trustdomain:" + domain, {"trustdomain:" + domain}};
}

}  // namespace

Anchors anchors(const End& end, const Scope& scope) {
  if (end.profile) return domain_anchors(end.profile->spec.trust_domain_ref.name, scope);
  Anchors out;
  if (!end.external) return out;
  if (end.external->issuer_fingerprint) {
    out.issuer = fingerprint_id(*end.external->issuer_fingerprint);
  }
  for (const auto& f : end.external->trusted_fingerprints) out.trusted.push_back(fingerprint_id(f));
  return out;
}

Interface from_ipsec(api::IpsecInterface i) {
  switch (i) {
    case api::IpsecInterface::N2:
      return Interface::N2;
    case api::IpsecInterface::N3:
      return Interface::N3;
    case api::IpsecInterface::N4:
      return Interface::N4;
    case api::IpsecInterface::N9:
      return Interface::N9;
    case api::IpsecInterface::Xn:
      break;
  }
  return Interface::N2;  // Xn is filtered out by the callers (gNB-gNB, no profile end)
}

}  // namespace secprov::check
