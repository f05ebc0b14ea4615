#include "api/securityprofile.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/detail/checks.h"
#include "api/detail/consistency.h"
#include "api/detail/enabler.h"
#include "api/detail/json_reader.h"
#include "api/detail/syntax.h"
#include "api/duration.h"

namespace secprov::api {
namespace {

using detail::check_type_meta;
using detail::Checks;
using detail::index_path;
using detail::kDnsLabelPattern;
using detail::kDnsSubdomainPattern;
using detail::kUuidPattern;
using detail::ObjectReader;
using detail::Required;
using detail::Strictness;
using nlohmann::json;

constexpr std::string_view kConfigMapKeyPattern = "^[-._a-zA-Z0-9]+$";
constexpr std::string_view kN32PeerFqdnMessage =
    "two N32 peers must not have the same fqdn: Open5GS keys its N32 clients by receiver";
constexpr std::string_view kN32PeerTlsNameMessage =
    "no N32 peer may be named tls when spec.n32.trustDomainRef is set: /etc/secprov/n32/tls "
    "holds the N32 certificate";
constexpr std::string_view kN32TrustDomainMessage =
    "spec.n32.trustDomainRef must name a TrustDomain other than spec.trustDomainRef: N32 "
    "certificates come from a separate interconnect CA (TS 33.310)";
constexpr std::string_view kN32PeerPlmnMessage =
    "a PLMN must belong to one N32 peer only: the PLMN ID selects the partner's trust anchor "
    "(TS 33.501 13.1.2)";
constexpr std::string_view kHttpsUrlPattern = R"(^https://[^\s/?#]+(/[^\s?#]*)?$)";
constexpr std::string_view kScopePattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$";
constexpr std::string_view kProposalPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

// The CRD's messages for the admission bounds (securityprofile.h).
constexpr std::string_view kProfileNameMessage =
    "metadata.name must be a DNS-1035 label: at most 63 lower-case letters, digits or '-', "
    "starting with a letter and ending with a letter or digit (it is the Service name in the "
    "certificate's DNS names)";
constexpr std::string_view kIkeLifetimeMessage =
    "ike.lifetime (IKE SA rekey time) must be between 5m and 24h";
constexpr std::string_view kEspLifetimeMessage =
    "esp.lifetime (CHILD_SA rekey time) must be between 5m and 8h";
constexpr std::string_view kRemoteIdMessage =
    "remoteId must be printable ASCII without double quotes, backslashes or control characters, "
    "and must not begin or end with a space";
// Issue 8 defect 4: one traffic selector pair per peer, one IP family per link.
constexpr std::string_view kSharedRemoteSelectorsMessage =
    "trafficSelectors.remote applies to every peer of the interface, so with more than one peer "
    "they share one traffic selector pair and strongSwan installs one kernel policy that each "
    "overwrites; leave it out (each peer's remote selector is then its own address) or keep one "
    "peer";
constexpr std::string_view kSamePeerAddressMessage =
    "two peers of one interface must not have the same address: they would share one traffic "
    "selector pair and strongSwan installs one kernel policy that each overwrites";
constexpr std::string_view kPeerFamilyMessage =
    "a peer's address must be of the IP family of localAddress (IPv4 or IPv6): IKE and ESP "
    "cannot cross families";

// ---- issue 8 defects 5 and 6: what the NDS/IP profile, TS 33.501 and TS 29.510 allow. The
// token lists come from constants.h; the CRD's messages are these texts.

// "a, b or c" (or "a, b and c").
std::string spoken_list(const std::vector<std::string_view>& items, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? std::string(" ") + std::string(last) + " " : ", ";
    out += items[i];
  }
  return out;
}

std::string comma_list(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

std::string_view section_of(IpsecProtocol protocol) {
  return protocol == IpsecProtocol::Ike ? "ike" : "esp";
}

// The proposal rules of the CRD, in its order, each with its message. `tokens` is the proposal
// split at '-' (the proposal matched kProposalPattern, so no token is empty).
struct ProposalFacts {
  bool aead = false, cbc = false, integrity = false, prf = false, dh = false;
};

ProposalFacts facts_of(const std::vector<std::string_view>& tokens) {
  ProposalFacts f;
  for (auto t : tokens) {
    const auto transform = ipsec_transform(t);
    if (!transform) continue;
    switch (*transform) {
      case IpsecTransform::AeadEncryption:
        f.aead = true;
        break;
      case IpsecTransform::Encryption:
        f.cbc = true;
        break;
      case IpsecTransform::Integrity:
        f.integrity = true;
        break;
      case IpsecTransform::Prf:
        f.prf = true;
        break;
      case IpsecTransform::KeyExchange:
        f.dh = true;
        break;
    }
  }
  return f;
}

std::vector<std::string_view> split_tokens(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string ipsec_token_message(IpsecProtocol protocol, std::string_view token) {
  return std::string(section_of(protocol)) + ".proposals: " + std::string(token) +
         " is not in the NDS/IP allow-list (TS 33.210), which for " +
         (protocol == IpsecProtocol::Ike ? "IKE" : "ESP") + " is " +
         comma_list(ipsec_tokens(protocol));
}

using enum IpsecTransform;

std::string proposal_message(IpsecProtocol protocol, std::string_view text) {
  return std::string(section_of(protocol)) + ".proposals: " + std::string(text);
}

std::string needs_encryption_message(IpsecProtocol protocol) {
  return proposal_message(protocol,
                          "a proposal needs an encryption algorithm (" +
                              spoken_list(ipsec_tokens({AeadEncryption, Encryption}), "or") + ")");
}
std::string mixed_encryption_message(IpsecProtocol protocol) {
  return proposal_message(
      protocol, "AES-GCM (" + comma_list(ipsec_tokens({AeadEncryption})) + ") and AES-CBC (" +
                    comma_list(ipsec_tokens({Encryption})) +
                    ") cannot be combined in one proposal (strongSwan refuses it): make them "
                    "separate proposals");
}
std::string cbc_needs_integrity_message(IpsecProtocol protocol) {
  return proposal_message(protocol, "AES-CBC (" + comma_list(ipsec_tokens({Encryption})) +
                                        ") needs an integrity algorithm (" +
                                        spoken_list(ipsec_tokens({Integrity}), "or") + ")");
}
std::string aead_without_integrity_message(IpsecProtocol protocol) {
  return proposal_message(protocol, "AES-GCM (" + comma_list(ipsec_tokens({AeadEncryption})) +
                                        ") protects integrity itself: leave out " +
                                        spoken_list(ipsec_tokens({Integrity}), "and") +
                                        " (strongSwan drops them)");
}
std::string aead_needs_prf_message() {
  return proposal_message(IpsecProtocol::Ike,
                          "AES-GCM (" + comma_list(ipsec_tokens({AeadEncryption})) +
                              ") needs a PRF (" + spoken_list(ipsec_tokens({Prf}), "or") + ")");
}
std::string needs_dh_message() {
  return proposal_message(IpsecProtocol::Ike, "a proposal needs a Diffie-Hellman group (" +
                                                  spoken_list(ipsec_tokens({KeyExchange}), "or") +
                                                  ")");
}

std::string interface_list(std::string_view last) {
  std::vector<std::string_view> names;
  for (auto i : kCertificateAuthenticationInterfaces) names.push_back(to_string(i));
  return spoken_list(names, last);
}

std::string oauth2_without_tls_message() {
  return "spec.sbi.oauth2.enabled needs spec.sbi.tls.mode TLS or MutualTLS: access tokens must "
         "travel over TLS (TS 33.501 13.3.2.1)";
}

// Rule Tls12EcdsaCurveInGroups: in TLS 1.2 a client lists its groups (supported_groups) and
// a server may only use an ECDSA certificate whose curve is one of them (RFC 8422 5.1), so a
// profile whose groups leave out its own certificate's curve cannot complete a TLS 1.2
// handshake between two NFs (or enablers) configured from it. TLS 1.3 has no such tie.
std::optional<TlsGroup> ecdsa_curve_group(KeyAlgorithm a) {
  if (a == KeyAlgorithm::EcdsaP256) return TlsGroup::secp256r1;
  if (a == KeyAlgorithm::EcdsaP384) return TlsGroup::secp384r1;
  return std::nullopt;
}

std::string tls12_ecdsa_curve_message(KeyAlgorithm a, TlsGroup curve) {
  return "must contain " + std::string(to_string(curve)) +
         " while TLS 1.2 is allowed (minVersion \"1.2\") and certificate.keyAlgorithm is " +
         std::string(to_string(a)) +
         ": a TLS 1.2 peer offers only these groups and the server's ECDSA certificate must be "
         "on one of them (RFC 8422 5.1), so no TLS 1.2 handshake could succeed; add " +
         std::string(to_string(curve)) + " or set minVersion \"1.3\"";
}

std::string pre_shared_key_message() {
  return "authentication PreSharedKey on " + interface_list("and") +
         " needs allowPreSharedKey: true: TS 33.501 9.2 and 9.3 ask for certificate-based IKEv2 "
         "authentication there";
}

std::string scope_message(std::string_view service) {
  return "spec.sbi.oauth2.scopes: " + std::string(service) +
         " is not an NF service name of TS 29.510 (ServiceName, such as nnrf-disc or namf-comm); "
         "a scope is a service name, optionally followed by a colon and a finer-grained part";
}

// ---------------------------------------------------------------- parse

// keyAlgorithm is validated by CEL in the CRD (so the message can name the RSA minimum);
// parse reports the same message.
std::optional<KeyAlgorithm> read_key_algorithm(ObjectReader& r, const std::string& cel_path,
                                               FieldErrors& errs) {
  auto s = r.string("keyAlgorithm");
  if (!s) return std::nullopt;
  auto k = parse_enum<KeyAlgorithm>(*s);
  if (!k) {
    const std::string msg =
        s->starts_with("RSA-")
            ? cel_path + " " + *s +
                  " is not allowed: RSA keys must be at least 2048 bits (RSA-2048, RSA-3072 or "
                  "RSA-4096)"
            : cel_path + " must be one of ECDSA-P256, ECDSA-P384, RSA-2048, RSA-3072, RSA-4096";
    errs.push_back({FieldErrorType::Invalid, r.child("keyAlgorithm"), msg});
  }
  return k;
}

template <class List>
void read_enum_list(ObjectReader& r, std::string_view key, List& out, FieldErrors& errs) {
  if (const json* a = r.array(key)) detail::read_enum_array(*a, r.child(key), out, errs);
}

void read_string_list(ObjectReader& r, std::string_view key, std::vector<std::string>& out,
                      FieldErrors& errs) {
  if (const json* a = r.array(key)) out = detail::read_string_array(*a, r.child(key), errs);
}

void parse_certificate(const json& j, const std::string& path, CertificateSpec& c,
                       FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  if (auto v = read_key_algorithm(r, "spec.sbi.tls.certificate.keyAlgorithm", errs)) {
    c.key_algorithm = *v;
  }
  if (auto v = r.string("duration")) c.duration = *v;
  if (auto v = r.string("renewBefore")) c.renew_before = *v;
  c.service_name = r.string("serviceName");
  read_string_list(r, "extraDnsNames", c.extra_dns_names, errs);
  if (auto v = r.enumeration<RotationPolicy>("rotationPolicy")) c.rotation_policy = *v;
  r.finish();
}

void parse_tls(const json& j, const std::string& path, TlsSpec& t, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  if (auto v = r.enumeration<TlsMode>("mode")) t.mode = *v;
  if (auto v = r.enumeration<TlsVersion>("minVersion")) t.min_version = *v;
  if (auto v = r.enumeration<TlsVersion>("maxVersion")) t.max_version = *v;
  read_enum_list(r, "tls12CipherSuites", t.tls12_cipher_suites, errs);
  read_enum_list(r, "tls13CipherSuites", t.tls13_cipher_suites, errs);
  read_enum_list(r, "groups", t.groups, errs);
  if (const json* c = r.object("certificate")) {
    parse_certificate(*c, r.child("certificate"), t.certificate, errs);
  }
  r.finish();
}

OAuth2Spec parse_oauth2(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  OAuth2Spec o;
  if (auto v = r.boolean("enabled")) o.enabled = *v;
  o.nrf_api_root = r.string("nrfApiRoot");
  o.nrf_instance_id = r.string("nrfInstanceId");
  if (auto v = r.enumeration<OAuth2Role>("role")) o.role = *v;
  read_string_list(r, "scopes", o.scopes, errs);
  read_enum_list(r, "acceptedAlgorithms", o.accepted_algorithms, errs);
  r.finish();
  return o;
}

void parse_sbi(const json& j, const std::string& path, SbiSpec& s, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  if (const json* t = r.object("tls")) parse_tls(*t, r.child("tls"), s.tls, errs);
  if (const json* o = r.object("oauth2")) s.oauth2 = parse_oauth2(*o, r.child("oauth2"), errs);
  r.finish();
}

void parse_proposals(const json& j, const std::string& path, std::vector<std::string>& proposals,
                     std::string& lifetime, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  read_string_list(r, "proposals", proposals, errs);
  if (auto v = r.string("lifetime")) lifetime = *v;
  r.finish();
}

IpsecInterfaceSpec parse_interface(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  IpsecInterfaceSpec i;
  if (auto v = r.enumeration<IpsecInterface>("name", Required::Yes)) i.name = *v;
  i.local_address = r.string("localAddress");
  if (const json* peers = r.array("peers", Required::Yes)) {
    for (std::size_t k = 0; k < peers->size(); ++k) {
      ObjectReader pr((*peers)[k], index_path(r.child("peers"), k), errs);
      IpsecPeer p;
      if (auto v = pr.string("name", Required::Yes)) p.name = *v;
      if (auto v = pr.string("address", Required::Yes)) p.address = *v;
      p.remote_id = pr.string("remoteId");
      pr.finish();
      if (pr.valid()) i.peers.push_back(std::move(p));
    }
  }
  if (auto v = r.enumeration<IpsecMode>("mode")) i.mode = *v;
  if (const json* ike = r.object("ike")) {
    parse_proposals(*ike, r.child("ike"), i.ike.proposals, i.ike.lifetime, errs);
  }
  if (const json* esp = r.object("esp")) {
    parse_proposals(*esp, r.child("esp"), i.esp.proposals, i.esp.lifetime, errs);
  }
  if (auto v = r.enumeration<IpsecAuthentication>("authentication")) i.authentication = *v;
  if (auto v = r.boolean("allowPreSharedKey")) i.allow_pre_shared_key = *v;
  if (const json* ts = r.object("trafficSelectors")) {
    ObjectReader tr(*ts, r.child("trafficSelectors"), errs);
    TrafficSelectors sel;
    read_string_list(tr, "local", sel.local, errs);
    read_string_list(tr, "remote", sel.remote, errs);
    tr.finish();
    i.traffic_selectors = std::move(sel);
  }
  r.finish();
  return i;
}

IpsecSpec parse_ipsec(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  IpsecSpec s;
  if (const json* a = r.array("interfaces")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      s.interfaces.push_back(parse_interface((*a)[k], index_path(r.child("interfaces"), k), errs));
    }
  }
  r.finish();
  return s;
}

PlmnId parse_plmn(const json& j, const std::string& path, FieldErrors& errs, bool& valid) {
  ObjectReader pr(j, path, errs);
  PlmnId p;
  if (auto v = pr.string("mcc", Required::Yes)) p.mcc = *v;
  if (auto v = pr.string("mnc", Required::Yes)) p.mnc = *v;
  pr.finish();
  valid = pr.valid();
  return p;
}

N32Peer parse_n32_peer(const json& j, const std::string& path, FieldErrors& errs, bool& valid) {
  ObjectReader r(j, path, errs);
  N32Peer peer;
  if (auto v = r.string("name", Required::Yes)) peer.name = *v;
  if (auto v = r.string("fqdn", Required::Yes)) peer.fqdn = *v;
  if (const json* a = r.array("plmns", Required::Yes)) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      bool ok = false;
      auto plmn = parse_plmn((*a)[k], index_path(r.child("plmns"), k), errs, ok);
      if (ok) peer.plmns.push_back(std::move(plmn));
    }
  }
  if (const json* t = r.object("trustAnchorRef", Required::Yes)) {
    ObjectReader tr(*t, r.child("trustAnchorRef"), errs);
    if (auto v = tr.enumeration<TrustAnchorKind>("kind")) peer.trust_anchor_ref.kind = *v;
    if (auto v = tr.string("name", Required::Yes)) peer.trust_anchor_ref.name = *v;
    if (auto v = tr.string("key")) peer.trust_anchor_ref.key = *v;
    tr.finish();
  }
  r.finish();
  valid = r.valid();
  return peer;
}

