#include "api/detail/consistency.h"

#include <algorithm>
#include <string_view>

#include "api/detail/json_reader.h"
#include "api/detail/syntax.h"

namespace secprov::api::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kProposalPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

bool hex(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

// ^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2}){31}$
bool is_fingerprint(std::string_view s) {
  std::size_t i = 0;
  for (int byte = 0; byte < 32; ++byte) {
    if (byte > 0 && i < s.size() && s[i] == ':') ++i;
    if (i + 2 > s.size() || !hex(s[i]) || !hex(s[i + 1])) return false;
    i += 2;
  }
  return i == s.size();
}

bool is_external_type(std::string_view s) {
  return s == kExternalGnbType || parse_enum<NfType>(s).has_value();
}

template <class List>
void read_enums(ObjectReader& r, std::string_view key, List& out, FieldErrors& errs) {
  if (const json* a = r.array(key)) read_enum_array(*a, r.child(key), out, errs);
}
void read_strings(ObjectReader& r, std::string_view key, std::vector<std::string>& out,
                  FieldErrors& errs) {
  if (const json* a = r.array(key)) out = read_string_array(*a, r.child(key), errs);
}

LabelSelector parse_selector(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  LabelSelector sel;
  if (const json* ml = r.object("matchLabels")) {
    for (const auto& [k, v] : ml->items()) {
      if (!v.is_string()) {
        type_error(errs, r.child("matchLabels") + "." + k, "string");
        continue;
      }
      sel.match_labels.emplace(k, v.get<std::string>());
    }
  }
  r.finish();
  return sel;
}

ExternalTlsSpec parse_tls(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  ExternalTlsSpec t;
  if (auto v = r.enumeration<TlsMode>("mode")) t.mode = *v;
  if (auto v = r.enumeration<TlsVersion>("minVersion")) t.min_version = *v;
  if (auto v = r.enumeration<TlsVersion>("maxVersion")) t.max_version = *v;
  read_enums(r, "tls12CipherSuites", t.tls12_cipher_suites, errs);
  read_enums(r, "tls13CipherSuites", t.tls13_cipher_suites, errs);
  read_enums(r, "groups", t.groups, errs);
  if (auto v = r.enumeration<KeyAlgorithm>("keyAlgorithm")) t.key_algorithm = *v;
  r.finish();
  return t;
}

ExternalN32Spec parse_n32(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  ExternalN32Spec n;
  if (auto v = r.enumeration<N32Capability>("capability")) n.capability = *v;
  n.sender = r.string("sender");
  if (const json* a = r.array("plmns")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader pr((*a)[k], index_path(r.child("plmns"), k), errs);
      PlmnId p;
      if (auto v = pr.string("mcc", Required::Yes)) p.mcc = *v;
      if (auto v = pr.string("mnc", Required::Yes)) p.mnc = *v;
      pr.finish();
      if (pr.valid()) n.plmns.push_back(std::move(p));
    }
  }
  read_enums(r, "jweCipherSuites", n.jwe_cipher_suites, errs);
  n.separate_n32f = r.boolean("separateN32f");
  r.finish();
  return n;
}

// Flat: the interface's own fields beside localId, certificateIds and sharesPreSharedKey.
ExternalIpsecSpec parse_ipsec(const json& j, const std::string& path, FieldErrors& errs) {
  ExternalIpsecSpec x;
  json rest = j;
  if (j.is_object()) {
    ObjectReader r(j, path, errs, Strictness::IgnoreUnknown);
    x.local_id = r.string("localId");
    read_strings(r, "certificateIds", x.certificate_ids, errs);
    if (auto v = r.boolean("sharesPreSharedKey")) x.shares_pre_shared_key = *v;
    for (const char* k : {"localId", "certificateIds", "sharesPreSharedKey"}) rest.erase(k);
  }
  x.interface = parse_ipsec_interface(rest, path, errs);
  return x;
}

