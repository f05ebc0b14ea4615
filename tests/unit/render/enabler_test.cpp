// render/enabler: the HAProxy configuration and the Pod injection of spec.enabler, and the
// API's refusals of enabler specs that cannot be rendered (each naming its field).

#include "render/enabler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/config.h"
#include "render/errors.h"
#include "render/names.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;

constexpr const char* kClient = "6A1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F";

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

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

bool has_line(const std::string& cfg, const std::string& line) {
  const auto lines = lines_of(cfg);
  return std::ranges::find(lines, "    " + line) != lines.end();
}

TEST(EnablerConfig, NativeOrAbsentRendersNothing) {
  EXPECT_EQ(haproxy_cfg(parse(profile_doc())), "");
  json doc = sidecar_doc();
  doc["spec"]["enabler"]["mode"] = "Native";
  EXPECT_EQ(haproxy_cfg(parse(doc)), "");
  const auto cm = security_config_map(parse(doc), testing::kNfInstanceId);
  EXPECT_FALSE(cm.at("data").contains(std::string(kHaproxyCfgKey)));
}

TEST(EnablerRoutes, TheFrontedServerIsTheInboundSideOfASidecar) {
  const auto p = parse(sidecar_doc());
  ASSERT_NE(enabler_fronted_server(p), nullptr);
  EXPECT_EQ(enabler_fronted_server(p)->port, 8080);
  json native = sidecar_doc();
  native["spec"]["enabler"]["mode"] = "Native";
  EXPECT_EQ(enabler_fronted_server(parse(native)), nullptr);
  json outbound_only = sidecar_doc();
  outbound_only["spec"]["enabler"].erase("inbound");
  EXPECT_EQ(enabler_fronted_server(parse(outbound_only)), nullptr);
  EXPECT_EQ(enabler_fronted_server(parse(profile_doc())), nullptr);
}

TEST(EnablerRoutes, AnAuthorityRoutesThroughTheOutboundPeerWithItsHostAndPort) {
  const auto p = parse(sidecar_doc());
  const auto route = [&](std::string_view authority) {
    const auto* via = enabler_route_to(p, authority);
    return via ? via->name : std::string("-");
  };
  EXPECT_EQ(route("nrf.5gc.svc"), "nrf");      // no port named: the host decides
  EXPECT_EQ(route("NRF.5gc.svc:443"), "nrf");  // DNS names compare without case
  EXPECT_EQ(route("ausf.5gc.svc:8443"), "ausf");
  EXPECT_EQ(route("nrf.5gc.svc:8443"), "-");           // another port: not this peer
  EXPECT_EQ(route("nrf.5gc.svc.cluster.local"), "-");  // serverName is not where it dials
  EXPECT_EQ(route("nrf.5gc.svc:x"), "-");
  EXPECT_EQ(route("[::1]:443"), "-");
  EXPECT_EQ(route(""), "-");
  json native = sidecar_doc();
  native["spec"]["enabler"]["mode"] = "Native";
  EXPECT_EQ(enabler_route_to(parse(native), "nrf.5gc.svc"), nullptr);
}

TEST(EnablerConfig, SidecarConfigGoesIntoTheProfileConfigMap) {
  const auto profile = parse(sidecar_doc());
  const auto cm = security_config_map(profile, testing::kNfInstanceId);
  EXPECT_EQ(cm.at("data").at(std::string(kHaproxyCfgKey)), haproxy_cfg(profile));
}

// The table: the profile's TLS settings, each exactly once, in the profile's order.
struct TlsCase {
  const char* name;
  json tls;
  std::vector<std::string> expected;  // global lines
  std::vector<std::string> absent;
};

class EnablerTls : public ::testing::TestWithParam<TlsCase> {};