N32Spec parse_n32(const json& j, const std::string& path, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  N32Spec n;
  if (auto v = r.enumeration<N32Capability>("capability")) n.capability = *v;
  if (const json* a = r.array("peers")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      bool ok = false;
      auto peer = parse_n32_peer((*a)[k], index_path(r.child("peers"), k), errs, ok);
      if (ok) n.peers.push_back(std::move(peer));
    }
  }
  if (const json* a = r.array("jweCipherSuites")) {
    n.jwe_cipher_suites =
        detail::read_enum_array<JweCipherSuite>(*a, r.child("jweCipherSuites"), errs);
  }
  if (const json* tdr = r.object("trustDomainRef")) {
    ObjectReader tr(*tdr, r.child("trustDomainRef"), errs);
    TrustDomainRef ref;
    if (auto v = tr.string("name", Required::Yes)) ref.name = *v;
    tr.finish();
    n.trust_domain_ref = std::move(ref);
  }
  r.finish();
  return n;
}

void parse_spec(const json& j, const std::string& path, SecurityProfileSpec& s, FieldErrors& errs) {
  ObjectReader r(j, path, errs);
  if (auto v = r.enumeration<NfType>("nfType", Required::Yes)) s.nf_type = *v;
  s.nf_instance_id = r.string("nfInstanceId");
  if (const json* sel = r.object("selector", Required::Yes)) {
    ObjectReader sr(*sel, r.child("selector"), errs);
    if (const json* ml = sr.object("matchLabels", Required::Yes)) {
      for (const auto& [k, v] : ml->items()) {
        if (!v.is_string()) {
          detail::type_error(errs, sr.child("matchLabels") + "." + k, "string");
          continue;
        }
        s.selector.match_labels.emplace(k, v.get<std::string>());
      }
    }
    sr.finish();
  }
  if (const json* tdr = r.object("trustDomainRef", Required::Yes)) {
    ObjectReader tr(*tdr, r.child("trustDomainRef"), errs);
    if (auto v = tr.string("name", Required::Yes)) s.trust_domain_ref.name = *v;
    tr.finish();
  }
  if (const json* sbi = r.object("sbi")) parse_sbi(*sbi, r.child("sbi"), s.sbi, errs);
  if (const json* ipsec = r.object("ipsec")) s.ipsec = parse_ipsec(*ipsec, r.child("ipsec"), errs);
  if (const json* n32 = r.object("n32")) s.n32 = parse_n32(*n32, r.child("n32"), errs);
  if (const json* out = r.object("outputs")) {
    ObjectReader orr(*out, r.child("outputs"), errs);
    if (auto v = orr.boolean("open5gs")) s.outputs.open5gs = *v;
    if (auto v = orr.boolean("free5gc")) s.outputs.free5gc = *v;
    orr.finish();
  }
  if (const json* en = r.object("enabler")) {
    s.enabler = detail::parse_enabler(*en, r.child("enabler"), errs);
  }
  if (const json* co = r.object("consistency")) {
    s.consistency = detail::parse_consistency(*co, r.child("consistency"), errs);
  }
  if (auto v = r.enumeration<DriftPolicy>("driftPolicy")) s.drift_policy = *v;
  if (auto v = r.enumeration<DeletionPolicy>("deletionPolicy")) s.deletion_policy = *v;
  r.finish();
}

