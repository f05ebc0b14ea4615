#include "check/ipsec.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>

#include "api/text.h"
#include "render/names.h"

namespace secprov::check {
namespace {

// ---- addresses and prefixes ----

struct Prefix {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  int length = 0;
};

std::optional<std::array<std::uint8_t, 4>> parse_v4(std::string_view s) {
  std::array<std::uint8_t, 4> out{};
  for (int i = 0; i < 4; ++i) {
    const auto dot = s.find('.');
    const auto part = s.substr(0, dot);
    unsigned value = 256;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || value > 255) {
      return std::nullopt;
    }
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  return out;
}

std::optional<std::vector<std::uint16_t>> parse_groups(std::string_view s) {
  std::vector<std::uint16_t> out;
  if (s.empty()) return out;
  while (true) {
    const auto colon = s.find(':');
    const auto part = s.substr(0, colon);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value, 16);
    if (part.empty() || part.size() > 4 || ec != std::errc{} || end != part.data() + part.size()) {
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint16_t>(value));
    if (colon == std::string_view::npos) return out;
    s.remove_prefix(colon + 1);
  }
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view s) {
  if (s.find(':') == std::string_view::npos) return std::nullopt;
  const auto gap = s.find("::");
  std::optional<std::vector<std::uint16_t>> head;
  std::optional<std::vector<std::uint16_t>> tail;
  if (gap == std::string_view::npos) {
    head = parse_groups(s);
    tail = std::vector<std::uint16_t>{};
  } else {
    head = parse_groups(s.substr(0, gap));
    tail = parse_groups(s.substr(gap + 2));
  }
  if (!head || !tail) return std::nullopt;
  const auto total = head->size() + tail->size();
  if (total > 8 || (gap == std::string_view::npos && total != 8)) return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  const auto put = [&](std::size_t index, std::uint16_t v) {
    out[2 * index] = static_cast<std::uint8_t>(v >> 8);
    out[2 * index + 1] = static_cast<std::uint8_t>(v & 0xff);
  };
  for (std::size_t i = 0; i < head->size(); ++i) put(i, (*head)[i]);
  for (std::size_t i = 0; i < tail->size(); ++i) put(8 - tail->size() + i, (*tail)[i]);
  return out;
}

std::optional<Prefix> parse_prefix(std::string_view s) {
  const auto slash = s.find('/');
  const auto address = s.substr(0, slash);
  Prefix out;
  if (const auto v4 = parse_v4(address)) {
    std::copy(v4->begin(), v4->end(), out.bytes.begin());
    out.length = 32;
  } else if (const auto v6 = parse_v6(address)) {
    out.v6 = true;
    out.bytes = *v6;
    out.length = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    const auto len = s.substr(slash + 1);
    int value = -1;
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
    if (ec != std::errc{} || end != len.data() + len.size() || value < 0 || value > out.length) {
      return std::nullopt;
    }
    out.length = value;
  }
  return out;
}

bool overlap(const Prefix& x, const Prefix& y) {
  if (x.v6 != y.v6) return false;
  const int bits = std::min(x.length, y.length);
  for (int i = 0; i < bits; ++i) {
    const auto byte = static_cast<std::size_t>(i / 8);
    const int shift = 7 - i % 8;
    if (((x.bytes[byte] >> shift) & 1) != ((y.bytes[byte] >> shift) & 1)) return false;
  }
  return true;
}

std::optional<bool> is_v6(std::string_view address) {
  const auto p = parse_prefix(address);
  if (!p) return std::nullopt;  // an FQDN: its family is known once resolved
  return p->v6;
}

std::string host_prefix(std::string_view address) {
  const auto v6 = is_v6(address);
  return std::string(address) + (v6 && *v6 ? "/128" : "/32");
}

// ---- proposals ----

std::map<std::string, std::set<std::string>> transforms(const std::string& proposal) {
  std::map<std::string, std::set<std::string>> out;
  std::string_view rest = proposal;
  while (!rest.empty()) {
    const auto dash = rest.find('-');
    const std::string token(rest.substr(0, dash));
    std::string type = "other:" + token;
    if (const auto t = api::ipsec_transform(token)) {
      switch (*t) {
        case api::IpsecTransform::AeadEncryption:
        case api::IpsecTransform::Encryption:
          type = "encryption";
          break;
        case api::IpsecTransform::Integrity:
          type = "integrity";
          break;
        case api::IpsecTransform::Prf:
          type = "prf";
          break;
        case api::IpsecTransform::KeyExchange:
          type = "ke";
          break;
      }
    }
    out[type].insert(token);
    if (dash == std::string_view::npos) break;
    rest.remove_prefix(dash + 1);
  }
  return out;
}

bool proposal_match(const std::string& a, const std::string& b) {
  const auto ta = transforms(a);
  const auto tb = transforms(b);
  for (const auto* side : {&ta, &tb}) {
    for (const auto& [type, algorithms] : *side) {
      const auto& x = ta.contains(type) ? ta.at(type) : std::set<std::string>{};
      const auto& y = tb.contains(type) ? tb.at(type) : std::set<std::string>{};
      if (std::none_of(x.begin(), x.end(), [&](const auto& v) { return y.contains(v); })) {
        return false;
      }
    }
  }
  return true;
}

std::string joined(const std::vector<std::string>& items) {
  return items.empty() ? "(none)" : api::join(items, ", ");
}

std::string what(const IpsecPair& pair) {
  return std::string(pair.interface) + " " + pair.a.id + " <-> " + pair.b.id + ": ";
}

Finding finding(std::string check, std::string reason, std::string message,
                Severity severity = Severity::Error) {
  return {std::move(check), std::move(reason), std::move(message), severity};
}

// Both (a, b) and (b, a), for the checks that hold each way.
std::array<std::pair<const IpsecEnd*, const IpsecEnd*>, 2> both_ways(const IpsecPair& pair) {
  return {{{&pair.a, &pair.b}, {&pair.b, &pair.a}}};
}

// Selectors with "dynamic" (empty local) resolved to the local address when it is known.
std::optional<std::vector<std::string>> local_selectors(const IpsecEnd& e) {
  if (!e.selectors) return std::nullopt;
  if (!e.selectors->local.empty()) return e.selectors->local;
  if (e.spec && e.spec->local_address) return std::vector{host_prefix(*e.spec->local_address)};
  return std::nullopt;
}

std::optional<std::vector<std::string>> remote_selectors(const IpsecEnd& e) {
  if (!e.selectors || e.selectors->remote.empty()) return std::nullopt;  // FQDN: dynamic
  return e.selectors->remote;
}

}  // namespace

