#include "check/n32.h"

#include <algorithm>
#include <array>

#include "render/n32.h"
#include "render/names.h"

namespace secprov::check {
namespace {

std::string what(const N32Pair& pair) {
  return "N32 " + pair.a.id + " <-> " + pair.b.id + ": ";
}

Finding finding(std::string check, std::string reason, std::string message,
                Severity severity = Severity::Error) {
  return {std::move(check), std::move(reason), std::move(message), severity};
}

std::array<std::pair<const N32End*, const N32End*>, 2> both_ways(const N32Pair& pair) {
  return {{{&pair.a, &pair.b}, {&pair.b, &pair.a}}};
}

std::string plmn(const api::PlmnId& id) {
  return id.mcc + "-" + id.mnc;
}

std::string plmns(const std::vector<api::PlmnId>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + plmn(id);
  return out.empty() ? "(none)" : out;
}

const TrustDomainInfo* domain_info(const Scope& scope, const std::string& name) {
  for (const auto& info : scope.trust_domains) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<std::string> domain_anchor_ids(const Scope& scope, const std::string& name) {
  const auto* info = domain_info(scope, name);
  if (info == nullptr || info->fingerprints.empty()) return {"trustdomain:" + name};
  std::vector<std::string> out;
  for (const auto& f : info->fingerprints) out.push_back(fingerprint_id(f));
  return out;
}

// The roots a SEPP profile's trustAnchorRef holds: given in the scope, or known because it
// is the trust bundle ConfigMap ("<domain>-ca", key ca.crt) of a domain of the scope.
std::optional<std::vector<std::string>> anchor_ids(const Scope& scope, std::string_view ns,
                                                   const api::TrustAnchorRef& ref) {
  if (const auto it = scope.trust_anchors.find(trust_anchor_key(ns, ref));
      it != scope.trust_anchors.end()) {
    std::vector<std::string> out;
    for (const auto& f : it->second) out.push_back(fingerprint_id(f));
    return out;
  }
  if (ref.kind == api::TrustAnchorKind::ConfigMap && ref.key == "ca.crt") {
    for (const auto& info : scope.trust_domains) {
      if (render::trust_bundle_name(info.name) == ref.name) {
        return domain_anchor_ids(scope, info.name);
      }
    }
  }
  return std::nullopt;
}

template <class T>
bool contains(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

N32End n32_end(const End& self, const End& other, const Scope& scope) {
  N32End out;
  out.id = self.id();
  std::string other_sender;
  std::string other_name;
  if (other.profile) {
    other_sender = render::primary_dns_name(*other.profile);
    other_name = other.profile->metadata.name;
  } else if (other.external) {
    other_sender = other.external->n32_sender;
    other_name = other.external->name;
  }
  if (self.profile) {
    const auto& p = *self.profile;
    out.name = p.metadata.name;
    out.tls = p.spec.sbi.tls.mode != api::TlsMode::Disabled;
    out.sender = render::primary_dns_name(p);
    const std::string domain = render::n32_trust_domain(p).value_or(p.spec.trust_domain_ref.name);
    out.issuer = domain_anchor_ids(scope, domain).front();
    if (const auto* info = domain_info(scope, domain)) out.plmns = info->plmns;
    if (p.spec.n32) {
      out.capability = p.spec.n32->capability;
      out.jwe_cipher_suites = p.spec.n32->jwe_cipher_suites;
      for (const auto& peer : p.spec.n32->peers) {
        if (peer.fqdn == other_sender || peer.name == other_name) {
          out.peer = peer;
          out.anchors_for_peer = anchor_ids(scope, p.metadata.namespace_, peer.trust_anchor_ref);
          break;
        }
      }
    }
    // The Open5GS rendering writes N32-f as its own n32f entry (render/config.cpp).
    if (p.spec.outputs.open5gs) out.separate_n32f = true;
  } else if (self.external) {
    const auto& x = *self.external;
    out.name = x.name;
    out.external = true;
    out.tls = x.tls.mode != api::TlsMode::Disabled;
    out.capability = x.n32_capability;
    out.sender = x.n32_sender;
    out.plmns = x.plmns;
    if (x.issuer_fingerprint) out.issuer = fingerprint_id(*x.issuer_fingerprint);
    if (!x.trusted_fingerprints.empty()) {
      std::vector<std::string> ids;
      for (const auto& f : x.trusted_fingerprints) ids.push_back(fingerprint_id(f));
      out.anchors_for_peer = ids;
    }
    out.separate_n32f = x.separate_n32f;
    out.jwe_cipher_suites = x.jwe_cipher_suites;
  }
  return out;
}

Outcome n32_configured(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->capability) {
      return finding("n32_configured", "N32NotConfigured",
                     what(pair) + x->id + " has no N32 configuration (capability), while " + y->id +
                         " lists it as a partner");
    }
  }
  return std::nullopt;
}

Outcome n32_lists_each_other(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->external && !x->peer) {
      return finding("n32_lists_each_other", "N32PeerNotListed",
                     what(pair) + x->id + " does not list " + y->sender + " among its N32 peers");
    }
  }
  return std::nullopt;
}

Outcome n32_same_capability(const N32Pair& pair) {
  if (*pair.a.capability == *pair.b.capability) return std::nullopt;
  return finding("n32_same_capability", "N32CapabilityMismatch",
                 what(pair) + pair.a.id + " offers " +
                     std::string(api::to_string(*pair.a.capability)) + ", " + pair.b.id + " " +
                     std::string(api::to_string(*pair.b.capability)));
}