void parse_status(const json& j, const std::string& path, SecurityProfileStatus& s,
                  FieldErrors& errs) {
  ObjectReader r(j, path, errs, Strictness::IgnoreUnknown);
  if (auto v = r.integer("observedGeneration")) s.observed_generation = *v;
  if (const json* a = r.array("conditions")) {
    // Exactly the size: the typed cache holds thousands of these.
    s.conditions.reserve(a->size());
    for (std::size_t k = 0; k < a->size(); ++k) {
      auto c = parse_condition((*a)[k], index_path(r.child("conditions"), k));
      if (c) {
        s.conditions.push_back(std::move(c).value());
      } else {
        errs.insert(errs.end(), c.errors().begin(), c.errors().end());
      }
    }
  }
  s.nf_instance_id = r.string("nfInstanceId");
  if (const json* c = r.object("certificate")) {
    ObjectReader cr(*c, r.child("certificate"), errs, Strictness::IgnoreUnknown);
    CertificateStatus cs;
    if (auto v = cr.string("serialNumber")) cs.serial_number = *v;
    if (auto v = cr.string("sha256Fingerprint")) cs.sha256_fingerprint = *v;
    cs.not_before = cr.timestamp("notBefore");
    cs.not_after = cr.timestamp("notAfter");
    cs.renewal_time = cr.timestamp("renewalTime");
    s.certificate = std::move(cs);
  }
  if (const json* a = r.array("objects")) {
    s.objects.reserve(a->size());
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader orr((*a)[k], index_path(r.child("objects"), k), errs, Strictness::IgnoreUnknown);
      GeneratedObject o;
      if (auto v = orr.string("kind", Required::Yes)) o.kind = *v;
      if (auto v = orr.string("name", Required::Yes)) o.name = *v;
      if (auto v = orr.string("digest")) o.digest = *v;
      o.state = orr.enumeration<ObjectState>("state");
      s.objects.push_back(std::move(o));
    }
  }
  if (const json* a = r.array("driftFindings")) {
    s.drift_findings.reserve(a->size());
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader fr((*a)[k], index_path(r.child("driftFindings"), k), errs,
                      Strictness::IgnoreUnknown);
      DriftFinding f;
      if (auto v = fr.string("kind", Required::Yes)) f.kind = *v;
      if (auto v = fr.string("name", Required::Yes)) f.name = *v;
      if (auto v = fr.string("field", Required::Yes)) f.field = *v;
      if (auto v = fr.string("reason", Required::Yes)) f.reason = *v;
      if (auto v = fr.timestamp("detectedAt", Required::Yes)) f.detected_at = *v;
      if (auto v = fr.enumeration<DriftAction>("action", Required::Yes)) f.action = *v;
      s.drift_findings.push_back(std::move(f));
    }
  }
  if (const json* p = r.object("pods")) {
    ObjectReader pr(*p, r.child("pods"), errs, Strictness::IgnoreUnknown);
    PodsStatus ps;
    if (auto v = pr.integer("selected")) ps.selected = *v;
    if (auto v = pr.integer("injected")) ps.injected = *v;
    if (auto v = pr.integer("withoutEnabler")) ps.without_enabler = *v;
    if (auto v = pr.integer("staleDigest")) ps.stale_digest = *v;
    const auto names = [&](const char* key, std::vector<std::string>& out) {
      if (const json* a = pr.array(key)) {
        for (const auto& n : *a) {
          if (n.is_string()) out.push_back(n.get<std::string>());
        }
      }
    };
    names("withoutEnablerPods", ps.without_enabler_names);
    names("staleDigestPods", ps.stale_digest_names);
    s.pods = std::move(ps);
  }
  if (const json* a = r.array("consistency")) {
    s.consistency.reserve(a->size());
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader cr((*a)[k], index_path(r.child("consistency"), k), errs,
                      Strictness::IgnoreUnknown);
      ConsistencyResult c;
      if (auto v = cr.string("peer", Required::Yes)) c.peer = *v;
      if (auto v = cr.string("interface", Required::Yes)) c.interface = *v;
      if (auto v = cr.boolean("consistent", Required::Yes)) c.consistent = *v;
      if (auto v = cr.string("reason")) c.reason = *v;
      if (auto v = cr.string("message")) c.message = *v;
      s.consistency.push_back(std::move(c));
    }
  }
}