bool proposals_overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (proposal_match(x, y)) return true;
    }
  }
  return false;
}

IpsecEnd ipsec_end(const End& self, const End& other, api::IpsecInterface interface) {
  IpsecEnd out;
  out.id = self.id();
  const std::string other_name = other.profile    ? other.profile->metadata.name
                                 : other.external ? other.external->name
                                                  : std::string();
  if (self.profile) {
    const auto& p = *self.profile;
    out.name = p.metadata.name;
    out.local_id = render::ipsec_local_id(p);
    out.certificate_ids = render::sbi_dns_names(p);
    if (p.spec.ipsec) {
      for (const auto& spec : p.spec.ipsec->interfaces) {
        if (spec.name == interface) out.spec = spec;
      }
    }
  } else if (self.external) {
    const auto& x = *self.external;
    out.name = x.name;
    out.external = true;
    out.local_id = x.ipsec_local_id;
    out.certificate_ids = x.certificate_ids;
    out.holds_profile_psk = x.holds_profile_pre_shared_key;
    if (x.ipsec && x.ipsec->name == interface) out.spec = x.ipsec;
  }
  if (!out.spec) return out;
  for (const auto& peer : out.spec->peers) {
    if (peer.name == other_name) {
      out.peer = peer;
    } else {
      out.other_selectors.emplace_back(peer.name, api::peer_traffic_selectors(*out.spec, peer));
    }
  }
  if (!out.peer) return out;
  out.selectors = api::peer_traffic_selectors(*out.spec, *out.peer);
  if (self.profile) {
    out.remote_id = render::effective_remote_id(*self.profile, *out.peer);
    const auto key = render::pre_shared_key_name(interface, out.peer->name);
    for (const auto& input : render::pre_shared_key_inputs(*self.profile)) {
      if (input.name == key) out.psk_input = input;
    }
  } else {
    out.remote_id = out.peer->remote_id.value_or("");
  }
  return out;
}

Outcome ipsec_configured(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->spec) {
      return finding("ipsec_configured", "IpsecNotConfigured",
                     what(pair) + x->id + " has no " + std::string(pair.interface) +
                         " IPsec interface, while " + y->id + " protects the link");
    }
  }
  return std::nullopt;
}

