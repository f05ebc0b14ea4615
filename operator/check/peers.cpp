#include "check/peers.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "render/names.h"

namespace secprov::check {
namespace {

using api::SecurityProfile;

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool has_interface(const SecurityProfile& p, api::IpsecInterface i) {
  if (!p.spec.ipsec) return false;
  return std::any_of(p.spec.ipsec->interfaces.begin(), p.spec.ipsec->interfaces.end(),
                     [&](const auto& spec) { return spec.name == i; });
}

// An end the catalogue's SBI relations can name: a profile or an external NF.
bool sbi_end(const End& end) {
  return end.profile != nullptr ||
         (end.external != nullptr && std::holds_alternative<api::NfType>(end.external->type));
}

// The pairs found, keyed as discover_pairs sorts them. Non-SBI pairs are undirected: one per
// interface and pair of ends. A pair found twice keeps its first relation and its first
// non-empty dialled name.
class Collector {
 public:
  void add(Pair pair) {
    if (pair.interface != Interface::Sbi && pair.b.id() < pair.a.id()) std::swap(pair.a, pair.b);
    Key key{pair.interface, pair.a.id(), pair.b.id()};
    const auto [it, inserted] = pairs_.try_emplace(std::move(key), pair);
    if (!inserted && it->second.dialled_name.empty()) it->second.dialled_name = pair.dialled_name;
  }
  std::vector<Pair> take() {
    std::vector<Pair> out;
    out.reserve(pairs_.size());
    for (auto& [key, pair] : pairs_) out.push_back(std::move(pair));
    return out;
  }

 private:
  struct Key {
    Interface interface;
    std::string a;
    std::string b;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  std::map<Key, Pair> pairs_;
};

// One discovery, of every pair or of the pairs of one end (`only`). Each peer list is read
// as in the whole scope; only the ends it is matched against differ (see others()), so the
// pairs of one end are exactly the whole scope's pairs involving it, found in linear time.
class Discovery {
 public:
  Discovery(const Scope& scope, std::optional<End> only) : scope_(scope), only_(only) {}

  std::vector<Pair> run() {
    sbi();
    ipsec();
    n32();
    return out_.take();
  }

 private:
  // Calls f(end) for each end that `lister` may pair with: every end of the scope, or only
  // the wanted one when the lister is another end.
  template <class F>
  void others(const End& lister, F&& f) const {
    if (only_ && *only_ != lister) {
      f(*only_);
      return;
    }
    for (const auto& p : scope_.profiles) f(End{&p, nullptr});
    for (const auto& x : scope_.external_peers) f(End{nullptr, &x});
  }

  void add(Interface interface, const End& a, const End& b, std::string dialled_name) {
    out_.add({interface, relation(a, b, interface), a, b, std::move(dialled_name)});
  }

  // The first catalogue relation of (a, b), memoised by their types.
  const Relation* relation(const End& a, const End& b, Interface interface) {
    auto key = std::make_tuple(a.type(), b.type(), interface);
    auto it = relations_.find(key);
    if (it == relations_.end()) {
      const auto found = relations(std::get<0>(key), std::get<1>(key), interface);
      it = relations_.emplace(std::move(key), found.empty() ? nullptr : found.front()).first;
    }
    return it->second;
  }

  void sbi() {
    // Each ordered (consumer, producer) of the catalogue, not both external.
    if (!only_ || sbi_end(*only_)) {
      const auto from = [&](const End& consumer) {
        if (!sbi_end(consumer)) return;
        others(consumer, [&](const End& producer) {
          if (producer == consumer || !sbi_end(producer) ||
              (consumer.external && producer.external)) {
            return;
          }
          if (const auto* r = relation(consumer, producer, Interface::Sbi)) {
            out_.add({Interface::Sbi, r, consumer, producer,
                      consumer.external ? consumer.external->dials.value_or("") : ""});
          }
        });
      };
      for (const auto& p : scope_.profiles) from({&p, nullptr});
      for (const auto& x : scope_.external_peers) from({nullptr, &x});
    }
    // The enabler's outbound peers name their producers explicitly.
    for (const auto& p : scope_.profiles) {
      if (!p.spec.enabler) continue;
      const End consumer{&p, nullptr};
      for (const auto& outbound : p.spec.enabler->outbound) {
        others(consumer, [&](const End& producer) {
          if (names_end(p, outbound, producer)) {
            add(Interface::Sbi, consumer, producer, api::effective_server_name(outbound));
          }
        });
      }
    }
  }

  void ipsec() {
    for (const auto& p : scope_.profiles) {
      if (!p.spec.ipsec) continue;
      const End self{&p, nullptr};
      for (const auto& spec : p.spec.ipsec->interfaces) {
        if (spec.name == api::IpsecInterface::Xn) continue;  // gNB-gNB: no profile end
        const Interface interface = from_ipsec(spec.name);
        for (const auto& peer : spec.peers) {
          others(self, [&](const End& other) {
            if (names_end(p, peer, other)) add(interface, self, other, "");
          });
        }
      }
    }
    // An external peer listing a profile that does not list it back.
    for (const auto& x : scope_.external_peers) {
      if (!x.ipsec || x.ipsec->name == api::IpsecInterface::Xn) continue;
      const Interface interface = from_ipsec(x.ipsec->name);
      const End self{nullptr, &x};
      for (const auto& peer : x.ipsec->peers) {
        others(self, [&](const End& other) {
          if (other.profile && other.profile->metadata.name == peer.name &&
              has_interface(*other.profile, x.ipsec->name)) {
            add(interface, other, self, "");
          }
        });
      }
    }
  }