// ---------------------------------------------------------------- validate

std::string join(const std::string& parent, std::string_view key) {
  return detail::join_path(parent, key);
}

template <ApiEnum E>
std::string enum_key(const E& e) {
  return std::string(to_string(e));
}
std::string string_key(const std::string& s) {
  return s;
}

// A Go-duration field with its CRD schema: maxLength 32 and the duration pattern.
// Returns the value when it is well-formed (so CEL-like rules can run).
std::optional<std::chrono::nanoseconds> check_duration(Checks& c, const std::string& path,
                                                       const std::string& value) {
  if (!c.max_length(path, value, 32)) return std::nullopt;
  auto d = parse_go_duration_ns(value);
  c.pattern(path, value, d.has_value(), kDurationPattern);
  return d;
}

void validate_certificate(Checks& c, const std::string& path, const CertificateSpec& cert) {
  using namespace std::chrono;
  const std::string dpath = join(path, "duration");
  const std::string rpath = join(path, "renewBefore");
  auto d = check_duration(c, dpath, cert.duration);
  if (d) {
    c.rule(dpath, *d <= kMaxCertificateDuration,
           "spec.sbi.tls.certificate.duration must be at most 26280h (3 years)");
    c.rule(dpath, *d >= kMinCertificateDuration,
           "spec.sbi.tls.certificate.duration must be at least 1h");
  }
  auto rb = check_duration(c, rpath, cert.renew_before);
  if (rb) {
    c.rule(rpath, *rb >= kMinRenewBefore,
           "spec.sbi.tls.certificate.renewBefore must be at least 5m");
  }
  if (d && rb) {
    c.rule(rpath, *rb < *d, "spec.sbi.tls.certificate.renewBefore must be shorter than duration");
  }
  if (cert.service_name) {
    const std::string p = join(path, "serviceName");
    if (c.max_length(p, *cert.service_name, 63)) {
      c.pattern(p, *cert.service_name, detail::is_dns1035_label(*cert.service_name),
                kDns1035LabelPattern);
    }
  }
  const std::string epath = join(path, "extraDnsNames");
  c.max_items(epath, cert.extra_dns_names.size(), 32);
  c.unique(epath, cert.extra_dns_names, string_key);
  for (std::size_t i = 0; i < cert.extra_dns_names.size(); ++i) {
    const auto& n = cert.extra_dns_names[i];
    const std::string p = index_path(epath, i);
    if (c.max_length(p, n, 253)) {
      c.pattern(p, n, detail::is_dns_name_with_wildcard_short_labels(n), kSanDnsNamePattern);
    }
  }
}

void validate_tls(Checks& c, const std::string& path, const TlsSpec& t) {
  c.rule(join(path, "minVersion"), t.min_version <= t.max_version,
         "spec.sbi.tls.minVersion must not be greater than maxVersion");
  const std::string p12 = join(path, "tls12CipherSuites");
  c.min_items(p12, t.tls12_cipher_suites.size(), 1);
  c.max_items(p12, t.tls12_cipher_suites.size(), kMaxTls12CipherSuites);
  c.unique(p12, t.tls12_cipher_suites, enum_key<Tls12CipherSuite>);
  const std::string p13 = join(path, "tls13CipherSuites");
  c.min_items(p13, t.tls13_cipher_suites.size(), 1);
  c.max_items(p13, t.tls13_cipher_suites.size(), kMaxTls13CipherSuites);
  c.unique(p13, t.tls13_cipher_suites, enum_key<Tls13CipherSuite>);
  const std::string pg = join(path, "groups");
  c.min_items(pg, t.groups.size(), 1);
  c.max_items(pg, t.groups.size(), kMaxTlsGroups);
  c.unique(pg, t.groups, enum_key<TlsGroup>);
  if (const auto curve = ecdsa_curve_group(t.certificate.key_algorithm);
      curve && t.mode != TlsMode::Disabled && t.min_version == TlsVersion::V1_2 &&
      !t.groups.empty()) {
    c.rule(pg, std::ranges::count(t.groups, *curve) > 0,
           tls12_ecdsa_curve_message(t.certificate.key_algorithm, *curve));
  }
  validate_certificate(c, join(path, "certificate"), t.certificate);
}

