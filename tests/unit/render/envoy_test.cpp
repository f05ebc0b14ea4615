// render/envoy: the Envoy v3 bootstrap (a second, unwired enabler template), parsed back with
// yaml-cpp and checked field by field against the profile, for a table of profiles.

#include "render/envoy.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "render/config.h"
#include "render/enabler.h"
#include "render/errors.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;

constexpr const char* kClientA = "6A1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F";
constexpr const char* kClientB = "0B1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F";

json sidecar_doc() {
  json doc = profile_doc();
  doc["spec"]["enabler"] = {
      {"mode", "Sidecar"},
      {"inbound", {{"port", 8080}, {"tlsPort", 8443}}},
      {"outbound",
       {{{"name", "nrf"},
         {"localPort", 9001},
         {"host", "nrf.5gc.svc"},
         {"port", 443},
         {"serverName", "nrf.5gc.svc.cluster.local"}},
        {{"name", "ausf"}, {"localPort", 9002}, {"host", "ausf.5gc.svc"}, {"port", 8443}}}}};
  return doc;
}

std::vector<std::string> strings(const YAML::Node& seq) {
  std::vector<std::string> out;
  for (const auto& n : seq) out.push_back(n.as<std::string>());
  return out;
}

YAML::Node by_name(const YAML::Node& seq, const std::string& name) {
  for (const auto& n : seq) {
    if (n["name"].as<std::string>() == name) return n;
  }
  ADD_FAILURE() << "no entry named " << name;
  return YAML::Node();
}

struct Expected {
  std::string min_version;
  std::string max_version;
  std::vector<std::string> ciphers;  // empty: the key is absent
  std::vector<std::string> curves;
};

void expect_common_tls_context(const YAML::Node& ctx, const Expected& x,
                               const std::string& san_type, const std::vector<std::string>& sans) {
  const auto params = ctx["tls_params"];
  EXPECT_EQ(params["tls_minimum_protocol_version"].as<std::string>(), x.min_version);
  EXPECT_EQ(params["tls_maximum_protocol_version"].as<std::string>(), x.max_version);
  if (x.ciphers.empty()) {
    EXPECT_FALSE(params["cipher_suites"]);
  } else {
    EXPECT_EQ(strings(params["cipher_suites"]), x.ciphers);
  }
  EXPECT_EQ(strings(params["ecdh_curves"]), x.curves);
  EXPECT_EQ(strings(ctx["alpn_protocols"]), std::vector<std::string>{"h2"});
  ASSERT_EQ(ctx["tls_certificates"].size(), 1U);
  const auto cert = ctx["tls_certificates"][0];
  EXPECT_EQ(cert["certificate_chain"]["filename"].as<std::string>(), kEnablerCertificateFile);
  EXPECT_EQ(cert["private_key"]["filename"].as<std::string>(), kEnablerPrivateKeyFile);
  const auto v = ctx["validation_context"];
  EXPECT_EQ(v["trusted_ca"]["filename"].as<std::string>(), kEnablerCaFile);
  EXPECT_EQ(v["crl"]["filename"].as<std::string>(), kEnablerCrlFile);
  if (sans.empty()) {
    EXPECT_FALSE(v["match_typed_subject_alt_names"]);
    return;
  }
  std::vector<std::string> got;
  for (const auto& m : v["match_typed_subject_alt_names"]) {
    EXPECT_EQ(m["san_type"].as<std::string>(), san_type);
    got.push_back(m["matcher"]["exact"].as<std::string>());
  }
  EXPECT_EQ(got, sans);
}

std::string endpoint_address(const YAML::Node& cluster) {
  const auto sa = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
                         ["address"]["socket_address"];
  return sa["address"].as<std::string>() + ":" + sa["port_value"].as<std::string>();
}