TEST_P(EnablerTls, GlobalDefaultsAreExactlyTheProfiles) {
  json doc = sidecar_doc();
  doc["spec"]["sbi"]["tls"] = GetParam().tls;
  const std::string cfg = haproxy_cfg(parse(doc));
  for (const auto& l : GetParam().expected) EXPECT_TRUE(has_line(cfg, l)) << l << "\n" << cfg;
  for (const auto& l : GetParam().absent) {
    EXPECT_EQ(cfg.find(l), std::string::npos) << l << "\n" << cfg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, EnablerTls,
    ::testing::Values(
        TlsCase{"Defaults",
                json::object(),
                {"ssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3",
                 "ssl-default-server-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3"},
                {"TLSv1.1", "no-tlsv"}},
        TlsCase{"Tls13Only",
                {{"minVersion", "1.3"}, {"maxVersion", "1.3"}},
                {"ssl-default-bind-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3",
                 "ssl-default-server-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3"},
                {"TLSv1.2"}},
        TlsCase{"Tls12Only",
                {{"minVersion", "1.2"}, {"maxVersion", "1.2"}},
                {"ssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2"},
                {"TLSv1.3"}},
        TlsCase{
            "SuitesAndGroupsInProfileOrder",
            // A P-384 key: with TLS 1.2 allowed the groups must hold its curve (api rule).
            {{"certificate", {{"keyAlgorithm", "ECDSA-P384"}}},
             {"tls12CipherSuites",
              {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
               "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
             {"tls13CipherSuites", {"TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"}},
             {"groups", {"secp384r1", "X25519"}}},
            {"ssl-default-bind-ciphers ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384",
             "ssl-default-server-ciphers "
             "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384",
             "ssl-default-bind-ciphersuites TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
             "ssl-default-server-ciphersuites "
             "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
             "ssl-default-bind-curves P-384:X25519"},
            {"P-256", "AES128-GCM-SHA256:", "TLS_AES_256"}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// HAProxy 2.6 has no server-side curves: the outbound groups (and versions) are OpenSSL's
// system default, set by openssl.cnf in the same ConfigMap; haproxy.cfg names them too, so
// its digest (the Pod's annotation) changes with them.
TEST(EnablerOpensslCnf, SystemDefaultHoldsTheProfilesGroupsAndVersions) {
  json doc = sidecar_doc();
  doc["spec"]["sbi"]["tls"] = {{"minVersion", "1.2"},
                               {"maxVersion", "1.3"},
                               {"certificate", {{"keyAlgorithm", "ECDSA-P384"}}},
                               {"groups", {"secp384r1", "X25519"}}};
  const auto profile = parse(doc);
  const std::string cnf = enabler_openssl_cnf(profile);
  const auto lines = lines_of(cnf);
  // The chain OpenSSL 3.0 follows from its default section to SSL_CTX_new's defaults.
  for (const char* l :
       {"openssl_conf = secprov_init", "[secprov_init]", "ssl_conf = secprov_ssl", "[secprov_ssl]",
        "system_default = secprov_system_default", "[secprov_system_default]",
        "MinProtocol = TLSv1.2", "MaxProtocol = TLSv1.3", "Groups = P-384:X25519"}) {
    EXPECT_EQ(std::ranges::count(lines, std::string(l)), 1) << l << "\n" << cnf;
  }
  // Nothing else is set: ciphers and suites stay HAProxy's (per side) settings.
  EXPECT_EQ(cnf.find("Cipher"), std::string::npos) << cnf;
  const auto cm = security_config_map(profile, testing::kNfInstanceId);
  EXPECT_EQ(cm.at("data").at(std::string(kOpensslCnfKey)), cnf);
  const std::string cfg = haproxy_cfg(profile);
  EXPECT_NE(cfg.find("outbound groups P-384:X25519"), std::string::npos) << cfg;

  doc["spec"]["sbi"]["tls"] = {{"minVersion", "1.3"}, {"groups", {"X25519"}}};
  const auto tls13 = parse(doc);
  EXPECT_NE(enabler_openssl_cnf(tls13).find("\nMinProtocol = TLSv1.3\nMaxProtocol = TLSv1.3\n"
                                            "Groups = X25519\n"),
            std::string::npos)
      << enabler_openssl_cnf(tls13);
  EXPECT_NE(enabler_config_digest(tls13), enabler_config_digest(profile));

  EXPECT_EQ(enabler_openssl_cnf(parse(profile_doc())), "");
  EXPECT_FALSE(security_config_map(parse(profile_doc()), testing::kNfInstanceId)
                   .at("data")
                   .contains(std::string(kOpensslCnfKey)));
}

TEST(EnablerConfig, InboundTerminatesMutualTlsWithCrlAndAlpnH2) {
  const std::string cfg = haproxy_cfg(parse(sidecar_doc()));
  EXPECT_TRUE(has_line(cfg,
                       "bind :8443 ssl crt /etc/secprov/enabler/tls/tls.pem ca-file "
                       "/etc/secprov/enabler/ca/ca.crt crl-file /etc/secprov/enabler/ca/ca.crl "
                       "verify required alpn h2"))
      << cfg;
  EXPECT_TRUE(has_line(cfg, "server nf 127.0.0.1:8080 proto h2")) << cfg;
  EXPECT_TRUE(has_line(cfg, "ssl-load-extra-files key")) << cfg;
  EXPECT_EQ(cfg.find("daemon"), std::string::npos);
  EXPECT_EQ(cfg.find("secprov_allowed_client"), std::string::npos);
}

TEST(EnablerConfig, OutboundVerifiesThePeerName) {
  const std::string cfg = haproxy_cfg(parse(sidecar_doc()));
  EXPECT_TRUE(has_line(cfg, "bind 127.0.0.1:9001 proto h2")) << cfg;
  EXPECT_TRUE(has_line(cfg,
                       "server nrf nrf.5gc.svc:443 resolvers secprov-dns init-addr "
                       "last,libc,none ssl verify required ca-file /etc/secprov/enabler/ca/ca.crt "
                       "crl-file /etc/secprov/enabler/ca/ca.crl crt "
                       "/etc/secprov/enabler/tls/tls.pem sni str(nrf.5gc.svc.cluster.local) "
                       "verifyhost nrf.5gc.svc.cluster.local alpn h2"))
      << cfg;
  // serverName defaults to host.
  EXPECT_NE(cfg.find("sni str(ausf.5gc.svc) verifyhost ausf.5gc.svc alpn h2"), std::string::npos)
      << cfg;
  EXPECT_EQ(cfg.find("verify none"), std::string::npos);
}

TEST(EnablerConfig, OutboundOrderIsNoInput) {
  json a = sidecar_doc();
  json b = a;
  std::swap(b["spec"]["enabler"]["outbound"][0], b["spec"]["enabler"]["outbound"][1]);
  EXPECT_EQ(haproxy_cfg(parse(a)), haproxy_cfg(parse(b)));
}

TEST(EnablerConfig, AllowedClientsMatchTheUriSanDer) {
  json doc = sidecar_doc();
  doc["spec"]["enabler"]["inbound"]["allowedClients"] = {kClient};
  const std::string cfg = haproxy_cfg(parse(doc));
  // 0x86 (URI), 45 bytes, "urn:uuid:6a1c2d3e-..." in lower case.
  std::string hex = "862D";
  for (char ch : std::string("urn:uuid:6a1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned char>(ch));
    hex += buf;
  }
  EXPECT_TRUE(has_line(cfg, "acl secprov_allowed_client ssl_c_der,hex -m sub " + hex)) << cfg;
  EXPECT_TRUE(has_line(cfg, "http-request deny deny_status 403 unless secprov_allowed_client"));
}

TEST(EnablerConfig, DisabledTlsIsARenderError) {
  json doc = sidecar_doc();
  doc["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  auto p = api::parse_security_profile(doc);
  ASSERT_TRUE(p.ok());
  EXPECT_THROW(haproxy_cfg(*p), RenderError);
}

TEST(EnablerInjection, MountsExactlyWhatTheConfigNames) {
  json doc = sidecar_doc();
  doc["spec"]["enabler"]["resources"] = {{"limits", {{"memory", "128Mi"}}}};
  const auto profile = parse(doc);
  const auto inj = enabler_injection(profile, "ghcr.io/secprov/enabler:1.2");
  const std::string cfg = haproxy_cfg(profile);
  EXPECT_EQ(inj.profile, "amf");
  EXPECT_EQ(inj.config_digest, enabler_config_digest(profile));
  EXPECT_EQ(inj.image, "ghcr.io/secprov/enabler:1.2");
  EXPECT_EQ(inj.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(inj.command, std::vector<std::string>{"secprov-enabler-agent"});
  EXPECT_EQ(inj.args, (std::vector<std::string>{
                          "--config", "/etc/secprov/enabler/config/haproxy.cfg", "--watch",
                          "/etc/secprov/enabler/tls", "--watch", "/etc/secprov/enabler/ca",
                          "--watch", "/etc/secprov/enabler/config"}));
  EXPECT_EQ(inj.container_ports, std::vector<std::uint16_t>{8443});
  EXPECT_EQ(inj.resources, (json{{"requests", {{"cpu", "10m"}, {"memory", "32Mi"}}},
                                 {"limits", {{"memory", "128Mi"}}}}));
  ASSERT_EQ(inj.volumes.size(), 3u);
  const auto& tls = inj.volumes[0];
  EXPECT_EQ(tls.kind, "Secret");
  EXPECT_EQ(tls.source, "amf-tls");
  EXPECT_EQ(tls.items, (std::vector<VolumeItem>{{"tls.crt", "tls.pem", 0444},
                                                {"tls.key", "tls.pem.key", 0400}}));
  const auto& ca = inj.volumes[1];
  EXPECT_EQ(ca.kind, "ConfigMap");
  EXPECT_EQ(ca.source, "operator-a-ca");
  EXPECT_EQ(ca.items,
            (std::vector<VolumeItem>{{"ca.crt", "ca.crt", 0444}, {"ca.crl", "ca.crl", 0444}}));
  const auto& config = inj.volumes[2];
  EXPECT_EQ(config.source, "amf-security");
  EXPECT_EQ(config.items, (std::vector<VolumeItem>{{"haproxy.cfg", "haproxy.cfg", 0444},
                                                   {"openssl.cnf", "openssl.cnf", 0444}}));
  // OpenSSL reads the mounted openssl.cnf.
  EXPECT_EQ(inj.env,
            (std::vector<EnvVar>{{"OPENSSL_CONF", "/etc/secprov/enabler/config/openssl.cnf"}}));
  EXPECT_EQ(config.mount_path + "/openssl.cnf", kEnablerOpensslCnfFile);
  // Every file the configuration names is a mounted item.
  for (const auto& v : inj.volumes) {
    for (const auto& item : v.items) {
      const std::string file = v.mount_path + "/" + item.path;
      if (item.path == "haproxy.cfg" || item.path == "tls.pem.key") continue;
      EXPECT_NE(cfg.find(file), std::string::npos) << file;
    }
  }
  EXPECT_THROW(enabler_injection(parse(profile_doc()), "x"), std::invalid_argument);
}

TEST(EnablerInjection, ImageOverrides) {
  json doc = sidecar_doc();
  const auto image = [&](json img) {
    doc["spec"]["enabler"]["image"] = std::move(img);
    return enabler_image(parse(doc), "registry:5000/secprov/enabler:1.2");
  };
  EXPECT_EQ(image({{"reference", "example.org/haproxy@sha256:abc"}}),
            "example.org/haproxy@sha256:abc");
  EXPECT_EQ(image({{"tag", "1.3"}}), "registry:5000/secprov/enabler:1.3");
  EXPECT_EQ(image({{"repository", "example.org/e"}}), "example.org/e:1.2");
  EXPECT_EQ(image({{"repository", "example.org/e"}, {"tag", "t"}}), "example.org/e:t");
  EXPECT_EQ(image({{"pullPolicy", "Always"}}), "registry:5000/secprov/enabler:1.2");
  EXPECT_EQ(enabler_injection(parse(doc), "x:1").image_pull_policy, "Always");
}

// ---- the API refuses what cannot be rendered, naming the field ----

struct InvalidCase {
  const char* name;
  const char* pointer;
  json value;
  const char* field;
};

class EnablerInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(EnablerInvalid, RefusedWithTheFieldNamed) {
  json doc = sidecar_doc();
  doc[json::json_pointer(GetParam().pointer)] = GetParam().value;
  const auto errs = api::check_security_profile(doc);
  std::vector<std::string> fields;
  for (const auto& e : errs) fields.push_back(e.field);
  EXPECT_NE(std::ranges::find(fields, GetParam().field), fields.end())
      << ::testing::PrintToString(fields);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EnablerInvalid,
    ::testing::Values(
        InvalidCase{"PortZero", "/spec/enabler/inbound/port", 0, "spec.enabler.inbound.port"},
        InvalidCase{"PortTooHigh", "/spec/enabler/inbound/tlsPort", 65536,
                    "spec.enabler.inbound.tlsPort"},
        InvalidCase{"TlsPortIsPlainPort", "/spec/enabler/inbound/tlsPort", 8080,
                    "spec.enabler.inbound.tlsPort"},
        InvalidCase{"LocalPortIsInboundPort", "/spec/enabler/outbound/0/localPort", 8443,
                    "spec.enabler.outbound"},
        InvalidCase{"LocalPortsNotDistinct", "/spec/enabler/outbound/1/localPort", 9001,
                    "spec.enabler.outbound"},
        InvalidCase{"OutboundNameNotALabel", "/spec/enabler/outbound/0/name", "Nrf_1",
                    "spec.enabler.outbound[0].name"},
        InvalidCase{"OutboundNamesTwice", "/spec/enabler/outbound/1/name", "nrf",
                    "spec.enabler.outbound[1]"},
        InvalidCase{"HostNotADnsName", "/spec/enabler/outbound/0/host", "nrf 5gc",
                    "spec.enabler.outbound[0].host"},
        InvalidCase{"ServerNameInjection", "/spec/enabler/outbound/0/serverName", "a verify none",
                    "spec.enabler.outbound[0].serverName"},
        InvalidCase{"OutboundPortMissing", "/spec/enabler/outbound/0/port", nullptr,
                    "spec.enabler.outbound[0].port"},
        InvalidCase{"AllowedClientNotAUuid", "/spec/enabler/inbound/allowedClients",
                    json::array({"amf-1"}), "spec.enabler.inbound.allowedClients[0]"},
        InvalidCase{"SidecarWithTlsDisabled", "/spec/sbi/tls/mode", "Disabled",
                    "spec.enabler.mode"},
        InvalidCase{"SidecarWithoutTraffic", "/spec/enabler", json{{"mode", "Sidecar"}},
                    "spec.enabler"},
        InvalidCase{"UnknownMode", "/spec/enabler/mode", "Ambient", "spec.enabler.mode"},
        InvalidCase{"UnknownField", "/spec/enabler/inbound/address", "0.0.0.0",
                    "spec.enabler.inbound.address"},
        InvalidCase{"QuantityNotAQuantity", "/spec/enabler/resources",
                    json{{"limits", {{"memory", "lots"}}}}, "spec.enabler.resources.limits.memory"},
        InvalidCase{"ReferenceAndTag", "/spec/enabler/image",
                    json{{"reference", "a/b:1"}, {"tag", "2"}}, "spec.enabler.image"},
        InvalidCase{"TagWithSpace", "/spec/enabler/image", json{{"tag", "1 2"}},
                    "spec.enabler.image.tag"},
        InvalidCase{"UnknownRollout", "/spec/enabler/rollout", "Always", "spec.enabler.rollout"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace secprov::render