void validate_oauth2(Checks& c, const std::string& path, const OAuth2Spec& o) {
  c.rule(join(path, "nrfApiRoot"), !o.enabled || o.nrf_api_root.has_value(),
         "spec.sbi.oauth2.nrfApiRoot is required when oauth2 is enabled");
  if (o.nrf_api_root) {
    const std::string p = join(path, "nrfApiRoot");
    if (c.max_length(p, *o.nrf_api_root, 2048)) {
      c.pattern(p, *o.nrf_api_root, detail::is_https_url(*o.nrf_api_root), kHttpsUrlPattern);
    }
  }
  if (o.nrf_instance_id) {
    const std::string p = join(path, "nrfInstanceId");
    if (c.max_length(p, *o.nrf_instance_id, 36)) {
      c.pattern(p, *o.nrf_instance_id, detail::is_uuid(*o.nrf_instance_id), kUuidPattern);
    }
  }
  const std::string sp = join(path, "scopes");
  c.max_items(sp, o.scopes.size(), 64);
  c.unique(sp, o.scopes, string_key);
  const auto services = nf_service_names();
  for (std::size_t i = 0; i < o.scopes.size(); ++i) {
    const std::string p = index_path(sp, i);
    if (!c.max_length(p, o.scopes[i], 128)) continue;
    const bool well_formed = detail::is_oauth2_scope(o.scopes[i]);
    c.pattern(p, o.scopes[i], well_formed, kScopePattern);
    if (!well_formed) continue;
    // CEL: the part before the first ':' is a TS 29.510 service name.
    const std::string_view service = split_tokens(o.scopes[i], ':').front();
    c.rule(p, std::find(services.begin(), services.end(), service) != services.end(),
           scope_message(service));
  }
  const std::string ap = join(path, "acceptedAlgorithms");
  c.min_items(ap, o.accepted_algorithms.size(), 1);
  c.max_items(ap, o.accepted_algorithms.size(), 10);
  c.unique(ap, o.accepted_algorithms, enum_key<JwsAlgorithm>);
}

// An IPsec lifetime: maxLength 32, the digit-bounded duration pattern (so parsing cannot
// overflow), then the CEL range rule.
void check_lifetime(Checks& c, const std::string& path, const std::string& value,
                    std::chrono::nanoseconds max, std::string_view message) {
  if (!c.max_length(path, value, 32)) return;
  const bool well_formed = detail::is_short_go_duration(value);
  c.pattern(path, value, well_formed, kIpsecLifetimePattern);
  if (!well_formed) return;
  const auto d = parse_go_duration_ns(value);
  c.rule(path, d && *d >= kMinIpsecLifetime && *d <= max, std::string(message));
}

// One proposal, token by token against the allow-list, then its structure: what strongSwan
// 5.9.8's check_proposal() needs (an encryption algorithm; AEAD and classic not mixed; IKE: a
// PRF, a DH group), plus integrity for AES-CBC in ESP too (NDS/IP: never encryption alone) and
// no integrity with AES-GCM alone (strongSwan drops it: the profile should say what is
// negotiated).
void validate_proposal(Checks& c, const std::string& path, IpsecProtocol protocol,
                       const std::string& proposal) {
  if (!c.max_length(path, proposal, 128)) return;
  const bool well_formed = detail::is_ipsec_proposal(proposal);
  c.pattern(path, proposal, well_formed, kProposalPattern);
  if (!well_formed) return;  // the CRD's rules are guarded by the pattern
  const auto tokens = split_tokens(proposal, '-');
  const auto allowed = ipsec_tokens(protocol);
  for (auto t : tokens) {
    if (std::find(allowed.begin(), allowed.end(), t) == allowed.end()) {
      c.rule(path, false, ipsec_token_message(protocol, t));
      break;  // CEL names the first one
    }
  }
  const ProposalFacts f = facts_of(tokens);
  c.rule(path, f.aead || f.cbc, needs_encryption_message(protocol));
  c.rule(path, !(f.aead && f.cbc), mixed_encryption_message(protocol));
  c.rule(path, !f.cbc || f.integrity, cbc_needs_integrity_message(protocol));
  c.rule(path, !f.aead || f.cbc || !f.integrity, aead_without_integrity_message(protocol));
  if (protocol == IpsecProtocol::Ike) {
    c.rule(path, !f.aead || f.prf, aead_needs_prf_message());
    c.rule(path, f.dh, needs_dh_message());
  }
}

void validate_proposals(Checks& c, const std::string& path, IpsecProtocol protocol,
                        const std::vector<std::string>& props, const std::string& lifetime,
                        std::chrono::nanoseconds max_lifetime, std::string_view lifetime_message) {
  const std::string pp = join(path, "proposals");
  c.min_items(pp, props.size(), 1);
  c.max_items(pp, props.size(), 8);
  for (std::size_t i = 0; i < props.size(); ++i) {
    validate_proposal(c, index_path(pp, i), protocol, props[i]);
  }
  check_lifetime(c, join(path, "lifetime"), lifetime, max_lifetime, lifetime_message);
}

void validate_cidrs(Checks& c, const std::string& path, const std::vector<std::string>& cidrs) {
  c.max_items(path, cidrs.size(), 16);
  c.unique(path, cidrs, string_key);
  for (std::size_t i = 0; i < cidrs.size(); ++i) {
    const std::string p = index_path(path, i);
    if (c.max_length(p, cidrs[i], 49)) {
      c.rule(p, detail::is_cidr(cidrs[i]), "traffic selector must be a CIDR such as 10.0.0.0/24");
    }
  }
}