void expect_h2(const YAML::Node& cluster) {
  const auto opts = cluster["typed_extension_protocol_options"]
                           ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
  EXPECT_EQ(opts["@type"].as<std::string>(),
            "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
  EXPECT_TRUE(opts["explicit_http_config"]["http2_protocol_options"].IsMap());
}

// The cluster a listener's HTTP connection manager routes every request to.
std::string routed_cluster(const YAML::Node& listener) {
  const auto hcm = listener["filter_chains"][0]["filters"][0];
  EXPECT_EQ(hcm["name"].as<std::string>(), "envoy.filters.network.http_connection_manager");
  const auto cfg = hcm["typed_config"];
  EXPECT_EQ(cfg["codec_type"].as<std::string>(), "HTTP2");
  const auto route = cfg["route_config"]["virtual_hosts"][0];
  EXPECT_EQ(strings(route["domains"]), std::vector<std::string>{"*"});
  EXPECT_EQ(route["routes"][0]["match"]["prefix"].as<std::string>(), "/");
  EXPECT_EQ(cfg["http_filters"][0]["name"].as<std::string>(), "envoy.filters.http.router");
  return route["routes"][0]["route"]["cluster"].as<std::string>();
}

struct EnvoyCase {
  const char* name;
  json tls;              // spec.sbi.tls
  json allowed_clients;  // null: not set
  json outbound;         // null: the two of sidecar_doc()
  Expected expected;
  std::vector<std::string> client_uris;  // sorted
};

void PrintTo(const EnvoyCase& c, std::ostream* os) {
  *os << c.name;
}

class EnvoyTable : public ::testing::TestWithParam<EnvoyCase> {};

TEST_P(EnvoyTable, BootstrapCarriesExactlyTheProfile) {
  const auto& c = GetParam();
  json doc = sidecar_doc();
  doc["spec"]["sbi"]["tls"] = c.tls;
  if (!c.allowed_clients.is_null()) {
    doc["spec"]["enabler"]["inbound"]["allowedClients"] = c.allowed_clients;
  }
  if (!c.outbound.is_null()) doc["spec"]["enabler"]["outbound"] = c.outbound;
  const auto profile = parse(doc);
  const std::string text = envoy_yaml(profile);
  SCOPED_TRACE(text);
  const YAML::Node root = YAML::Load(text);
  const auto listeners = root["static_resources"]["listeners"];
  const auto clusters = root["static_resources"]["clusters"];

  // Inbound: mutual TLS on tlsPort -> h2c to 127.0.0.1:port.
  const auto in = by_name(listeners, "secprov-inbound");
  EXPECT_EQ(in["address"]["socket_address"]["port_value"].as<int>(), 8443);
  EXPECT_EQ(routed_cluster(in), "secprov-nf");
  const auto ts = in["filter_chains"][0]["transport_socket"];
  EXPECT_EQ(ts["name"].as<std::string>(), "envoy.transport_sockets.tls");
  EXPECT_EQ(ts["typed_config"]["@type"].as<std::string>(),
            "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext");
  EXPECT_TRUE(ts["typed_config"]["require_client_certificate"].as<bool>());
  expect_common_tls_context(ts["typed_config"]["common_tls_context"], c.expected, "URI",
                            c.client_uris);
  const auto nf = by_name(clusters, "secprov-nf");
  EXPECT_EQ(endpoint_address(nf), "127.0.0.1:8080");
  EXPECT_FALSE(nf["transport_socket"]);
  expect_h2(nf);

  // Outbound: h2c on 127.0.0.1:localPort -> mutual TLS to host:port verifying serverName.
  const auto& outs = profile.spec.enabler->outbound;
  EXPECT_EQ(listeners.size(), outs.size() + 1);
  EXPECT_EQ(clusters.size(), outs.size() + 1);
  for (const auto& o : outs) {
    const std::string name = "secprov-out-" + o.name;
    const std::string server_name = o.server_name.value_or(o.host);
    const auto l = by_name(listeners, name);
    EXPECT_EQ(l["address"]["socket_address"]["address"].as<std::string>(), "127.0.0.1");
    EXPECT_EQ(l["address"]["socket_address"]["port_value"].as<int>(), o.local_port);
    EXPECT_FALSE(l["filter_chains"][0]["transport_socket"]);
    EXPECT_EQ(routed_cluster(l), name);
    const auto cl = by_name(clusters, name);
    EXPECT_EQ(endpoint_address(cl), o.host + ":" + std::to_string(o.port));
    expect_h2(cl);
    const auto up = cl["transport_socket"]["typed_config"];
    EXPECT_EQ(up["@type"].as<std::string>(),
              "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
    EXPECT_EQ(up["sni"].as<std::string>(), server_name);
    expect_common_tls_context(up["common_tls_context"], c.expected, "DNS", {server_name});
  }
}

const Expected kDefaults{"TLSv1_2",
                         "TLSv1_3",
                         {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                          "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
                         {"X25519", "P-256", "P-384"}};

INSTANTIATE_TEST_SUITE_P(
    Table, EnvoyTable,
    ::testing::Values(
        EnvoyCase{"Defaults", json::object(), nullptr, nullptr, kDefaults, {}},
        EnvoyCase{"Tls13Only",
                  {{"minVersion", "1.3"}, {"maxVersion", "1.3"}},
                  nullptr,
                  nullptr,
                  {"TLSv1_3", "TLSv1_3", kDefaults.ciphers, kDefaults.curves},
                  {}},
        EnvoyCase{"Tls12Only",
                  {{"minVersion", "1.2"}, {"maxVersion", "1.2"}},
                  nullptr,
                  nullptr,
                  {"TLSv1_2", "TLSv1_2", kDefaults.ciphers, kDefaults.curves},
                  {}},
        EnvoyCase{"SuitesAndGroupsInProfileOrder",
                  {{"tls12CipherSuites",
                    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                     "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
                   {"groups", {"secp384r1", "X25519"}},
                   {"certificate", {{"keyAlgorithm", "ECDSA-P384"}}}},
                  nullptr,
                  nullptr,
                  {"TLSv1_2",
                   "TLSv1_3",
                   {"ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES256-GCM-SHA384"},
                   {"P-384", "X25519"}},
                  {}},
        EnvoyCase{"AllowedClientsSortedAsUris",
                  json::object(),
                  {kClientA, kClientB},
                  nullptr,
                  kDefaults,
                  // as the certificates carry them: normalized to lower case
                  {"urn:uuid:0b1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                   "urn:uuid:6a1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"}},
        EnvoyCase{
            "OneOutboundWithoutServerName",
            json::object(),
            nullptr,
            {{{"name", "smf"}, {"localPort", 9100}, {"host", "smf.core.svc"}, {"port", 7777}}},
            kDefaults,
            {}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(EnvoyConfig, NativeOrAbsentRendersNothing) {
  EXPECT_EQ(envoy_yaml(parse(profile_doc())), "");
  json doc = sidecar_doc();
  doc["spec"]["enabler"]["mode"] = "Native";
  EXPECT_EQ(envoy_yaml(parse(doc)), "");
}

TEST(EnvoyConfig, DeterministicAndIndependentOfOutboundOrder) {
  json doc = sidecar_doc();
  const std::string a = envoy_yaml(parse(doc));
  auto& outs = doc["spec"]["enabler"]["outbound"];
  std::swap(outs[0], outs[1]);
  EXPECT_EQ(envoy_yaml(parse(doc)), a);
  const YAML::Node listeners = YAML::Load(a)["static_resources"]["listeners"];
  ASSERT_EQ(listeners.size(), 3U);
  EXPECT_EQ(listeners[1]["name"].as<std::string>(), "secprov-out-ausf");
  EXPECT_EQ(listeners[2]["name"].as<std::string>(), "secprov-out-nrf");
}

// Not wired: the ConfigMap still carries the HAProxy configuration only.
TEST(EnvoyConfig, NotPutIntoTheConfigMap) {
  const auto cm = security_config_map(parse(sidecar_doc()), testing::kNfInstanceId);
  for (const auto& [key, value] : cm.at("data").items()) {
    EXPECT_EQ(value.get<std::string>().find("static_resources"), std::string::npos) << key;
  }
}

TEST(EnvoyConfig, RefusesSidecarWithoutTls) {
  json doc = sidecar_doc();
  auto profile = parse(doc);
  profile.spec.sbi.tls.mode = api::TlsMode::Disabled;
  EXPECT_THROW(envoy_yaml(profile), RenderError);
}

}  // namespace
}  // namespace secprov::render