ExternalPeerSpec parse_peer(const json& j, const std::string& path, FieldErrors& errs,
                            bool& valid) {
  ObjectReader r(j, path, errs);
  ExternalPeerSpec p;
  if (auto v = r.string("name", Required::Yes)) p.name = *v;
  if (auto v = r.string("type", Required::Yes)) {
    p.type = *v;
    if (!is_external_type(*v)) {
      std::vector<std::string_view> names{kExternalGnbType};
      for (auto n : enum_names<NfType>()) names.push_back(n);
      r.not_supported(r.child("type"), *v, names);
    }
  }
  p.implementation = r.enumeration<NfImplementation>("implementation");
  if (const json* t = r.object("tls")) p.tls = parse_tls(*t, r.child("tls"), errs);
  read_strings(r, "dnsNames", p.dns_names, errs);
  p.dials = r.string("dials");
  p.issuer_fingerprint = r.string("issuerFingerprint");
  read_strings(r, "trustedFingerprints", p.trusted_fingerprints, errs);
  if (const json* n = r.object("n32")) p.n32 = parse_n32(*n, r.child("n32"), errs);
  if (const json* i = r.object("ipsec")) p.ipsec = parse_ipsec(*i, r.child("ipsec"), errs);
  r.finish();
  valid = r.valid();
  return p;
}

void dns_name(Checks& c, const std::string& path, const std::string& value) {
  if (c.max_length(path, value, 253)) {
    c.pattern(path, value, is_dns_name_with_wildcard_short_labels(value), kSanDnsNamePattern);
  }
}

void fingerprint(Checks& c, const std::string& path, const std::string& value) {
  if (c.max_length(path, value, kMaxFingerprintLength)) {
    c.pattern(path, value, is_fingerprint(value), kFingerprintPattern);
  }
}

template <class T, class Key>
void bounded_set(Checks& c, const std::string& path, const T& items, std::size_t max, Key key) {
  c.max_items(path, items.size(), max);
  c.unique(path, items, key);
}

std::string enum_key_of(const auto& e) {
  return std::string(to_string(e));
}

void validate_tls(Checks& c, const std::string& path, const ExternalTlsSpec& t) {
  const std::string p12 = join_path(path, "tls12CipherSuites");
  c.min_items(p12, t.tls12_cipher_suites.size(), 1);
  bounded_set(c, p12, t.tls12_cipher_suites, kMaxTls12CipherSuites,
              [](auto e) { return enum_key_of(e); });
  const std::string p13 = join_path(path, "tls13CipherSuites");
  c.min_items(p13, t.tls13_cipher_suites.size(), 1);
  bounded_set(c, p13, t.tls13_cipher_suites, kMaxTls13CipherSuites,
              [](auto e) { return enum_key_of(e); });
  const std::string pg = join_path(path, "groups");
  c.min_items(pg, t.groups.size(), 1);
  bounded_set(c, pg, t.groups, kMaxTlsGroups, [](auto e) { return enum_key_of(e); });
}

void validate_n32(Checks& c, const std::string& path, const ExternalN32Spec& n) {
  if (n.sender) {
    const std::string sp = join_path(path, "sender");
    if (c.max_length(sp, *n.sender, 253)) {
      c.pattern(sp, *n.sender, is_dns_subdomain(*n.sender), kDnsSubdomainPattern);
    }
  }
  const std::string lp = join_path(path, "plmns");
  bounded_set(c, lp, n.plmns, 16, [](const PlmnId& id) { return id.mcc + "-" + id.mnc; });
  for (std::size_t k = 0; k < n.plmns.size(); ++k) {
    const std::string ip = index_path(lp, k);
    const auto& plmn = n.plmns[k];
    c.pattern(join_path(ip, "mcc"), plmn.mcc, is_digits(plmn.mcc, 3, 3), "^[0-9]{3}$");
    c.pattern(join_path(ip, "mnc"), plmn.mnc, is_digits(plmn.mnc, 2, 3), "^[0-9]{2,3}$");
  }
  bounded_set(c, join_path(path, "jweCipherSuites"), n.jwe_cipher_suites, 2,
              [](auto e) { return enum_key_of(e); });
}

void validate_strings(Checks& c, const std::string& path, const std::vector<std::string>& v,
                      std::size_t max_items, std::size_t max_length) {
  bounded_set(c, path, v, max_items, [](const std::string& s) { return s; });
  for (std::size_t i = 0; i < v.size(); ++i) c.max_length(index_path(path, i), v[i], max_length);
}