void validate_ipsec(Checks& c, const std::string& path, const IpsecSpec& s) {
  const std::string ip = join(path, "interfaces");
  c.max_items(ip, s.interfaces.size(), 5);
  c.unique(ip, s.interfaces, [](const IpsecInterfaceSpec& i) { return enum_key(i.name); });
  for (std::size_t k = 0; k < s.interfaces.size(); ++k) {
    const auto& itf = s.interfaces[k];
    const std::string p = index_path(ip, k);
    if (itf.local_address) {
      const std::string lp = join(p, "localAddress");
      if (c.max_length(lp, *itf.local_address, 45)) {
        c.rule(lp, detail::is_ip(*itf.local_address),
               "localAddress must be an IPv4 or IPv6 address");
      }
    }
    const std::string pp = join(p, "peers");
    c.min_items(pp, itf.peers.size(), 1);
    c.max_items(pp, itf.peers.size(), 16);
    c.unique(pp, itf.peers, [](const IpsecPeer& peer) { return peer.name; });
    for (std::size_t n = 0; n < itf.peers.size(); ++n) {
      const auto& peer = itf.peers[n];
      const std::string peer_path = index_path(pp, n);
      const std::string np = join(peer_path, "name");
      c.min_length(np, peer.name, 1);
      if (c.max_length(np, peer.name, 63) && !peer.name.empty()) {
        c.pattern(np, peer.name, detail::is_dns_label(peer.name), kDnsLabelPattern);
      }
      const std::string ap = join(peer_path, "address");
      if (c.max_length(ap, peer.address, 253)) {
        c.rule(ap, detail::is_ip(peer.address) || detail::is_dns_subdomain(peer.address),
               "address must be an IP address or a lowercase FQDN");
      }
      if (peer.remote_id) {
        const std::string rp = join(peer_path, "remoteId");
        if (c.max_length(rp, *peer.remote_id, 255)) {
          c.rule(rp, detail::is_ike_identity(*peer.remote_id), std::string(kRemoteIdMessage));
        }
      }
    }
    for (auto& e : check_peer_traffic_selectors(itf, p)) {
      c.rule(e.field, false, std::move(e.reason));
    }
    validate_proposals(c, join(p, "ike"), IpsecProtocol::Ike, itf.ike.proposals, itf.ike.lifetime,
                       kMaxIkeLifetime, kIkeLifetimeMessage);
    validate_proposals(c, join(p, "esp"), IpsecProtocol::Esp, itf.esp.proposals, itf.esp.lifetime,
                       kMaxEspLifetime, kEspLifetimeMessage);
    const bool certificate_only = std::find(kCertificateAuthenticationInterfaces.begin(),
                                            kCertificateAuthenticationInterfaces.end(),
                                            itf.name) != kCertificateAuthenticationInterfaces.end();
    c.rule(join(p, "authentication"),
           !certificate_only || itf.authentication != IpsecAuthentication::PreSharedKey ||
               itf.allow_pre_shared_key,
           pre_shared_key_message());
    if (itf.traffic_selectors) {
      const std::string tp = join(p, "trafficSelectors");
      validate_cidrs(c, join(tp, "local"), itf.traffic_selectors->local);
      validate_cidrs(c, join(tp, "remote"), itf.traffic_selectors->remote);
    }
  }
}

// ^[-._a-zA-Z0-9]+$ (a ConfigMap or Secret data key)
bool is_config_map_key(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_';
  });
}

void validate_n32(Checks& c, const std::string& path, const N32Spec& n) {
  c.rule(join(path, "jweCipherSuites"),
         !n.jwe_cipher_suites.has_value() || n.capability == N32Capability::PRINS,
         "spec.n32.jweCipherSuites is only allowed when capability is PRINS");
  const std::string pp = join(path, "peers");
  c.max_items(pp, n.peers.size(), 16);
  c.unique(pp, n.peers, [](const N32Peer& p) { return p.name; });
  c.rule(pp,
         std::ranges::all_of(n.peers,
                             [&](const N32Peer& p) {
                               return std::ranges::count(n.peers, p.fqdn, &N32Peer::fqdn) == 1;
                             }),
         std::string(kN32PeerFqdnMessage));
  for (std::size_t i = 0; i < n.peers.size(); ++i) {
    const std::string p = index_path(pp, i);
    const auto& peer = n.peers[i];
    const std::string np = join(p, "name");
    c.min_length(np, peer.name, 1);
    if (c.max_length(np, peer.name, 63) && !peer.name.empty()) {
      c.pattern(np, peer.name, detail::is_dns_label(peer.name), kDnsLabelPattern);
    }
    const std::string fp = join(p, "fqdn");
    c.min_length(fp, peer.fqdn, 1);
    if (c.max_length(fp, peer.fqdn, 253) && !peer.fqdn.empty()) {
      c.pattern(fp, peer.fqdn, detail::is_dns_subdomain(peer.fqdn), kDnsSubdomainPattern);
    }
    const std::string lp = join(p, "plmns");
    c.min_items(lp, peer.plmns.size(), 1);
    c.max_items(lp, peer.plmns.size(), 16);
    c.unique(lp, peer.plmns, [](const PlmnId& id) { return id.mcc + "-" + id.mnc; });
    for (std::size_t k = 0; k < peer.plmns.size(); ++k) {
      const std::string ip = index_path(lp, k);
      const auto& plmn = peer.plmns[k];
      c.pattern(join(ip, "mcc"), plmn.mcc, detail::is_digits(plmn.mcc, 3, 3), "^[0-9]{3}$");
      c.pattern(join(ip, "mnc"), plmn.mnc, detail::is_digits(plmn.mnc, 2, 3), "^[0-9]{2,3}$");
    }
    const std::string tp = join(p, "trustAnchorRef");
    const auto& ref = peer.trust_anchor_ref;
    const std::string tn = join(tp, "name");
    c.min_length(tn, ref.name, 1);
    if (c.max_length(tn, ref.name, 253) && !ref.name.empty()) {
      c.pattern(tn, ref.name, detail::is_dns_subdomain(ref.name), kDnsSubdomainPattern);
    }
    const std::string tk = join(tp, "key");
    c.min_length(tk, ref.key, 1);
    if (c.max_length(tk, ref.key, 253) && !ref.key.empty()) {
      c.pattern(tk, ref.key, is_config_map_key(ref.key), kConfigMapKeyPattern);
    }
  }
  // A PLMN selects the partner's anchor (TS 33.501 13.1.2): one PLMN, one partner.
  std::vector<std::string> seen;
  for (const auto& peer : n.peers) {
    for (const auto& id : peer.plmns) seen.push_back(id.mcc + "-" + id.mnc);
  }
  std::ranges::sort(seen);
  c.rule(pp, std::ranges::adjacent_find(seen) == seen.end(), std::string(kN32PeerPlmnMessage));
  // The N32 certificate is mounted at /etc/secprov/n32/tls, beside each peer's roots
  // (/etc/secprov/n32/<peer>): a peer named "tls" would collide with it.
  c.rule(pp,
         !n.trust_domain_ref ||
             std::ranges::none_of(n.peers, [](const N32Peer& p) { return p.name == "tls"; }),
         std::string(kN32PeerTlsNameMessage));
  if (n.trust_domain_ref) {
    const std::string tdn = join(join(path, "trustDomainRef"), "name");
    const auto& name = n.trust_domain_ref->name;
    c.min_length(tdn, name, 1);
    if (c.max_length(tdn, name, 253) && !name.empty()) {
      c.pattern(tdn, name, detail::is_dns_subdomain(name), kDnsSubdomainPattern);
    }
  }
  if (n.jwe_cipher_suites) {
    const std::string jp = join(path, "jweCipherSuites");
    c.max_items(jp, n.jwe_cipher_suites->size(), 2);
    c.unique(jp, *n.jwe_cipher_suites, enum_key<JweCipherSuite>);
  }
}

json time_json(Timestamp t) {
  return format_rfc3339(t);
}

}  // namespace

// ---------------------------------------------------------------- public

Result<SecurityProfile> parse_security_profile(const json& resource) {
  FieldErrors errs;
  ObjectReader r(resource, "", errs);
  SecurityProfile p;
  check_type_meta(r, kSecurityProfileKind, errs);
  if (const json* md = r.object("metadata")) p.metadata = parse_object_meta(*md, errs);
  if (const json* spec = r.object("spec", Required::Yes)) parse_spec(*spec, "spec", p.spec, errs);
  if (const json* st = r.object("status")) parse_status(*st, "status", p.status, errs);
  r.finish();
  if (!errs.empty()) return errs;
  return p;
}

Result<SecurityProfileStatus> parse_security_profile_status(const json& status) {
  FieldErrors errs;
  SecurityProfileStatus s;
  parse_status(status, "status", s, errs);
  if (!errs.empty()) return errs;
  return s;
}