Outcome ipsec_lists_each_other(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->peer) {
      return finding("ipsec_lists_each_other", "IpsecPeerNotListed",
                     what(pair) + x->id + " does not list " + y->name + " among its peers");
    }
  }
  return std::nullopt;
}

Outcome ipsec_same_authentication(const IpsecPair& pair) {
  if (pair.a.spec->authentication == pair.b.spec->authentication) return std::nullopt;
  return finding("ipsec_same_authentication", "IpsecAuthenticationMismatch",
                 what(pair) + pair.a.id + " authenticates with " +
                     std::string(api::to_string(pair.a.spec->authentication)) + ", " + pair.b.id +
                     " with " + std::string(api::to_string(pair.b.spec->authentication)));
}

Outcome ipsec_identities_mirrored(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->remote_id != y->local_id) {
      return finding("ipsec_identities_mirrored", "IpsecIdMismatch",
                     what(pair) + x->id + " expects remote ID " +
                         (x->remote_id.empty() ? "(none)" : x->remote_id) + ", " + y->id +
                         " presents " + (y->local_id.empty() ? "(none)" : y->local_id));
    }
  }
  return std::nullopt;
}

Outcome ipsec_id_in_certificate(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->spec->authentication != api::IpsecAuthentication::Certificate) continue;
    const auto& ids = x->certificate_ids;
    if (x->external && ids.empty()) continue;  // its certificate is not described
    if (std::find(ids.begin(), ids.end(), x->local_id) == ids.end()) {
      return finding("ipsec_id_in_certificate", "IpsecIdNotInCertificate",
                     what(pair) + x->id + " presents " + x->local_id +
                         ", which is not in its certificate (" + joined(ids) + ")");
    }
  }
  return std::nullopt;
}

Outcome ipsec_pre_shared_key_shared(const IpsecPair& pair) {
  if (pair.a.spec->authentication != api::IpsecAuthentication::PreSharedKey ||
      pair.b.spec->authentication != api::IpsecAuthentication::PreSharedKey) {
    return std::nullopt;
  }
  for (const auto& [x, y] : both_ways(pair)) {
    if (x->external && !x->holds_profile_psk) {
      return finding("ipsec_pre_shared_key_shared", "PskNotShared",
                     what(pair) + x->id + " is not given the pre-shared key " + y->id +
                         " derives for the link");
    }
  }
  if (!pair.a.external && !pair.b.external &&
      (!pair.a.psk_input || !pair.b.psk_input ||
       pair.a.psk_input->info != pair.b.psk_input->info)) {
    return finding("ipsec_pre_shared_key_shared", "PskNotShared",
                   what(pair) +
                       "the two ends derive different pre-shared keys (each must name the other "
                       "profile as its peer, in one trust domain)");
  }
  return std::nullopt;
}

Outcome ipsec_proposals_overlap(const IpsecPair& pair) {
  const auto& a = *pair.a.spec;
  const auto& b = *pair.b.spec;
  if (!proposals_overlap(a.ike.proposals, b.ike.proposals)) {
    return finding("ipsec_proposals_overlap", "NoCommonIkeProposal",
                   what(pair) + "no IKE proposal in common (" + pair.a.id + ": " +
                       joined(a.ike.proposals) + "; " + pair.b.id + ": " + joined(b.ike.proposals) +
                       ")");
  }
  if (!proposals_overlap(a.esp.proposals, b.esp.proposals)) {
    return finding("ipsec_proposals_overlap", "NoCommonEspProposal",
                   what(pair) + "no ESP proposal in common (" + pair.a.id + ": " +
                       joined(a.esp.proposals) + "; " + pair.b.id + ": " + joined(b.esp.proposals) +
                       ")");
  }
  return std::nullopt;
}

Outcome ipsec_same_mode(const IpsecPair& pair) {
  if (pair.a.spec->mode == pair.b.spec->mode) return std::nullopt;
  return finding("ipsec_same_mode", "IpsecModeMismatch",
                 what(pair) + pair.a.id + " uses " +
                     std::string(api::to_string(pair.a.spec->mode)) + " mode, " + pair.b.id + " " +
                     std::string(api::to_string(pair.b.spec->mode)));
}

