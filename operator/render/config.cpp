#include "render/config.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "render/detail/common.h"
#include "render/detail/yaml.h"
#include "render/ipsec.h"
#include "render/labels.h"
#include "render/names.h"

namespace secprov::render {

namespace {

using ojson = nlohmann::ordered_json;

template <api::ApiEnum E>
ojson enum_list(const std::vector<E>& values) {
  ojson out = ojson::array();
  for (E v : values) out.push_back(std::string(api::to_string(v)));
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
    std::string root = *spec.nrf_api_root;
    o["nrfApiRoot"] = root;
    while (!root.empty() && root.back() == '/') root.pop_back();
    o["tokenEndpoint"] = root + "/oauth2/token";
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
      pe["remoteId"] = peer->remote_id.value_or(peer->address);
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

ojson n32_settings(const api::SecurityProfile& p) {
  const auto& n32 = *p.spec.n32;
  ojson out;
  out["capability"] = api::to_string(n32.capability);
  out["localSeppFqdn"] = primary_dns_name(p);
  std::vector<api::PlmnId> plmns = n32.remote_plmns;
  std::sort(plmns.begin(), plmns.end(), [](const auto& a, const auto& b) {
    return std::tie(a.mcc, a.mnc) < std::tie(b.mcc, b.mnc);
  });
  ojson remote = ojson::array();
  for (const auto& plmn : plmns) remote.push_back({{"mcc", plmn.mcc}, {"mnc", plmn.mnc}});
  out["remotePlmns"] = std::move(remote);
  out["remoteSeppFqdns"] = string_list(n32.remote_sepp_fqdns, true);
  if (n32.jwe_cipher_suites) out["jweCipherSuites"] = enum_list(*n32.jwe_cipher_suites);
  return out;
}

bool has_ipsec(const api::SecurityProfile& p) {
  return p.spec.ipsec && !p.spec.ipsec->interfaces.empty();
}

// ---- Open5GS ----

ojson open5gs_n32(const api::SecurityProfile& p) {
  const auto& n32 = *p.spec.n32;
  const bool tls = tls_enabled(p);
  const std::string scheme = tls ? "https" : "http";
  // N32-c is always mutually authenticated (TS 33.501 13.2): the client is verified even
  // when the SBI itself is in TLS mode.
  ojson server;
  server["sender"] = primary_dns_name(p);
  server["scheme"] = scheme;
  if (tls) {
    server["private_key"] = kTlsPrivateKeyFile;
    server["cert"] = kTlsCertificateFile;
    server["verify_client"] = true;
    server["verify_client_cacert"] = kCaBundleFile;
  }
  ojson out;
  out["server"] = ojson::array({std::move(server)});
  std::vector<std::string> fqdns = n32.remote_sepp_fqdns;
  std::sort(fqdns.begin(), fqdns.end());
  if (!fqdns.empty()) {
    ojson sepps = ojson::array();
    for (const auto& fqdn : fqdns) {
      ojson c;
      c["receiver"] = fqdn;
      c["uri"] = scheme + "://" + fqdn;
      if (tls) {
        c["cacert"] = kCaBundleFile;
        c["client_private_key"] = kTlsPrivateKeyFile;
        c["client_cert"] = kTlsCertificateFile;
      }
      sepps.push_back(std::move(c));
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
  return detail::to_yaml(doc, {"Effective security settings of this NF, rendered by secprov from " +
                                   origin(profile) + ".",
                               "Generated: local edits are overwritten."});
}

std::string open5gs_yaml(const api::SecurityProfile& profile) {
  std::vector<std::string> comments = {
      "Open5GS (v2.7) fragment rendered by secprov from " + origin(profile) + ".",
      "Merge it into the NF's configuration; the files are mounted from the secprov Secret.",
      "Open5GS compiles in its TLS versions and cipher suites: the profile's minVersion,",
      "cipher suites and groups are not applied natively (see security.yaml)."};
  ojson server;
  ojson client;
  if (tls_enabled(profile)) {
    server["scheme"] = "https";
    server["private_key"] = kTlsPrivateKeyFile;
    server["cert"] = kTlsCertificateFile;
    client["scheme"] = "https";
    client["cacert"] = kCaBundleFile;
    if (mutual_tls(profile)) {
      server["verify_client"] = true;
      server["verify_client_cacert"] = kCaBundleFile;
      client["client_private_key"] = kTlsPrivateKeyFile;
      client["client_cert"] = kTlsCertificateFile;
    }
  } else {
    server["scheme"] = "http";
    client["scheme"] = "http";
  }
  ojson nf;
  nf["default"] = {{"tls", {{"server", std::move(server)}, {"client", std::move(client)}}}};
  if (profile.spec.nf_type == api::NfType::SEPP && profile.spec.n32) {
    if (profile.spec.n32->capability == api::N32Capability::TLS) {
      comments.emplace_back("n32 entries carry identities and TLS only: add address/port (and");
      comments.emplace_back("resolve) of each entry when merging.");
      nf["n32"] = open5gs_n32(profile);
    } else {
      comments.emplace_back("N32 capability PRINS is not supported by the Open5GS SEPP (TLS");
      comments.emplace_back("only): no n32 section rendered.");
    }
  }
  ojson doc;
  doc[detail::lower(api::to_string(profile.spec.nf_type))] = std::move(nf);
  return detail::to_yaml(doc, comments);
}

std::string free5gc_yaml(const api::SecurityProfile& profile) {
  const bool nrf = profile.spec.nf_type == api::NfType::NRF;
  std::vector<std::string> comments = {
      "free5GC fragment rendered by secprov from " + origin(profile) + ".",
      "Merge it into the NF's configuration; the files are mounted from the secprov Secret.",
      "free5GC uses Go's default TLS settings and does not verify client certificates: the",
      "profile's versions, suites, groups and MutualTLS are not applied natively."};
  ojson sbi;
  sbi["scheme"] = tls_enabled(profile) ? "https" : "http";
  if (tls_enabled(profile)) {
    const ojson pair = {{"pem", kTlsCertificateFile}, {"key", kTlsPrivateKeyFile}};
    if (nrf) {
      sbi["cert"] = pair;
      comments.emplace_back("rootcert has no key on purpose: the CA private key never leaves the");
      comments.emplace_back("operator, so the free5GC NRF cannot issue certificates itself.");
      sbi["rootcert"] = {{"pem", kCaBundleFile}};
    } else {
      sbi["tls"] = pair;
    }
  }
  if (nrf) {
    sbi["oauth"] = oauth2_enabled(profile);
    if (oauth2_enabled(profile)) {
      comments.emplace_back(
          "oauth: the free5GC NRF signs its token certificate with the root key at");
      comments.emplace_back(
          "start-up, which it does not get here: token signing needs the enabler.");
    }
  }
  ojson conf;
  conf["sbi"] = std::move(sbi);
  if (!nrf && oauth2_enabled(profile)) {
    comments.emplace_back("nrfCertPem must be the NRF's certificate (its key verifies access");
    comments.emplace_back("tokens), not the CA bundle.");
    conf["nrfCertPem"] = kNrfCertificateFile;
  }
  ojson doc;
  doc["configuration"] = std::move(conf);
  return detail::to_yaml(doc, comments);
}

nlohmann::json security_config_map(const api::SecurityProfile& profile,
                                   const std::string& nf_instance_id) {
  detail::require_identity(profile);
  if (nf_instance_id.empty()) {
    throw std::invalid_argument("security_config_map: nf_instance_id is required");
  }
  nlohmann::json data = {{str(kSecurityYamlKey), security_yaml(profile, nf_instance_id)}};
  if (profile.spec.outputs.open5gs) data[str(kOpen5gsYamlKey)] = open5gs_yaml(profile);
  if (profile.spec.outputs.free5gc) data[str(kFree5gcYamlKey)] = free5gc_yaml(profile);
  return detail::make_object("ConfigMap", config_map_name(profile), profile.metadata.namespace_,
                             managed_labels(profile), owner_reference(profile), std::move(data));
}

}  // namespace secprov::render