Outcome n32_tls_on(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->tls) {
      return finding(
          "n32_tls_on", "N32WithoutTls",
          what(pair) + x->id + " has TLS off: N32-c must be mutual TLS (TS 33.501 13.2)");
    }
  }
  return std::nullopt;
}

Outcome n32_receiver_is_peer_sender(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->peer && !y->sender.empty() && x->peer->fqdn != y->sender) {
      return finding("n32_receiver_is_peer_sender", "N32ReceiverMismatch",
                     what(pair) + x->id + " names its partner " + x->peer->fqdn + ", " + y->id +
                         " sends as " + y->sender);
    }
  }
  return std::nullopt;
}

Outcome n32_plmns_match(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->peer || y->plmns.empty()) continue;
    for (const auto& id : x->peer->plmns) {
      if (!contains(y->plmns, id)) {
        return finding("n32_plmns_match", "N32PlmnMismatch",
                       what(pair) + x->id + " binds PLMN " + plmn(id) + " to " + y->id +
                           "'s roots, and " + y->id + " serves " + plmns(y->plmns));
      }
    }
  }
  return std::nullopt;
}

Outcome n32_peer_chains_to_plmn_anchor(const N32Pair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->external && !x->anchors_for_peer) continue;  // a remote SEPP's roots: not given
    if (!x->anchors_for_peer) {
      return finding("n32_peer_chains_to_plmn_anchor", "N32TrustAnchorUnknown",
                     what(pair) + "the roots " + x->id + " binds to " + y->id +
                         (x->peer ? " (trustAnchorRef " + x->peer->trust_anchor_ref.name + ")"
                                  : std::string()) +
                         " are not known: give their fingerprints to check them",
                     Severity::Info);
    }
    const auto& roots = *x->anchors_for_peer;
    if (contains(roots, y->issuer)) continue;
    if (anchor_unresolved(y->issuer) || std::any_of(roots.begin(), roots.end(), [](const auto& r) {
          return anchor_unresolved(r);
        })) {
      return finding("n32_peer_chains_to_plmn_anchor", "N32TrustAnchorUnknown",
                     what(pair) + "cannot tell whether " + y->id + "'s issuer (" +
                         (y->issuer.empty() ? "unknown" : y->issuer) + ") is among the roots " +
                         x->id + " binds to it: a CA fingerprint is not given",
                     Severity::Info);
    }
    std::string list;
    for (const auto& r : roots) list += (list.empty() ? "" : ", ") + r;
    return finding("n32_peer_chains_to_plmn_anchor", "N32PeerRootNotTrusted",
                   what(pair) + x->id + " trusts " + (list.empty() ? "no root" : list) + " for " +
                       y->id + ", whose certificate is issued by " + y->issuer);
  }
  return std::nullopt;
}

Outcome n32_separate_n32f(const N32Pair& pair) {
  if (*pair.a.capability != api::N32Capability::TLS) return std::nullopt;
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->separate_n32f && !*x->separate_n32f) {
      return finding("n32_separate_n32f", "N32fNotSeparate",
                     what(pair) + x->id + " carries N32-f on the N32-c connection");
    }
  }
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->separate_n32f) {
      return finding("n32_separate_n32f", "N32fSeparationNotModelled",
                     what(pair) + "whether " + x->id +
                         " uses a separate TLS connection for N32-f is not modelled (no API "
                         "field; only the Open5GS rendering writes one)",
                     Severity::Info);
    }
  }
  return std::nullopt;
}

Outcome n32_common_jwe_suite(const N32Pair& pair) {
  if (*pair.a.capability != api::N32Capability::PRINS ||
      *pair.b.capability != api::N32Capability::PRINS) {
    return std::nullopt;
  }
  const auto a = pair.a.jwe_cipher_suites.value_or(std::vector<api::JweCipherSuite>{});
  const auto b = pair.b.jwe_cipher_suites.value_or(std::vector<api::JweCipherSuite>{});
  if (std::any_of(a.begin(), a.end(), [&](auto s) { return contains(b, s); })) return std::nullopt;
  const auto names = [](const std::vector<api::JweCipherSuite>& v) {
    std::string out;
    for (const auto s : v) out += (out.empty() ? "" : ", ") + std::string(api::to_string(s));
    return out.empty() ? std::string("(none)") : out;
  };
  return finding("n32_common_jwe_suite", "N32NoCommonJweSuite",
                 what(pair) + "no JWE cipher suite in common (" + pair.a.id + ": " + names(a) +
                     "; " + pair.b.id + ": " + names(b) + ")");
}

Outcome n32_prins_policies(const N32Pair& pair) {
  if (*pair.a.capability != api::N32Capability::PRINS ||
      *pair.b.capability != api::N32Capability::PRINS) {
    return std::nullopt;
  }
  return finding("n32_prins_policies", "N32PrinsPoliciesNotModelled",
                 what(pair) +
                     "PRINS data-type encryption and modification policies have no API field: "
                     "whether they match is not checked",
                 Severity::Info);
}

std::vector<Finding> check_n32(const N32Pair& pair) {
  std::vector<Finding> out;
  for (const auto check : {n32_configured, n32_lists_each_other}) {
    if (auto f = check(pair)) {
      out.push_back(std::move(*f));
      return out;
    }
  }
  for (const auto check : {n32_same_capability, n32_tls_on, n32_receiver_is_peer_sender,
                           n32_plmns_match, n32_peer_chains_to_plmn_anchor, n32_separate_n32f,
                           n32_common_jwe_suite, n32_prins_policies}) {
    if (auto f = check(pair)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace secprov::check