  void n32() {
    for (const auto& p : scope_.profiles) {
      if (p.spec.nf_type != api::NfType::SEPP || !p.spec.n32) continue;
      const End self{&p, nullptr};
      for (const auto& peer : p.spec.n32->peers) {
        others(self, [&](const End& other) {
          if (names_end(p, peer, other)) add(Interface::N32, self, other, "");
        });
      }
    }
  }

  const Scope& scope_;
  const std::optional<End> only_;
  std::map<std::tuple<EndType, EndType, Interface>, const Relation*> relations_;
  Collector out_;
};

std::optional<End> find_end(const Scope& scope, std::string_view id) {
  for (const auto& p : scope.profiles) {
    if (End{&p, nullptr}.id() == id) return End{&p, nullptr};
  }
  for (const auto& x : scope.external_peers) {
    if (End{nullptr, &x}.id() == id) return End{nullptr, &x};
  }
  return std::nullopt;
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

bool names_end(const SecurityProfile& lister, const api::IpsecPeer& peer, const End& end) {
  if (end.profile) {
    return end.profile != &lister &&
           end.profile->metadata.namespace_ == lister.metadata.namespace_ &&
           end.profile->metadata.name == peer.name;
  }
  return end.external && end.external->name == peer.name;
}

bool names_end(const SecurityProfile& lister, const api::N32Peer& peer, const End& end) {
  if (end.profile) {
    return end.profile != &lister && end.profile->spec.nf_type == api::NfType::SEPP &&
           render::primary_dns_name(*end.profile) == peer.fqdn;
  }
  return end.external && end.external->type == EndType{ExternalKind::RemoteSepp} &&
         (end.external->name == peer.name ||
          (!end.external->n32_sender.empty() && end.external->n32_sender == peer.fqdn));
}

bool names_end(const SecurityProfile& lister, const api::EnablerOutbound& outbound,
               const End& end) {
  if (end.profile) {
    if (end.profile == &lister) return false;
    const auto dns_names = render::sbi_dns_names(*end.profile);
    return end.profile->metadata.name == outbound.name || contains(dns_names, outbound.host) ||
           contains(dns_names, api::effective_server_name(outbound));
  }
  return end.external &&
         (end.external->name == outbound.name || contains(end.external->dns_names, outbound.host));
}

std::vector<Pair> discover_pairs(const Scope& scope, std::optional<std::string_view> end) {
  if (!end) return Discovery(scope, std::nullopt).run();
  const auto only = find_end(scope, *end);
  if (!only) return {};
  return Discovery(scope, only).run();
}

std::vector<std::string> unresolved_peers(const Scope& scope) {
  std::vector<std::string> out;
  const auto found = [&](const SecurityProfile& lister, const auto& entry) {
    return std::any_of(scope.profiles.begin(), scope.profiles.end(),
                       [&](const auto& q) {
                         return names_end(lister, entry, End{&q, nullptr});
                       }) ||
           std::any_of(scope.external_peers.begin(), scope.external_peers.end(),
                       [&](const auto& x) {
                         return names_end(lister, entry, End{nullptr, &x});
                       });
  };
  for (const auto& p : scope.profiles) {
    const std::string id = End{&p, nullptr}.id();
    if (p.spec.ipsec) {
      for (const auto& spec : p.spec.ipsec->interfaces) {
        for (const auto& peer : spec.peers) {
          if (!found(p, peer)) {
            out.push_back(std::string(api::to_string(spec.name)) + " " + id + " -> " + peer.name);
          }
        }
      }
    }
    if (p.spec.nf_type == api::NfType::SEPP && p.spec.n32) {
      for (const auto& peer : p.spec.n32->peers) {
        if (!found(p, peer)) out.push_back("N32 " + id + " -> " + peer.fqdn);
      }
    }
    if (p.spec.enabler) {
      for (const auto& outbound : p.spec.enabler->outbound) {
        if (!found(p, outbound)) out.push_back("SBI " + id + " -> " + outbound.host);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace secprov::check

namespace secprov::check {

std::vector<render::EnforcementGap> native_gaps(const End& end, const End* dialled) {
  if (end.profile) {
    const auto& profile = *end.profile;
    // The enabler sidecar closes the rows of the sides it takes over, as for Enforced; a
    // client's only towards the peers its outbound list names.
    const auto routed = [&] {
      return dialled == nullptr ||
             std::any_of(
                 profile.spec.enabler->outbound.begin(), profile.spec.enabler->outbound.end(),
                 [&](const api::EnablerOutbound& o) { return names_end(profile, o, *dialled); });
    };
    auto gaps = render::enforcement_gaps(profile);
    // Only a client row the sidecar takes over asks whether it routes to `dialled`.
    std::erase_if(gaps, [&](const render::EnforcementGap& gap) {
      return render::enabler_takes_over(profile, gap.side) &&
             (gap.side != render::TlsSide::Client || routed());
    });
    return gaps;
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
  as_profile.spec.outputs.open5gs = *x.implementation == api::NfImplementation::Open5GS;
  as_profile.spec.outputs.free5gc = *x.implementation == api::NfImplementation::Free5GC;
  return render::enforcement_gaps(as_profile);
}

bool has_gap(const std::vector<render::EnforcementGap>& gaps, api::NfImplementation output,
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