FieldErrors validate(const SecurityProfile& profile) {
  FieldErrors errs;
  Checks c(errs);
  const auto& s = profile.spec;
  // CEL at the root on self.metadata.name. An empty name is left to the apiserver, which
  // requires one (or generates it from generateName) before this rule runs.
  if (const auto& name = profile.metadata.name; !name.empty()) {
    c.rule("metadata.name", name.size() <= kMaxProfileNameLength && detail::is_dns1035_label(name),
           std::string(kProfileNameMessage));
  }
  c.rule("spec.n32", !s.n32.has_value() || s.nf_type == NfType::SEPP,
         "spec.n32 is only allowed when nfType is SEPP");
  c.rule("spec.n32.trustDomainRef.name",
         !s.n32 || !s.n32->trust_domain_ref ||
             s.n32->trust_domain_ref->name != s.trust_domain_ref.name,
         std::string(kN32TrustDomainMessage));
  if (s.nf_instance_id && c.max_length("spec.nfInstanceId", *s.nf_instance_id, 36)) {
    c.pattern("spec.nfInstanceId", *s.nf_instance_id, detail::is_uuid(*s.nf_instance_id),
              kUuidPattern);
  }
  const std::string ml = "spec.selector.matchLabels";
  c.min_properties(ml, s.selector.match_labels.size(), 1);
  c.max_properties(ml, s.selector.match_labels.size(), 32);
  for (const auto& [k, v] : s.selector.match_labels) c.max_length(ml + "." + k, v, 63);
  const std::string tdn = "spec.trustDomainRef.name";
  c.min_length(tdn, s.trust_domain_ref.name, 1);
  if (c.max_length(tdn, s.trust_domain_ref.name, 253) && !s.trust_domain_ref.name.empty()) {
    c.pattern(tdn, s.trust_domain_ref.name, detail::is_dns_subdomain(s.trust_domain_ref.name),
              kDnsSubdomainPattern);
  }
  validate_tls(c, "spec.sbi.tls", s.sbi.tls);
  if (s.sbi.oauth2) validate_oauth2(c, "spec.sbi.oauth2", *s.sbi.oauth2);
  c.rule("spec.sbi.oauth2.enabled",
         !s.sbi.oauth2 || !s.sbi.oauth2->enabled || s.sbi.tls.mode != TlsMode::Disabled,
         oauth2_without_tls_message());
  if (s.ipsec) validate_ipsec(c, "spec.ipsec", *s.ipsec);
  if (s.n32) validate_n32(c, "spec.n32", *s.n32);
  detail::validate_enabler(c, s);
  detail::validate_consistency(c, s);
  return errs;
}

FieldErrors check_security_profile(const json& resource) {
  auto p = parse_security_profile(resource);
  if (!p) return p.errors();
  return validate(*p);
}

namespace {

template <class List>
json enum_list_json(const List& v) {
  json a = json::array();
  for (const auto e : v) a.push_back(std::string(to_string(e)));
  return a;
}

json str(std::string_view v) {
  return std::string(v);
}

}  // namespace

namespace detail {

IpsecInterfaceSpec parse_ipsec_interface(const json& j, const std::string& path,
                                         FieldErrors& errs) {
  return parse_interface(j, path, errs);
}

json ipsec_interface_json(const IpsecInterfaceSpec& i) {
  json ij{{"name", str(to_string(i.name))},
          {"mode", str(to_string(i.mode))},
          {"ike", {{"proposals", i.ike.proposals}, {"lifetime", i.ike.lifetime}}},
          {"esp", {{"proposals", i.esp.proposals}, {"lifetime", i.esp.lifetime}}},
          {"authentication", str(to_string(i.authentication))},
          {"allowPreSharedKey", i.allow_pre_shared_key}};
  if (i.local_address) ij["localAddress"] = *i.local_address;
  json peers = json::array();
  for (const auto& p : i.peers) {
    json pj{{"name", p.name}, {"address", p.address}};
    if (p.remote_id) pj["remoteId"] = *p.remote_id;
    peers.push_back(std::move(pj));
  }
  ij["peers"] = std::move(peers);
  if (i.traffic_selectors) {
    json ts = json::object();
    if (!i.traffic_selectors->local.empty()) ts["local"] = i.traffic_selectors->local;
    if (!i.traffic_selectors->remote.empty()) ts["remote"] = i.traffic_selectors->remote;
    ij["trafficSelectors"] = std::move(ts);
  }
  return ij;
}

}  // namespace detail

json to_json(const SecurityProfileSpec& s) {
  json j = json::object();
  j["nfType"] = str(to_string(s.nf_type));
  if (s.nf_instance_id) j["nfInstanceId"] = *s.nf_instance_id;
  j["selector"]["matchLabels"] = s.selector.match_labels;
  j["trustDomainRef"]["name"] = s.trust_domain_ref.name;
  const auto& t = s.sbi.tls;
  json tls{{"mode", str(to_string(t.mode))},
           {"minVersion", str(to_string(t.min_version))},
           {"maxVersion", str(to_string(t.max_version))},
           {"tls12CipherSuites", enum_list_json(t.tls12_cipher_suites)},
           {"tls13CipherSuites", enum_list_json(t.tls13_cipher_suites)},
           {"groups", enum_list_json(t.groups)}};
  const auto& c = t.certificate;
  json cert{{"keyAlgorithm", str(to_string(c.key_algorithm))},
            {"duration", c.duration},
            {"renewBefore", c.renew_before},
            {"rotationPolicy", str(to_string(c.rotation_policy))}};
  if (c.service_name) cert["serviceName"] = *c.service_name;
  if (!c.extra_dns_names.empty()) cert["extraDnsNames"] = c.extra_dns_names;
  tls["certificate"] = std::move(cert);
  j["sbi"]["tls"] = std::move(tls);
  if (const auto& o = s.sbi.oauth2) {
    json oj{{"enabled", o->enabled},
            {"role", str(to_string(o->role))},
            {"acceptedAlgorithms", enum_list_json(o->accepted_algorithms)}};
    if (o->nrf_api_root) oj["nrfApiRoot"] = *o->nrf_api_root;
    if (o->nrf_instance_id) oj["nrfInstanceId"] = *o->nrf_instance_id;
    if (!o->scopes.empty()) oj["scopes"] = o->scopes;
    j["sbi"]["oauth2"] = std::move(oj);
  }
  if (s.ipsec) {
    json itfs = json::array();
    for (const auto& i : s.ipsec->interfaces) itfs.push_back(detail::ipsec_interface_json(i));
    j["ipsec"] = json::object();
    if (!itfs.empty()) j["ipsec"]["interfaces"] = std::move(itfs);
  }
  if (s.n32) {
    json nj{{"capability", str(to_string(s.n32->capability))}};
    if (!s.n32->peers.empty()) {
      json peers = json::array();
      for (const auto& peer : s.n32->peers) {
        json plmns = json::array();
        for (const auto& p : peer.plmns) plmns.push_back({{"mcc", p.mcc}, {"mnc", p.mnc}});
        peers.push_back({{"name", peer.name},
                         {"fqdn", peer.fqdn},
                         {"plmns", std::move(plmns)},
                         {"trustAnchorRef",
                          {{"kind", str(to_string(peer.trust_anchor_ref.kind))},
                           {"name", peer.trust_anchor_ref.name},
                           {"key", peer.trust_anchor_ref.key}}}});
      }
      nj["peers"] = std::move(peers);
    }
    if (s.n32->jwe_cipher_suites) nj["jweCipherSuites"] = enum_list_json(*s.n32->jwe_cipher_suites);
    if (s.n32->trust_domain_ref) nj["trustDomainRef"] = {{"name", s.n32->trust_domain_ref->name}};
    j["n32"] = std::move(nj);
  }
  j["outputs"] = {{"open5gs", s.outputs.open5gs}, {"free5gc", s.outputs.free5gc}};
  if (s.enabler) j["enabler"] = detail::enabler_json(*s.enabler);
  if (s.consistency) j["consistency"] = detail::consistency_json(*s.consistency);
  j["driftPolicy"] = str(to_string(s.drift_policy));
  j["deletionPolicy"] = str(to_string(s.deletion_policy));
  return j;
}