Outcome ipsec_traffic_selectors_mirrored(const IpsecPair& pair) {
  bool narrowed = false;
  for (const auto& [x, y] : both_ways(pair)) {
    const auto local = local_selectors(*x);
    const auto remote = remote_selectors(*y);
    if (!local || !remote) continue;  // dynamic: what the address resolves to
    auto l = *local;
    auto r = *remote;
    std::sort(l.begin(), l.end());
    std::sort(r.begin(), r.end());
    if (l == r) continue;
    bool any = false;
    for (const auto& s : l) {
      for (const auto& t : r) {
        const auto ps = parse_prefix(s);
        const auto pt = parse_prefix(t);
        any = any || (ps && pt && overlap(*ps, *pt));
      }
    }
    if (!any) {
      return finding("ipsec_traffic_selectors_mirrored", "TrafficSelectorsNotMirrored",
                     what(pair) + x->id + "'s local selectors (" + joined(l) + ") do not meet " +
                         y->id + "'s remote selectors (" + joined(r) + ")");
    }
    narrowed = true;
  }
  if (!narrowed) return std::nullopt;
  return finding("ipsec_traffic_selectors_mirrored", "TrafficSelectorsNarrowed",
                 what(pair) +
                     "the traffic selectors overlap without mirroring each other: the responder "
                     "narrows them, and part of the traffic the initiator proposes is not "
                     "protected",
                 Severity::Warning);
}

Outcome ipsec_same_family(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!x->spec->local_address) continue;
    const auto local = is_v6(*x->spec->local_address);
    const auto remote = is_v6(x->peer->address);
    if (local && remote && *local != *remote) {
      return finding("ipsec_same_family", "IpsecAddressFamilyMismatch",
                     what(pair) + x->id + " has localAddress " + *x->spec->local_address +
                         " and peer address " + x->peer->address + " of another IP family");
    }
  }
  if (pair.a.spec->local_address && pair.b.spec->local_address) {
    const auto a = is_v6(*pair.a.spec->local_address);
    const auto b = is_v6(*pair.b.spec->local_address);
    if (a && b && *a != *b) {
      return finding("ipsec_same_family", "IpsecAddressFamilyMismatch",
                     what(pair) + "the local addresses " + *pair.a.spec->local_address + " and " +
                         *pair.b.spec->local_address + " are of different IP families");
    }
  }
  return std::nullopt;
}

Outcome ipsec_peer_address_matches(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (!y->spec->local_address || !parse_prefix(x->peer->address)) continue;
    const auto dialled = parse_prefix(x->peer->address);
    const auto local = parse_prefix(*y->spec->local_address);
    if (dialled && local && (dialled->v6 != local->v6 || dialled->bytes != local->bytes)) {
      return finding("ipsec_peer_address_matches", "IpsecPeerAddressMismatch",
                     what(pair) + x->id + " dials " + x->peer->address + ", " + y->id +
                         " listens on " + *y->spec->local_address);
    }
  }
  return std::nullopt;
}

Outcome ipsec_no_duplicate_selectors(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    for (const auto& [name, selectors] : x->other_selectors) {
      if (x->selectors && selectors == *x->selectors) {
        return finding("ipsec_no_duplicate_selectors", "DuplicateTrafficSelectors",
                       what(pair) + x->id + " has the same traffic selectors for " + y->name +
                           " and " + name +
                           ": one kernel policy, the second overwrites the "
                           "first");
      }
    }
  }
  return std::nullopt;
}

Outcome ipsec_peer_not_cluster_ip(const IpsecPair& pair) {
  for (const auto& [x, y] : both_ways(pair)) {
    if (pair.cluster_ip_addresses.contains(x->peer->address)) {
      return finding("ipsec_peer_not_cluster_ip", "PeerAddressIsClusterIp",
                     what(pair) + x->id + " reaches " + y->name + " at " + x->peer->address +
                         ", a ClusterIP Service: ESP does not cross it");
    }
  }
  return std::nullopt;
}

std::vector<Finding> check_ipsec(const IpsecPair& pair) {
  std::vector<Finding> out;
  for (const auto check : {ipsec_configured, ipsec_lists_each_other}) {
    if (auto f = check(pair)) {
      out.push_back(std::move(*f));
      return out;
    }
  }
  for (const auto check :
       {ipsec_same_authentication, ipsec_identities_mirrored, ipsec_id_in_certificate,
        ipsec_pre_shared_key_shared, ipsec_proposals_overlap, ipsec_same_mode,
        ipsec_traffic_selectors_mirrored, ipsec_same_family, ipsec_peer_address_matches,
        ipsec_no_duplicate_selectors, ipsec_peer_not_cluster_ip}) {
    if (auto f = check(pair)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace secprov::check
