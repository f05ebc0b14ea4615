#include "render/config.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "render/detail/common.h"
#include "render/enabler.h"
#include "render/ipsec.h"
#include "render/labels.h"
#include "render/n32.h"
#include "render/names.h"
#include "yaml/yaml.h"

namespace secprov::render {

namespace {

using ojson = nlohmann::ordered_json;

ojson enum_list(const auto& values) {
  ojson out = ojson::array();
  for (const auto v : values) out.push_back(std::string(api::to_string(v)));
  return out;
}

ojson string_list(std::vector<std::string> values, bool sort) {
  if (sort) std::sort(values.begin(), values.end());
  ojson out = ojson::array();
  for (auto& v : values) out.push_back(std::move(v));
  return out;
}

std::string str(std::string_view s) {
  return std::string(s);
}

bool tls_enabled(const api::SecurityProfile& p) {
  return p.spec.sbi.tls.mode != api::TlsMode::Disabled;
}
bool mutual_tls(const api::SecurityProfile& p) {
  return p.spec.sbi.tls.mode == api::TlsMode::MutualTLS;
}
bool oauth2_enabled(const api::SecurityProfile& p) {
  return p.spec.sbi.oauth2 && p.spec.sbi.oauth2->enabled;
}

std::string origin(const api::SecurityProfile& p) {
  return "SecurityProfile " + p.metadata.namespace_ + "/" + p.metadata.name;
}

std::string_view openssl_protocol(api::TlsVersion v) {
  return v == api::TlsVersion::V1_2 ? "TLSv1.2" : "TLSv1.3";
}

std::string trim_trailing_slashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// spec.sbi.oauth2.nrfApiRoot split after its scheme: host[:port], and the path after it
// (trailing slashes dropped; "" when none).
struct NrfApiRoot {
  std::string authority;
  std::string path;
};

std::optional<NrfApiRoot> nrf_api_root(const api::SecurityProfile& p) {
  const auto& oauth2 = p.spec.sbi.oauth2;
  if (!oauth2 || !oauth2->nrf_api_root) return std::nullopt;
  std::string_view root = *oauth2->nrf_api_root;
  if (const auto sep = root.find("://"); sep != std::string_view::npos) root.remove_prefix(sep + 3);
  const auto slash = std::min(root.find('/'), root.size());
  if (slash == 0) return std::nullopt;
  return NrfApiRoot{str(root.substr(0, slash)), trim_trailing_slashes(str(root.substr(slash)))};
}

// host[:port] of spec.sbi.oauth2.nrfApiRoot, when given.
std::optional<std::string> nrf_authority(const api::SecurityProfile& p) {
  auto root = nrf_api_root(p);
  if (!root) return std::nullopt;
  return std::move(root->authority);
}

// Whether host[:port] names a DNS name (Open5GS refuses an https URI with an address).
bool names_fqdn(std::string_view authority) {
  if (authority.empty() || authority.front() == '[') return false;  // [IPv6]
  const std::string_view host = authority.substr(0, authority.find(':'));
  return std::any_of(host.begin(), host.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// The enabler's outbound peer that carries the NF's NRF traffic: one that names the host (and
// port) of spec.sbi.oauth2.nrfApiRoot; nullptr when none does.
const api::EnablerOutbound* nrf_through_enabler(const api::SecurityProfile& p) {
  const auto host = nrf_authority(p);
  return host ? enabler_route_to(p, *host) : nullptr;
}

// The NF's own h2c address behind the enabler's outbound peer `via` ("http://127.0.0.1:<port>").
std::string through_enabler(const api::EnablerOutbound& via) {
  return "http://" + str(kEnablerLoopback) + ":" + std::to_string(via.local_port);
}

// The comment lines saying that `what` goes through the enabler's outbound peer `via`.
void say_through_enabler(std::vector<std::string>& comments, const std::string& what,
                         const api::EnablerOutbound& via) {
  comments.push_back(what + ": through the enabler sidecar (spec.enabler.outbound " + via.name +
                     "), which dials");
  comments.push_back(via.host + ":" + std::to_string(via.port) + " with the profile's TLS.");
}

// ---- security.yaml ----

ojson sbi_tls(const api::SecurityProfile& p, const std::string& nf_instance_id) {
  const auto& tls = p.spec.sbi.tls;
  ojson t;
  t["mode"] = api::to_string(tls.mode);
  if (tls.mode == api::TlsMode::Disabled) return t;
  // Suites of a version outside [minVersion, maxVersion] are never negotiated: left out.
  const bool v12 = tls.min_version == api::TlsVersion::V1_2;
  const bool v13 = tls.max_version == api::TlsVersion::V1_3;
  t["minVersion"] = api::to_string(tls.min_version);
  t["maxVersion"] = api::to_string(tls.max_version);
  if (v12) t["tls12CipherSuites"] = enum_list(tls.tls12_cipher_suites);
  if (v13) t["tls13CipherSuites"] = enum_list(tls.tls13_cipher_suites);
  t["groups"] = enum_list(tls.groups);
  ojson openssl;
  openssl["minProtocol"] = openssl_protocol(tls.min_version);
  openssl["maxProtocol"] = openssl_protocol(tls.max_version);
  if (v12) openssl["cipherList"] = api::openssl_list(tls.tls12_cipher_suites);
  if (v13) openssl["ciphersuites"] = api::openssl_list(tls.tls13_cipher_suites);
  openssl["groups"] = api::openssl_list(tls.groups);
  t["openssl"] = std::move(openssl);
  t["verifyClient"] = tls.mode == api::TlsMode::MutualTLS;
  t["certificateFile"] = kTlsCertificateFile;
  t["privateKeyFile"] = kTlsPrivateKeyFile;
  t["caFile"] = kCaBundleFile;
  t["keyAlgorithm"] = api::to_string(tls.certificate.key_algorithm);
  t["serverName"] = primary_dns_name(p);
  ojson sans;
  sans["dnsNames"] = string_list(sbi_dns_names(p), false);
  sans["uris"] = ojson::array({nf_instance_uri(nf_instance_id)});
  t["subjectAltNames"] = std::move(sans);
  return t;
}

ojson sbi_oauth2(const api::SecurityProfile& p) {
  ojson o;
  o["enabled"] = oauth2_enabled(p);
  if (!oauth2_enabled(p)) return o;
  const auto& spec = *p.spec.sbi.oauth2;
  o["role"] = api::to_string(spec.role);
  if (spec.nrf_api_root) {
    o["nrfApiRoot"] = *spec.nrf_api_root;
    o["tokenEndpoint"] = trim_trailing_slashes(*spec.nrf_api_root) + "/oauth2/token";
  }
  if (spec.nrf_instance_id) o["nrfInstanceId"] = *spec.nrf_instance_id;  // expected "iss"
  o["scopes"] = string_list(spec.scopes, true);
  o["acceptedAlgorithms"] = enum_list(spec.accepted_algorithms);
  return o;
}

ojson ipsec_settings(const api::SecurityProfile& p) {
  ojson out;
  out["swanctlFile"] = kSwanctlConfFile;
  out["localId"] = primary_dns_name(p);
  ojson interfaces = ojson::array();
  for (const auto* i : detail::sorted_interfaces(p)) {
    const bool psk = i->authentication == api::IpsecAuthentication::PreSharedKey;
    ojson entry;
    entry["name"] = api::to_string(i->name);
    entry["mode"] = api::to_string(i->mode);
    entry["authentication"] = api::to_string(i->authentication);
    if (i->local_address) entry["localAddress"] = *i->local_address;
    entry["ike"] = {{"proposals", string_list(i->ike.proposals, false)},
                    {"lifetime", i->ike.lifetime}};
    entry["esp"] = {{"proposals", string_list(i->esp.proposals, false)},
                    {"lifetime", i->esp.lifetime}};
    if (i->traffic_selectors) {
      entry["trafficSelectors"] = {{"local", string_list(i->traffic_selectors->local, false)},
                                   {"remote", string_list(i->traffic_selectors->remote, false)}};
    }
    ojson peers = ojson::array();
    for (const auto* peer : detail::sorted_peers(*i)) {
      ojson pe;
      pe["name"] = peer->name;
      pe["address"] = peer->address;
      pe["remoteId"] = effective_remote_id(p, *peer);
      pe["connection"] = ipsec_connection_name(i->name, peer->name);
      if (psk) pe["preSharedKey"] = pre_shared_key_name(i->name, peer->name);  // name only
      peers.push_back(std::move(pe));
    }
    entry["peers"] = std::move(peers);
    interfaces.push_back(std::move(entry));
  }
  out["interfaces"] = std::move(interfaces);
  return out;
}

// Peers by name: the rendering does not depend on the order of the spec's list.
std::vector<const api::N32Peer*> sorted_n32_peers(const api::N32Spec& n32) {
  std::vector<const api::N32Peer*> peers;
  for (const auto& peer : n32.peers) peers.push_back(&peer);
  std::sort(peers.begin(), peers.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  return peers;
}

ojson n32_settings(const api::SecurityProfile& p) {
  const auto& n32 = *p.spec.n32;
  ojson out;
  out["capability"] = api::to_string(n32.capability);
  out["localSeppFqdn"] = primary_dns_name(p);
  // What to give partners: the roots of the CA that issues the N32 certificate (the
  // interconnect TrustDomain's when set, else the home one), published by the operator as
  // ConfigMap "<trust domain>-ca" in this namespace.
  const auto interconnect = n32_trust_domain(p);
  out["homeTrustAnchor"] = {
      {"configMap", trust_bundle_name(interconnect.value_or(p.spec.trust_domain_ref.name))},
      {"key", kCaBundleKey}};
  if (interconnect) {
    // The N32 certificate, Secret <profile>-n32, mounted at /etc/secprov/n32/tls.
    out["certificate"] = {{"trustDomain", *interconnect}, {"secret", n32_secret_name(p)},
                          {"mountPath", kN32TlsMountDir}, {"cert", kN32CertificateFile},
                          {"key", kN32PrivateKeyFile},    {"ca", kN32CaBundleFile}};
  }
  ojson peers = ojson::array();
  for (const auto* peer : sorted_n32_peers(n32)) {
    ojson pe;
    pe["name"] = peer->name;
    pe["fqdn"] = peer->fqdn;
    ojson plmns = ojson::array();
    for (const auto& plmn : peer->plmns) plmns.push_back({{"mcc", plmn.mcc}, {"mnc", plmn.mnc}});
    pe["plmns"] = std::move(plmns);
    const auto& ref = peer->trust_anchor_ref;
    pe["trustAnchor"] = {{"kind", api::to_string(ref.kind)},
                         {"name", ref.name},
                         {"key", ref.key},
                         {"file", n32_trust_anchor_file(*peer)}};
    peers.push_back(std::move(pe));
  }
  out["peers"] = std::move(peers);
  if (n32.jwe_cipher_suites) out["jweCipherSuites"] = enum_list(*n32.jwe_cipher_suites);
  return out;
}

bool has_ipsec(const api::SecurityProfile& p) {
  return p.spec.ipsec && !p.spec.ipsec->interfaces.empty();
}

// ---- Open5GS ----

// Open5GS v2.7 src/sepp/context.c: n32.server[] {sender, n32f {...}} and
// n32.client.sepp[] {receiver, target_plmn_id {mcc, mnc}, uri, n32f {uri}, + client TLS keys}
// (lib/sbi/context.c ogs_sbi_context_parse_{server,client}_config). N32-c and N32-f are
// separate TLS connections (TS 33.501 13.1.2): each gets its own entry.
ojson open5gs_n32(const api::SecurityProfile& p, std::vector<std::string>& comments) {
  const auto& n32 = *p.spec.n32;
  const bool tls = tls_enabled(p);
  const std::string scheme = tls ? "https" : "http";
  const auto peers = sorted_n32_peers(n32);
  // The N32 certificate: from the interconnect TrustDomain when set, else the SBI one.
  const bool interconnect = n32_trust_domain(p).has_value();
  const std::string_view cert = interconnect ? kN32CertificateFile : kTlsCertificateFile;
  const std::string_view key = interconnect ? kN32PrivateKeyFile : kTlsPrivateKeyFile;
  // N32-c is always mutually authenticated (TS 33.501 13.2): the client is verified even
  // when the SBI itself is in TLS mode, against the partner's roots, never the home CA.
  ojson listener;
  listener["scheme"] = scheme;
  if (tls) {
    listener["private_key"] = key;
    listener["cert"] = cert;
    if (!peers.empty()) {
      listener["verify_client"] = true;
      listener["verify_client_cacert"] = n32_trust_anchor_file(*peers.front());
    }
  }
  ojson server;
  server["sender"] = primary_dns_name(p);
  for (const auto& [k, v] : listener.items()) server[k] = v;
  server["n32f"] = listener;
  ojson out;
  out["server"] = ojson::array({std::move(server)});
  if (tls && peers.size() > 1) {
    comments.emplace_back("n32.server verify_client_cacert: Open5GS takes one CA file; it names");
    comments.emplace_back("the roots of peer " + peers.front()->name +
                          ": other partners' client certificates are refused.");
  }
  if (!peers.empty()) {
    ojson sepps = ojson::array();
    for (const auto* peer : peers) {
      ojson c;
      c["receiver"] = peer->fqdn;
      // Open5GS keeps one target PLMN per partner: the first listed.
      c["target_plmn_id"] = {{"mcc", peer->plmns.front().mcc}, {"mnc", peer->plmns.front().mnc}};
      ojson endpoint;
      endpoint["uri"] = scheme + "://" + peer->fqdn;
      if (tls) {
        endpoint["cacert"] = n32_trust_anchor_file(*peer);
        endpoint["client_private_key"] = key;
        endpoint["client_cert"] = cert;
      }
      for (const auto& [k, v] : endpoint.items()) c[k] = v;
      c["n32f"] = std::move(endpoint);
      sepps.push_back(std::move(c));
      if (peer->plmns.size() > 1) {
        comments.emplace_back("n32.client.sepp " + peer->fqdn +
                              ": Open5GS takes one target_plmn_id, the first PLMN.");
      }
    }
    out["client"] = {{"sepp", std::move(sepps)}};
  }
  return out;
}

}  // namespace

std::string security_yaml(const api::SecurityProfile& profile, const std::string& nf_instance_id) {
  if (nf_instance_id.empty())
    throw std::invalid_argument("security_yaml: nf_instance_id is required");
  ojson doc;
  doc["nfType"] = api::to_string(profile.spec.nf_type);
  doc["nfInstanceId"] = nf_instance_id;
  doc["trustDomain"] = profile.spec.trust_domain_ref.name;
  ojson sbi;
  sbi["scheme"] = tls_enabled(profile) ? "https" : "http";
  sbi["tls"] = sbi_tls(profile, nf_instance_id);
  sbi["oauth2"] = sbi_oauth2(profile);
  doc["sbi"] = std::move(sbi);
  if (has_ipsec(profile)) doc["ipsec"] = ipsec_settings(profile);
  if (profile.spec.n32) doc["n32"] = n32_settings(profile);
  return yaml::to_yaml(doc, {"Effective security settings of this NF, rendered by secprov from " +
                                 origin(profile) + ".",
                             "Generated: local edits are overwritten."});
}

std::optional<std::string> open5gs_yaml(const api::SecurityProfile& profile) {
  // The Open5GS UPF has no SBI: any <nf> block for it is an unknown key.
  if (profile.spec.nf_type == api::NfType::UPF) return std::nullopt;
  const bool tls = tls_enabled(profile);
  // Behind the enabler the NF serves h2c on the loopback only: HAProxy forwards to it there.
  const api::EnablerInbound* fronted = enabler_fronted_server(profile);
  const std::string nf_key = detail::lower(api::to_string(profile.spec.nf_type));
  std::vector<std::string> comments = {
      "Open5GS (v2.7) fragment rendered by secprov from " + origin(profile) + ".",
      "Merge into the NF's configuration, under " + nf_key + ": (other top-level keys are yours):",
      "- " + nf_key + ".default.tls: add as is; every sbi server and client inherits it."};
  if (fronted) {
    const std::string tls_port = std::to_string(fronted->tls_port);
    comments.insert(
        comments.end(),
        {"- " + nf_key + ".sbi.server[]: replace with the entry here. The enabler sidecar",
         "  (spec.enabler.inbound) terminates TLS on port " + tls_port + " and forwards h2c to " +
             str(kEnablerLoopback) + ":" + std::to_string(fronted->port) + ",",
         "  so the NF serves http there only; advertise names the enabler's port. Open5GS",
         "  registers the scheme it serves (http): peers reach this NF with https on port",
         "  " + tls_port +
             " (their own enabler's outbound), not with the scheme NRF discovery gives."});
  } else {
    comments.insert(
        comments.end(),
        {"- " + nf_key + ".sbi.server[]: keep each entry's address/port, add advertise as here",
         "  (a DNS name in the certificate: peers dial it and verify the hostname)."});
  }
  comments.insert(
      comments.end(),
      {"- " + nf_key + ".sbi.client.nrf[]/scp[]: replace the uri values with the ones here.",
       "The files are mounted from the secprov Secret.",
       "Open5GS compiles in its TLS versions and cipher suites: the profile's minVersion,",
       "cipher suites and groups are not applied natively (see security.yaml)."});
  ojson server;
  ojson client;
  if (tls && !fronted) {
    server["scheme"] = "https";
    server["private_key"] = kTlsPrivateKeyFile;
    server["cert"] = kTlsCertificateFile;
    if (mutual_tls(profile)) {
      server["verify_client"] = true;
      server["verify_client_cacert"] = kCaBundleFile;
    }
  } else {
    server["scheme"] = "http";
  }
  if (tls) {
    client["scheme"] = "https";
    client["cacert"] = kCaBundleFile;
    if (mutual_tls(profile)) {
      client["client_private_key"] = kTlsPrivateKeyFile;
      client["client_cert"] = kTlsCertificateFile;
    }
  } else {
    client["scheme"] = "http";
  }
  ojson sbi;
  if (fronted) {
    sbi["server"] = ojson::array(
        {{{"address", kEnablerLoopback},
          {"port", fronted->port},
          {"advertise", primary_dns_name(profile) + ":" + std::to_string(fronted->tls_port)}}});
  } else {
    sbi["server"] = ojson::array({{{"advertise", primary_dns_name(profile)}}});
  }
  const std::string scheme = tls ? "https" : "http";
  ojson sbi_client = ojson::object();
  if (profile.spec.nf_type != api::NfType::NRF) {
    const auto nrf_host = nrf_authority(profile);
    if (const auto* via = nrf_through_enabler(profile)) {
      // The enabler originates the profile's TLS to the NRF; the NF speaks h2c to it.
      sbi_client["nrf"] = ojson::array({{{"uri", through_enabler(*via)}}});
      say_through_enabler(comments, "sbi.client.nrf", *via);
    } else if (nrf_host && (!tls || names_fqdn(*nrf_host))) {
      sbi_client["nrf"] = ojson::array({{{"uri", scheme + "://" + *nrf_host}}});
    } else {
      comments.emplace_back(
          "sbi.client.nrf: the profile names no NRF FQDN (oauth2.nrfApiRoot): set");
      comments.emplace_back("uri to " + scheme + "://<NRF FQDN>" +
                            (tls ? " (an https URI must name an FQDN)." : "."));
    }
  }
  comments.emplace_back("sbi.client.scp: the profile names no SCP; if one is used, set its uri to");
  comments.emplace_back(scheme + "://<SCP FQDN>" +
                        (tls ? " (an https URI must name an FQDN)." : "."));
  if (!sbi_client.empty()) sbi["client"] = std::move(sbi_client);
  ojson nf;
  nf["sbi"] = std::move(sbi);
  nf["default"] = {{"tls", {{"server", std::move(server)}, {"client", std::move(client)}}}};
  if (profile.spec.nf_type == api::NfType::SEPP && profile.spec.n32) {
    if (profile.spec.n32->capability == api::N32Capability::TLS) {
      comments.emplace_back("n32 entries carry identities and TLS only: add address/port (and");
      comments.emplace_back("resolve) of each entry and of its n32f (N32-f) when merging: a");
      comments.emplace_back("server without address listens nowhere. Mount each peer's");
      comments.emplace_back("trustAnchorRef at " + std::string(kN32TrustAnchorDir) +
                            "/<peer>/<key> (security.yaml n32.peers).");
      if (n32_trust_domain(profile)) {
        comments.emplace_back("n32 cert/key: Secret " + n32_secret_name(profile) +
                              " (interconnect CA) mounted at " + std::string(kN32TlsMountDir) +
                              ".");
      }
      nf["n32"] = open5gs_n32(profile, comments);
    } else {
      comments.emplace_back("N32 capability PRINS is not supported by the Open5GS SEPP (TLS");
      comments.emplace_back("only): no n32 section rendered.");
    }
  }
  ojson doc;
  doc[nf_key] = std::move(nf);
  return yaml::to_yaml(doc, comments);
}

std::string free5gc_yaml(const api::SecurityProfile& profile) {
  const bool nrf = profile.spec.nf_type == api::NfType::NRF;
  const bool tls = tls_enabled(profile);
  std::vector<std::string> comments = {
      "free5GC (v1.4) fragment rendered by secprov from " + origin(profile) + ".",
      "Merge configuration.sbi and the other configuration keys here into the NF's",
      "configuration; the files are mounted from the secprov Secret.",
      "free5GC uses Go's default TLS settings: the profile's versions, suites and groups are",
      "not applied natively. Its SBI client skips server certificate verification and sends",
      "no client certificate, so MutualTLS is not enforced natively (only an enabler can)."};
  // Behind the enabler the NF serves h2c on the loopback only: HAProxy forwards to it there.
  const api::EnablerInbound* fronted = enabler_fronted_server(profile);
  ojson sbi;
  sbi["scheme"] = tls && !fronted ? "https" : "http";
  if (fronted) {
    sbi["bindingIPv4"] = kEnablerLoopback;
    sbi["port"] = fronted->port;
    const std::string tls_port = std::to_string(fronted->tls_port);
    comments.insert(
        comments.end(),
        {"sbi: the enabler sidecar (spec.enabler.inbound) terminates TLS on port " + tls_port,
         "and forwards h2c to " + str(kEnablerLoopback) + ":" + std::to_string(fronted->port) +
             ", so the NF serves http there only. free5GC",
         "registers the scheme and port it serves (http, " + std::to_string(fronted->port) +
             ") with registerIPv4: peers",
         "reach this NF with https on port " + tls_port +
             " (their own enabler's outbound), not through NRF discovery."});
  }
  if (tls) {
    const ojson pair = {{"pem", kTlsCertificateFile}, {"key", kTlsPrivateKeyFile}};
    if (nrf) {
      sbi["cert"] = pair;
      // The NRF's validator requires rootcert.key; the CA key never leaves the operator, so
      // the NRF gets its own certificate and key (a matching pair), signing nothing with it
      // while oauth is false.
      comments.emplace_back(
          "rootcert is the NRF's own certificate and key: the validator requires");
      comments.emplace_back("rootcert.key and the CA private key never leaves the operator.");
      sbi["rootcert"] = pair;
    } else if (!fronted) {
      sbi["tls"] = pair;
    }
  }
  if (nrf) {
    // free5GC OAuth2 needs RSA keys, RS512 and a writable cert directory the NRF fills
    // itself: read-only mounted material cannot work, so it is never claimed.
    sbi["oauth"] = false;
    if (oauth2_enabled(profile)) {
      comments.emplace_back("oauth: false although the profile enables OAuth2: free5GC's OAuth2");
      comments.emplace_back("needs RSA keys, RS512 tokens and a writable cert directory the NRF");
      comments.emplace_back("fills itself; mounted read-only material cannot work. OAuth2 is not");
      comments.emplace_back("enforced natively for this NF.");
    }
  }
  ojson conf;
  conf["sbi"] = std::move(sbi);
  if (!nrf) {
    const auto& oauth2 = profile.spec.sbi.oauth2;
    if (const auto* via = nrf_through_enabler(profile)) {
      // The enabler originates the profile's TLS to the NRF; free5GC speaks h2c to it (its
      // client verifies no server and presents no certificate, the enabler does both).
      conf["nrfUri"] = through_enabler(*via) + nrf_api_root(profile)->path;
      say_through_enabler(comments, "nrfUri", *via);
    } else if (oauth2 && oauth2->nrf_api_root) {
      conf["nrfUri"] = trim_trailing_slashes(*oauth2->nrf_api_root);
    } else {
      comments.emplace_back("nrfUri (required): the profile names no NRF API root");
      comments.emplace_back("(oauth2.nrfApiRoot): set it to the NRF's " +
                            std::string(tls ? "https" : "http") + "://<FQDN>:<port>.");
    }
    if (oauth2_enabled(profile)) {
      comments.emplace_back(
          "OAuth2 is not used: the free5GC NRF is rendered with oauth: false, so");
      comments.emplace_back("no nrfCertPem is rendered.");
    }
  }
  ojson doc;
  doc["configuration"] = std::move(conf);
  return yaml::to_yaml(doc, comments);
}

nlohmann::json security_config_map(const api::SecurityProfile& profile,
                                   const std::string& nf_instance_id) {
  detail::require_identity(profile);
  if (nf_instance_id.empty()) {
    throw std::invalid_argument("security_config_map: nf_instance_id is required");
  }
  nlohmann::json data = {{str(kSecurityYamlKey), security_yaml(profile, nf_instance_id)}};
  if (profile.spec.outputs.open5gs) {
    if (auto open5gs = open5gs_yaml(profile)) data[str(kOpen5gsYamlKey)] = std::move(*open5gs);
  }
  if (profile.spec.outputs.free5gc) data[str(kFree5gcYamlKey)] = free5gc_yaml(profile);
  if (api::enabler_sidecar(profile)) {
    data[str(kHaproxyCfgKey)] = haproxy_cfg(profile);
    data[str(kOpensslCnfKey)] = enabler_openssl_cnf(profile);
  }
  return detail::make_object("ConfigMap", config_map_name(profile), profile.metadata.namespace_,
                             managed_labels(profile), owner_reference(profile), std::move(data));
}

}  // namespace secprov::render