json to_json(const CertificateStatus& c) {
  json j = json::object();
  if (!c.serial_number.empty()) j["serialNumber"] = c.serial_number.str();
  if (!c.sha256_fingerprint.empty()) j["sha256Fingerprint"] = c.sha256_fingerprint.str();
  if (c.not_before) j["notBefore"] = time_json(*c.not_before);
  if (c.not_after) j["notAfter"] = time_json(*c.not_after);
  if (c.renewal_time) j["renewalTime"] = time_json(*c.renewal_time);
  return j;
}

json to_json(const GeneratedObject& o) {
  json j{{"kind", o.kind.str()}, {"name", o.name}};
  if (!o.digest.empty()) j["digest"] = o.digest.str();
  if (o.state) j["state"] = std::string(to_string(*o.state));
  return j;
}

json to_json(const DriftFinding& f) {
  return json{{"kind", f.kind},
              {"name", f.name},
              {"field", f.field},
              {"reason", f.reason},
              {"detectedAt", time_json(f.detected_at)},
              {"action", std::string(to_string(f.action))}};
}

json to_json(const PodsStatus& p) {
  json j{{"selected", p.selected},
         {"injected", p.injected},
         {"withoutEnabler", p.without_enabler},
         {"staleDigest", p.stale_digest}};
  if (!p.without_enabler_names.empty()) j["withoutEnablerPods"] = p.without_enabler_names;
  if (!p.stale_digest_names.empty()) j["staleDigestPods"] = p.stale_digest_names;
  return j;
}

json to_json(const SecurityProfileStatus& s) {
  json j = json::object();
  j["observedGeneration"] = s.observed_generation;
  if (!s.conditions.empty()) {
    json a = json::array();
    for (const auto& c : s.conditions) a.push_back(to_json(c));
    j["conditions"] = std::move(a);
  }
  if (s.nf_instance_id) j["nfInstanceId"] = *s.nf_instance_id;
  if (s.certificate) j["certificate"] = to_json(*s.certificate);
  if (!s.objects.empty()) {
    json a = json::array();
    for (const auto& o : s.objects) a.push_back(to_json(o));
    j["objects"] = std::move(a);
  }
  if (!s.drift_findings.empty()) {
    json a = json::array();
    for (const auto& f : s.drift_findings) a.push_back(to_json(f));
    j["driftFindings"] = std::move(a);
  }
  if (s.pods) j["pods"] = to_json(*s.pods);
  if (!s.consistency.empty()) {
    json a = json::array();
    for (const auto& r : s.consistency) a.push_back(to_json(r));
    j["consistency"] = std::move(a);
  }
  return j;
}

json to_json(const ConsistencyResult& r) {
  return json{{"peer", r.peer},
              {"interface", r.interface},
              {"consistent", r.consistent},
              {"reason", r.reason},
              {"message", r.message}};
}

std::string effective_service_name(const SecurityProfile& profile) {
  const auto& sn = profile.spec.sbi.tls.certificate.service_name;
  return sn ? *sn : profile.metadata.name;
}

std::optional<std::string> effective_nf_instance_id(const SecurityProfile& profile) {
  if (profile.spec.nf_instance_id) return profile.spec.nf_instance_id;
  return profile.status.nf_instance_id;
}

std::optional<std::chrono::seconds> certificate_duration(const SecurityProfile& profile) {
  return parse_go_duration(profile.spec.sbi.tls.certificate.duration);
}

std::optional<std::chrono::seconds> certificate_renew_before(const SecurityProfile& profile) {
  return parse_go_duration(profile.spec.sbi.tls.certificate.renew_before);
}

PeerTrafficSelectors peer_traffic_selectors(const IpsecInterfaceSpec& interface,
                                            const IpsecPeer& peer) {
  PeerTrafficSelectors ts;
  if (interface.traffic_selectors) {
    ts.local = interface.traffic_selectors->local;
    ts.remote = interface.traffic_selectors->remote;
  }
  if (ts.remote.empty()) {
    std::string host = detail::host_prefix(peer.address);
    if (!host.empty()) ts.remote.push_back(std::move(host));
  }
  return ts;
}

// One IP family per link, and a traffic selector pair of its own for each peer (see
// peer_traffic_selectors). An FQDN peer's family and address are known only when resolved: its
// remote selector is "dynamic", told apart by the name.
FieldErrors check_peer_traffic_selectors(const IpsecInterfaceSpec& itf, const std::string& path) {
  FieldErrors errs;
  Checks c(errs);
  const int local_family = itf.local_address ? detail::ip_family(*itf.local_address) : 0;
  const auto key = [&itf](const IpsecPeer& peer) {
    auto ts = peer_traffic_selectors(itf, peer);
    if (ts.remote.empty()) ts.remote.push_back("dynamic " + peer.address);
    return ts;
  };
  const bool shared_remote = itf.traffic_selectors && !itf.traffic_selectors->remote.empty();
  const std::string pp = join(path, "peers");
  for (std::size_t n = 0; n < itf.peers.size(); ++n) {
    const auto& peer = itf.peers[n];
    const int family = detail::ip_family(peer.address);
    c.rule(join(index_path(pp, n), "address"),
           local_family == 0 || family == 0 || family == local_family,
           std::string(kPeerFamilyMessage));
    const auto mine = key(peer);
    for (std::size_t m = 0; m < n; ++m) {
      if (key(itf.peers[m]) != mine) continue;
      c.rule(
          index_path(pp, n), false,
          "same traffic selectors as " + index_path(pp, m) + " (" + itf.peers[m].name + "): " +
              std::string(shared_remote ? kSharedRemoteSelectorsMessage : kSamePeerAddressMessage));
      break;
    }
  }
  return errs;
}

void add_drift_finding(SecurityProfileStatus& status, DriftFinding finding) {
  status.drift_findings.insert(status.drift_findings.begin(), std::move(finding));
  if (status.drift_findings.size() > kMaxDriftFindings) {
    status.drift_findings.resize(kMaxDriftFindings);
  }
}

}  // namespace secprov::api