void validate_proposals(Checks& c, const std::string& path, const std::vector<std::string>& v,
                        const std::string& lifetime) {
  const std::string pp = join_path(path, "proposals");
  c.min_items(pp, v.size(), 1);
  c.max_items(pp, v.size(), 8);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path(pp, i);
    if (c.max_length(p, v[i], 128)) c.pattern(p, v[i], is_ipsec_proposal(v[i]), kProposalPattern);
  }
  const std::string lp = join_path(path, "lifetime");
  if (c.max_length(lp, lifetime, 32)) {
    c.pattern(lp, lifetime, is_short_go_duration(lifetime), kIpsecLifetimePattern);
  }
}

// The OpenAPI bounds of the CRD only (an external peer's values are compared, never rendered).
void validate_ipsec(Checks& c, const std::string& path, const ExternalIpsecSpec& x) {
  const auto& i = x.interface;
  if (i.local_address) c.max_length(join_path(path, "localAddress"), *i.local_address, 45);
  const std::string pp = join_path(path, "peers");
  c.min_items(pp, i.peers.size(), 1);
  bounded_set(c, pp, i.peers, 16, [](const IpsecPeer& p) { return p.name; });
  for (std::size_t n = 0; n < i.peers.size(); ++n) {
    const auto& peer = i.peers[n];
    const std::string p = index_path(pp, n);
    const std::string np = join_path(p, "name");
    c.min_length(np, peer.name, 1);
    if (c.max_length(np, peer.name, 63) && !peer.name.empty()) {
      c.pattern(np, peer.name, is_dns_label(peer.name), kDnsLabelPattern);
    }
    c.max_length(join_path(p, "address"), peer.address, 253);
    if (peer.remote_id) c.max_length(join_path(p, "remoteId"), *peer.remote_id, 255);
  }
  validate_proposals(c, join_path(path, "ike"), i.ike.proposals, i.ike.lifetime);
  validate_proposals(c, join_path(path, "esp"), i.esp.proposals, i.esp.lifetime);
  if (i.traffic_selectors) {
    const std::string tp = join_path(path, "trafficSelectors");
    validate_strings(c, join_path(tp, "local"), i.traffic_selectors->local, 16, 49);
    validate_strings(c, join_path(tp, "remote"), i.traffic_selectors->remote, 16, 49);
  }
  if (x.local_id) c.max_length(join_path(path, "localId"), *x.local_id, 255);
  validate_strings(c, join_path(path, "certificateIds"), x.certificate_ids, kMaxCertificateIds,
                   255);
}

json tls_json(const ExternalTlsSpec& t) {
  const auto list = [](const auto& v) {
    json a = json::array();
    for (auto e : v) a.push_back(std::string(to_string(e)));
    return a;
  };
  return json{{"mode", std::string(to_string(t.mode))},
              {"minVersion", std::string(to_string(t.min_version))},
              {"maxVersion", std::string(to_string(t.max_version))},
              {"tls12CipherSuites", list(t.tls12_cipher_suites)},
              {"tls13CipherSuites", list(t.tls13_cipher_suites)},
              {"groups", list(t.groups)},
              {"keyAlgorithm", std::string(to_string(t.key_algorithm))}};
}

json peer_json(const ExternalPeerSpec& p) {
  json j{{"name", p.name}, {"type", p.type}};
  if (p.implementation) j["implementation"] = std::string(to_string(*p.implementation));
  if (p.tls) j["tls"] = tls_json(*p.tls);
  if (!p.dns_names.empty()) j["dnsNames"] = p.dns_names;
  if (p.dials) j["dials"] = *p.dials;
  if (p.issuer_fingerprint) j["issuerFingerprint"] = *p.issuer_fingerprint;
  if (!p.trusted_fingerprints.empty()) j["trustedFingerprints"] = p.trusted_fingerprints;
  if (p.n32) {
    json n{{"capability", std::string(to_string(p.n32->capability))}};
    if (p.n32->sender) n["sender"] = *p.n32->sender;
    if (!p.n32->plmns.empty()) {
      json a = json::array();
      for (const auto& id : p.n32->plmns) a.push_back({{"mcc", id.mcc}, {"mnc", id.mnc}});
      n["plmns"] = std::move(a);
    }
    if (!p.n32->jwe_cipher_suites.empty()) {
      json a = json::array();
      for (auto e : p.n32->jwe_cipher_suites) a.push_back(std::string(to_string(e)));
      n["jweCipherSuites"] = std::move(a);
    }
    if (p.n32->separate_n32f) n["separateN32f"] = *p.n32->separate_n32f;
    j["n32"] = std::move(n);
  }
  if (p.ipsec) {
    json i = ipsec_interface_json(p.ipsec->interface);
    if (p.ipsec->local_id) i["localId"] = *p.ipsec->local_id;
    if (!p.ipsec->certificate_ids.empty()) i["certificateIds"] = p.ipsec->certificate_ids;
    i["sharesPreSharedKey"] = p.ipsec->shares_pre_shared_key;
    j["ipsec"] = std::move(i);
  }
  return j;
}

}  // namespace

ConsistencySpec parse_consistency(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  ConsistencySpec s;
  if (auto v = r.enumeration<ConsistencyMode>("mode")) s.mode = *v;
  if (const json* sc = r.object("scope")) s.scope = parse_selector(*sc, r.child("scope"), errs);
  if (const json* a = r.array("externalPeers")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      bool ok = false;
      auto peer = parse_peer((*a)[k], index_path(r.child("externalPeers"), k), errs, ok);
      if (ok) s.external_peers.push_back(std::move(peer));
    }
  }
  r.finish();
  return s;
}

void validate_consistency(Checks& c, const SecurityProfileSpec& spec) {
  if (!spec.consistency) return;
  const auto& s = *spec.consistency;
  const std::string path = "spec.consistency";
  if (s.scope) {
    const std::string ml = join_path(join_path(path, "scope"), "matchLabels");
    c.max_properties(ml, s.scope->match_labels.size(), 32);
    for (const auto& [k, v] : s.scope->match_labels) c.max_length(ml + "." + k, v, 63);
  }
  const std::string xp = join_path(path, "externalPeers");
  bounded_set(c, xp, s.external_peers, kMaxExternalPeers,
              [](const ExternalPeerSpec& p) { return p.name; });
  for (std::size_t i = 0; i < s.external_peers.size(); ++i) {
    const auto& x = s.external_peers[i];
    const std::string p = index_path(xp, i);
    const std::string np = join_path(p, "name");
    c.min_length(np, x.name, 1);
    if (c.max_length(np, x.name, 63) && !x.name.empty()) {
      c.pattern(np, x.name, is_dns_label(x.name), kDnsLabelPattern);
    }
    if (x.tls) validate_tls(c, join_path(p, "tls"), *x.tls);
    const std::string dp = join_path(p, "dnsNames");
    bounded_set(c, dp, x.dns_names, kMaxExternalDnsNames, [](const std::string& n) { return n; });
    for (std::size_t k = 0; k < x.dns_names.size(); ++k) {
      dns_name(c, index_path(dp, k), x.dns_names[k]);
    }
    if (x.dials) dns_name(c, join_path(p, "dials"), *x.dials);
    if (x.issuer_fingerprint)
      fingerprint(c, join_path(p, "issuerFingerprint"), *x.issuer_fingerprint);
    const std::string tp = join_path(p, "trustedFingerprints");
    bounded_set(c, tp, x.trusted_fingerprints, kMaxTrustedFingerprints,
                [](const std::string& f) { return f; });
    for (std::size_t k = 0; k < x.trusted_fingerprints.size(); ++k) {
      fingerprint(c, index_path(tp, k), x.trusted_fingerprints[k]);
    }
    if (x.n32) validate_n32(c, join_path(p, "n32"), *x.n32);
    if (x.ipsec) validate_ipsec(c, join_path(p, "ipsec"), *x.ipsec);
  }
}

json consistency_json(const ConsistencySpec& s) {
  json j{{"mode", std::string(to_string(s.mode))}};
  if (s.scope) j["scope"] = {{"matchLabels", s.scope->match_labels}};
  if (!s.external_peers.empty()) {
    json a = json::array();
    for (const auto& p : s.external_peers) a.push_back(peer_json(p));
    j["externalPeers"] = std::move(a);
  }
  return j;
}

}  // namespace secprov::api::detail

namespace secprov::api {

ConsistencyMode consistency_mode(const SecurityProfile& profile) {
  return profile.spec.consistency ? profile.spec.consistency->mode : kDefaultConsistencyMode;
}

}  // namespace secprov::api
