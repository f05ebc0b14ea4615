#include "render/config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "render/digest.h"
#include "render/labels.h"
#include "render/names.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::kNfInstanceId;
using testing::load_yaml;
using testing::parse;
using testing::profile_doc;
using testing::with;

YAML::Node security_of(const api::SecurityProfile& p) {
  return load_yaml(security_yaml(p, kNfInstanceId));
}

json sepp_doc(const std::string& capability = "TLS") {
  json doc = profile_doc("SEPP");
  doc["metadata"]["name"] = "sepp";
  doc["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] = {
      "sepp.5gc.mnc001.mcc001.3gppnetwork.org"};
  // Listed out of name order: the rendering sorts peers by name.
  doc["spec"]["n32"] = {{"capability", capability},
                        {"peers",
                         {{{"name", "mnc003-mcc003"},
                           {"fqdn", "sepp.5gc.mnc003.mcc003.3gppnetwork.org"},
                           {"plmns", {{{"mcc", "003"}, {"mnc", "03"}}}},
                           {"trustAnchorRef", {{"kind", "Secret"}, {"name", "roots-3"}}}},
                          {{"name", "mnc002-mcc002"},
                           {"fqdn", "sepp.5gc.mnc002.mcc002.3gppnetwork.org"},
                           {"plmns", {{{"mcc", "002"}, {"mnc", "02"}}}},
                           {"trustAnchorRef", {{"name", "roots-2"}, {"key", "roots.pem"}}}}}}};
  return doc;
}

// ---------------------------------------------------------------- security.yaml

TEST(SecurityYaml, MutualTlsDefaults) {
  const YAML::Node y = security_of(parse(profile_doc()));
  EXPECT_EQ(y["nfType"].as<std::string>(), "AMF");
  EXPECT_EQ(y["nfInstanceId"].as<std::string>(), kNfInstanceId);
  EXPECT_EQ(y["trustDomain"].as<std::string>(), "operator-a");
  const YAML::Node sbi = y["sbi"];
  EXPECT_EQ(sbi["scheme"].as<std::string>(), "https");
  const YAML::Node tls = sbi["tls"];
  EXPECT_EQ(tls["mode"].as<std::string>(), "MutualTLS");
  EXPECT_EQ(tls["minVersion"].as<std::string>(), "1.2");
  EXPECT_EQ(tls["maxVersion"].as<std::string>(), "1.3");
  EXPECT_TRUE(tls["verifyClient"].as<bool>());
  EXPECT_EQ(tls["tls12CipherSuites"].size(), 4u);
  EXPECT_EQ(tls["tls12CipherSuites"][0].as<std::string>(),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(tls["tls13CipherSuites"][2].as<std::string>(), "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(tls["groups"][1].as<std::string>(), "secp256r1");
  const YAML::Node openssl = tls["openssl"];
  EXPECT_EQ(openssl["cipherList"].as<std::string>(),
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(openssl["ciphersuites"].as<std::string>(),
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(openssl["groups"].as<std::string>(), "X25519:P-256:P-384");
  EXPECT_EQ(openssl["minProtocol"].as<std::string>(), "TLSv1.2");
  EXPECT_EQ(openssl["maxProtocol"].as<std::string>(), "TLSv1.3");
  EXPECT_EQ(tls["certificateFile"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_EQ(tls["privateKeyFile"].as<std::string>(), "/etc/secprov/tls/tls.key");
  EXPECT_EQ(tls["caFile"].as<std::string>(), "/etc/secprov/tls/ca.crt");
  EXPECT_EQ(tls["serverName"].as<std::string>(), "amf.5gc.svc");
  EXPECT_EQ(
      tls["subjectAltNames"]["dnsNames"].as<std::vector<std::string>>(),
      (std::vector<std::string>{"amf", "amf.5gc", "amf.5gc.svc", "amf.5gc.svc.cluster.local"}));
  EXPECT_EQ(tls["subjectAltNames"]["uris"][0].as<std::string>(),
            std::string("urn:uuid:") + kNfInstanceId);
  EXPECT_FALSE(sbi["oauth2"]["enabled"].as<bool>());
  EXPECT_FALSE(y["ipsec"].IsDefined());
  EXPECT_FALSE(y["n32"].IsDefined());
}

TEST(SecurityYaml, VersionsAreQuotedStrings) {
  const std::string text = security_yaml(parse(profile_doc()), kNfInstanceId);
  EXPECT_NE(text.find("minVersion: \"1.2\""), std::string::npos) << text;
  EXPECT_EQ(text.rfind("# ", 0), 0u);  // starts with the header comment
}

TEST(SecurityYaml, ServerOnlyTls) {
  const YAML::Node y = security_of(with(profile_doc(), "/spec/sbi/tls/mode", "TLS"));
  EXPECT_EQ(y["sbi"]["scheme"].as<std::string>(), "https");
  EXPECT_EQ(y["sbi"]["tls"]["mode"].as<std::string>(), "TLS");
  EXPECT_FALSE(y["sbi"]["tls"]["verifyClient"].as<bool>());
  EXPECT_TRUE(y["sbi"]["tls"]["certificateFile"].IsDefined());
}

TEST(SecurityYaml, DisabledIsPlainHttpWithoutTlsSettings) {
  const YAML::Node y = security_of(with(profile_doc(), "/spec/sbi/tls/mode", "Disabled"));
  EXPECT_EQ(y["sbi"]["scheme"].as<std::string>(), "http");
  EXPECT_EQ(y["sbi"]["tls"]["mode"].as<std::string>(), "Disabled");
  EXPECT_EQ(y["sbi"]["tls"].size(), 1u);
}

TEST(SecurityYaml, SuitesKeepPreferenceOrderAndFollowVersions) {
  json doc = profile_doc();
  doc["spec"]["sbi"]["tls"]["tls12CipherSuites"] = {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"};
  doc["spec"]["sbi"]["tls"]["groups"] = {"secp384r1", "X25519"};
  doc["spec"]["sbi"]["tls"]["certificate"]["keyAlgorithm"] = "ECDSA-P384";  // in the groups
  doc["spec"]["sbi"]["tls"]["maxVersion"] = "1.2";
  YAML::Node y = security_of(parse(doc));
  EXPECT_EQ(y["sbi"]["tls"]["openssl"]["cipherList"].as<std::string>(),
            "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(y["sbi"]["tls"]["openssl"]["groups"].as<std::string>(), "P-384:X25519");
  EXPECT_FALSE(y["sbi"]["tls"]["tls13CipherSuites"].IsDefined());
  EXPECT_FALSE(y["sbi"]["tls"]["openssl"]["ciphersuites"].IsDefined());

  y = security_of(with(profile_doc(), "/spec/sbi/tls/minVersion", "1.3"));
  EXPECT_FALSE(y["sbi"]["tls"]["tls12CipherSuites"].IsDefined());
  EXPECT_FALSE(y["sbi"]["tls"]["openssl"]["cipherList"].IsDefined());
  EXPECT_EQ(y["sbi"]["tls"]["openssl"]["minProtocol"].as<std::string>(), "TLSv1.3");
}

TEST(SecurityYaml, OAuth2) {
  json doc = profile_doc();
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true},
                                  {"nrfApiRoot", "https://nrf.5gc.svc:8443/"},
                                  {"nrfInstanceId", "0a0b0c0d-0000-4000-8000-000000000001"},
                                  {"role", "Producer"},
                                  {"scopes", {"namf-evts", "namf-comm"}}};
  const YAML::Node o = security_of(parse(doc))["sbi"]["oauth2"];
  EXPECT_TRUE(o["enabled"].as<bool>());
  EXPECT_EQ(o["role"].as<std::string>(), "Producer");
  EXPECT_EQ(o["tokenEndpoint"].as<std::string>(), "https://nrf.5gc.svc:8443/oauth2/token");
  EXPECT_EQ(o["nrfInstanceId"].as<std::string>(), "0a0b0c0d-0000-4000-8000-000000000001");
  EXPECT_EQ(o["scopes"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"namf-comm", "namf-evts"}));
  EXPECT_EQ(o["acceptedAlgorithms"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"ES256", "RS256"}));
}

TEST(SecurityYaml, IpsecAndN32) {
  json doc = sepp_doc("PRINS");
  doc["spec"]["n32"]["jweCipherSuites"] = {"A256GCM"};
  doc["spec"]["ipsec"]["interfaces"] = {
      {{"name", "N4"},
       {"authentication", "PreSharedKey"},
       {"peers",
        {{{"name", "upf-b"}, {"address", "10.0.0.2"}},
         {{"name", "upf-a"}, {"address", "10.0.0.1"}, {"remoteId", "upf-a.example"}}}}}};
  const YAML::Node y = security_of(parse(doc));
  const YAML::Node n32 = y["n32"];
  EXPECT_EQ(n32["capability"].as<std::string>(), "PRINS");
  EXPECT_EQ(n32["localSeppFqdn"].as<std::string>(), "sepp.5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(n32["homeTrustAnchor"]["configMap"].as<std::string>(), "operator-a-ca");
  EXPECT_EQ(n32["homeTrustAnchor"]["key"].as<std::string>(), "ca.crt");
  const YAML::Node peer = n32["peers"][0];  // sorted by name
  EXPECT_EQ(peer["name"].as<std::string>(), "mnc002-mcc002");
  EXPECT_EQ(peer["fqdn"].as<std::string>(), "sepp.5gc.mnc002.mcc002.3gppnetwork.org");
  EXPECT_EQ(peer["plmns"][0]["mcc"].as<std::string>(), "002");  // stays a string
  EXPECT_EQ(peer["plmns"][0]["mnc"].as<std::string>(), "02");
  EXPECT_EQ(peer["trustAnchor"]["kind"].as<std::string>(), "ConfigMap");
  EXPECT_EQ(peer["trustAnchor"]["name"].as<std::string>(), "roots-2");
  EXPECT_EQ(peer["trustAnchor"]["file"].as<std::string>(),
            "/etc/secprov/n32/mnc002-mcc002/roots.pem");
  EXPECT_EQ(n32["peers"][1]["trustAnchor"]["kind"].as<std::string>(), "Secret");
  EXPECT_EQ(n32["jweCipherSuites"][0].as<std::string>(), "A256GCM");

  const YAML::Node ipsec = y["ipsec"];
  EXPECT_EQ(ipsec["swanctlFile"].as<std::string>(), "/etc/secprov/ipsec/swanctl.conf");
  const YAML::Node n4 = ipsec["interfaces"][0];
  EXPECT_EQ(n4["name"].as<std::string>(), "N4");
  EXPECT_EQ(n4["mode"].as<std::string>(), "Tunnel");
  EXPECT_EQ(n4["ike"]["proposals"][0].as<std::string>(), "aes256gcm16-prfsha384-ecp384");
  EXPECT_EQ(n4["ike"]["lifetime"].as<std::string>(), "24h");
  EXPECT_EQ(n4["esp"]["lifetime"].as<std::string>(), "8h");
  EXPECT_EQ(n4["peers"][0]["name"].as<std::string>(), "upf-a");
  EXPECT_EQ(n4["peers"][0]["remoteId"].as<std::string>(), "upf-a.example");
  // By default the certificate name of the profile named like the peer, as in swanctl.conf.
  EXPECT_EQ(n4["peers"][1]["remoteId"].as<std::string>(), "upf-b.5gc.svc");
  EXPECT_EQ(n4["peers"][1]["preSharedKey"].as<std::string>(), "psk-n4-upf-b");
}

TEST(SecurityYaml, RequiresNfInstanceId) {
  EXPECT_THROW(security_yaml(parse(profile_doc()), ""), std::invalid_argument);
  EXPECT_THROW(security_config_map(parse(profile_doc()), ""), std::invalid_argument);
}

// ---------------------------------------------------------------- ConfigMap

TEST(SecurityConfigMap, OutputsOffGivesOnlyTheNeutralDocument) {
  const auto p = parse(profile_doc());
  const json cm = security_config_map(p, kNfInstanceId);
  EXPECT_EQ(cm["apiVersion"], "v1");
  EXPECT_EQ(cm["kind"], "ConfigMap");
  EXPECT_EQ(cm["metadata"]["name"], "amf-security");
  EXPECT_EQ(cm["metadata"]["namespace"], "5gc");
  EXPECT_EQ(cm["metadata"]["labels"], json(managed_labels(p)));
  EXPECT_EQ(cm["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  ASSERT_EQ(cm["data"].size(), 1u);
  EXPECT_EQ(cm["data"]["security.yaml"], security_yaml(p, kNfInstanceId));
  EXPECT_FALSE(cm["metadata"].contains("annotations"));  // digests: ProfilePlan
}

TEST(SecurityConfigMap, OutputsOnAddNativeFragments) {
  json doc = profile_doc();
  doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
  const auto p = parse(doc);
  const json cm = security_config_map(p, kNfInstanceId);
  ASSERT_EQ(cm["data"].size(), 3u);
  EXPECT_EQ(cm["data"]["open5gs.yaml"], open5gs_yaml(p).value());
  EXPECT_EQ(cm["data"]["free5gc.yaml"], free5gc_yaml(p));
  doc["spec"]["outputs"]["free5gc"] = false;
  const json only_open5gs = security_config_map(parse(doc), kNfInstanceId);
  EXPECT_TRUE(only_open5gs["data"].contains("open5gs.yaml"));
  EXPECT_FALSE(only_open5gs["data"].contains("free5gc.yaml"));
  EXPECT_NE(only_open5gs["data"], cm["data"]);
}

TEST(SecurityConfigMap, DigestChangesWithTheProfile) {
  const json a = security_config_map(parse(profile_doc()), kNfInstanceId);
  const json b =
      security_config_map(with(profile_doc(), "/spec/sbi/tls/mode", "TLS"), kNfInstanceId);
  EXPECT_NE(data_digests(a["data"], DataEncoding::Plain).at("security.yaml"),
            data_digests(b["data"], DataEncoding::Plain).at("security.yaml"));
}

TEST(SecurityConfigMap, Deterministic) {
  json doc = sepp_doc();
  doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
  doc["spec"]["selector"]["matchLabels"] = {{"app", "sepp"}, {"tier", "core"}};
  doc["spec"]["ipsec"]["interfaces"] = {
      {{"name", "N9"},
       {"peers",
        {{{"name", "b"}, {"address", "10.0.0.2"}}, {{"name", "a"}, {"address", "10.0.0.1"}}}}},
      {{"name", "N4"}, {"peers", {{{"name", "smf"}, {"address", "10.0.1.1"}}}}}};
  const json first = security_config_map(parse(doc), kNfInstanceId);
  EXPECT_EQ(first.dump(), security_config_map(parse(doc), kNfInstanceId).dump());

  // The same profile written with other key orders and list-map orders.
  const json reordered = json::parse(R"({
    "spec": {
      "ipsec": {"interfaces": [
        {"peers": [{"address": "10.0.1.1", "name": "smf"}], "name": "N4"},
        {"name": "N9", "peers": [{"name": "a", "address": "10.0.0.1"}, {"address": "10.0.0.2", "name": "b"}]}]},
      "outputs": {"free5gc": true, "open5gs": true},
      "n32": {"peers": [
                {"trustAnchorRef": {"key": "roots.pem", "name": "roots-2"}, "plmns": [{"mnc": "02", "mcc": "002"}],
                 "fqdn": "sepp.5gc.mnc002.mcc002.3gppnetwork.org", "name": "mnc002-mcc002"},
                {"name": "mnc003-mcc003", "fqdn": "sepp.5gc.mnc003.mcc003.3gppnetwork.org",
                 "plmns": [{"mcc": "003", "mnc": "03"}], "trustAnchorRef": {"name": "roots-3", "kind": "Secret"}}],
              "capability": "TLS"},
      "trustDomainRef": {"name": "operator-a"},
      "sbi": {"tls": {"certificate": {"extraDnsNames": ["sepp.5gc.mnc001.mcc001.3gppnetwork.org"]}}},
      "selector": {"matchLabels": {"tier": "core", "app": "sepp"}},
      "nfType": "SEPP"
    },
    "metadata": {"uid": "uid-1", "namespace": "5gc", "name": "sepp"},
    "kind": "SecurityProfile", "apiVersion": "secprov.io/v1alpha1"
  })");
  EXPECT_EQ(security_config_map(parse(reordered), kNfInstanceId).dump(), first.dump());
}

TEST(SecurityConfigMap, AmbiguousScalarsSurviveTheRoundTrip) {
  json doc = sepp_doc();
  doc["spec"]["n32"]["peers"][0]["plmns"] = {{{"mcc", "001"}, {"mnc", "010"}}};
  const std::string id = "12345678-1234-4234-8234-123456789012";
  const YAML::Node y = load_yaml(security_yaml(parse(doc), id));
  EXPECT_EQ(y["nfInstanceId"].as<std::string>(), id);
  EXPECT_EQ(y["n32"]["peers"][1]["plmns"][0]["mcc"].as<std::string>(), "001");
  EXPECT_EQ(y["n32"]["peers"][1]["plmns"][0]["mnc"].as<std::string>(), "010");
  const std::string text = security_yaml(parse(doc), id);
  EXPECT_NE(text.find("mnc: \"010\""), std::string::npos) << text;
}

// ---------------------------------------------------------------- Open5GS

TEST(Open5gsYaml, AmfMutualTls) {
  const YAML::Node y = load_yaml(open5gs_yaml(parse(profile_doc())).value());
  ASSERT_TRUE(y["amf"].IsMap());
  const YAML::Node server = y["amf"]["default"]["tls"]["server"];
  const YAML::Node client = y["amf"]["default"]["tls"]["client"];
  EXPECT_EQ(server["scheme"].as<std::string>(), "https");
  EXPECT_EQ(server["private_key"].as<std::string>(), "/etc/secprov/tls/tls.key");
  EXPECT_EQ(server["cert"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_TRUE(server["verify_client"].as<bool>());
  EXPECT_EQ(server["verify_client_cacert"].as<std::string>(), "/etc/secprov/tls/ca.crt");
  EXPECT_EQ(client["scheme"].as<std::string>(), "https");
  EXPECT_EQ(client["cacert"].as<std::string>(), "/etc/secprov/tls/ca.crt");
  EXPECT_EQ(client["client_private_key"].as<std::string>(), "/etc/secprov/tls/tls.key");
  EXPECT_EQ(client["client_cert"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_FALSE(y["amf"]["n32"].IsDefined());
}

TEST(Open5gsYaml, ServerOnlyTlsAndDisabled) {
  YAML::Node y = load_yaml(open5gs_yaml(with(profile_doc(), "/spec/sbi/tls/mode", "TLS")).value());
  EXPECT_EQ(y["amf"]["default"]["tls"]["server"]["scheme"].as<std::string>(), "https");
  EXPECT_FALSE(y["amf"]["default"]["tls"]["server"]["verify_client"].IsDefined());
  EXPECT_FALSE(y["amf"]["default"]["tls"]["client"]["client_cert"].IsDefined());
  EXPECT_TRUE(y["amf"]["default"]["tls"]["client"]["cacert"].IsDefined());

  y = load_yaml(open5gs_yaml(with(profile_doc(), "/spec/sbi/tls/mode", "Disabled")).value());
  const YAML::Node server = y["amf"]["default"]["tls"]["server"];
  EXPECT_EQ(server["scheme"].as<std::string>(), "http");
  EXPECT_EQ(server.size(), 1u);  // no key, certificate or CA paths
  EXPECT_EQ(y["amf"]["default"]["tls"]["client"].size(), 1u);
}

TEST(Open5gsYaml, SeppN32ClientPerPeerWithItsOwnRoots) {
  const std::string text = open5gs_yaml(parse(sepp_doc())).value();
  const YAML::Node y = load_yaml(text);
  const YAML::Node n32 = y["sepp"]["n32"];
  ASSERT_TRUE(n32.IsMap());
  ASSERT_EQ(n32["server"].size(), 1u);
  const YAML::Node server = n32["server"][0];
  EXPECT_EQ(server["sender"].as<std::string>(), "sepp.5gc.mnc001.mcc001.3gppnetwork.org");
  EXPECT_EQ(server["scheme"].as<std::string>(), "https");
  EXPECT_EQ(server["cert"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_TRUE(server["verify_client"].as<bool>());
  // Client certificates are verified against a partner's roots, never the home CA.
  EXPECT_EQ(server["verify_client_cacert"].as<std::string>(),
            "/etc/secprov/n32/mnc002-mcc002/roots.pem");
  EXPECT_NE(text.find("Open5GS takes one CA file"), std::string::npos) << text;
  // N32-f: its own TLS server (TS 33.501 13.1.2).
  EXPECT_EQ(server["n32f"]["scheme"].as<std::string>(), "https");
  EXPECT_EQ(server["n32f"]["verify_client_cacert"].as<std::string>(),
            "/etc/secprov/n32/mnc002-mcc002/roots.pem");
  const YAML::Node sepps = n32["client"]["sepp"];
  ASSERT_EQ(sepps.size(), 2u);
  EXPECT_EQ(sepps[0]["receiver"].as<std::string>(), "sepp.5gc.mnc002.mcc002.3gppnetwork.org");
  EXPECT_EQ(sepps[0]["target_plmn_id"]["mcc"].as<std::string>(), "002");
  EXPECT_EQ(sepps[0]["target_plmn_id"]["mnc"].as<std::string>(), "02");
  EXPECT_EQ(sepps[0]["uri"].as<std::string>(), "https://sepp.5gc.mnc002.mcc002.3gppnetwork.org");
  EXPECT_EQ(sepps[0]["cacert"].as<std::string>(), "/etc/secprov/n32/mnc002-mcc002/roots.pem");
  EXPECT_EQ(sepps[0]["client_cert"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_EQ(sepps[0]["n32f"]["uri"].as<std::string>(),
            "https://sepp.5gc.mnc002.mcc002.3gppnetwork.org");
  EXPECT_EQ(sepps[0]["n32f"]["cacert"].as<std::string>(),
            "/etc/secprov/n32/mnc002-mcc002/roots.pem");
  EXPECT_EQ(sepps[1]["receiver"].as<std::string>(), "sepp.5gc.mnc003.mcc003.3gppnetwork.org");
  EXPECT_EQ(sepps[1]["target_plmn_id"]["mcc"].as<std::string>(), "003");
  EXPECT_EQ(sepps[1]["cacert"].as<std::string>(), "/etc/secprov/n32/mnc003-mcc003/ca.crt");
  EXPECT_EQ(y["sepp"]["default"]["tls"]["server"]["scheme"].as<std::string>(), "https");
}

TEST(Open5gsYaml, SeppN32OnePeerNoMultiPeerNote) {
  json doc = sepp_doc();
  doc["spec"]["n32"]["peers"].erase(0);
  const std::string text = open5gs_yaml(parse(doc)).value();
  EXPECT_EQ(text.find("Open5GS takes one CA file"), std::string::npos) << text;
  const YAML::Node server = load_yaml(text)["sepp"]["n32"]["server"][0];
  EXPECT_EQ(server["verify_client_cacert"].as<std::string>(),
            "/etc/secprov/n32/mnc002-mcc002/roots.pem");
}

TEST(Open5gsYaml, PrinsIsNotRenderedForOpen5gs) {
  const std::string text = open5gs_yaml(parse(sepp_doc("PRINS"))).value();
  EXPECT_FALSE(load_yaml(text)["sepp"]["n32"].IsDefined());
  EXPECT_NE(text.find("PRINS is not supported"), std::string::npos) << text;
}

TEST(Open5gsYaml, SbiServerAdvertisesTheCertificateName) {
  json doc = profile_doc();
  doc["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] = {"amf.5gc.example.org"};
  const auto p = parse(doc);
  const YAML::Node servers = load_yaml(open5gs_yaml(p).value())["amf"]["sbi"]["server"];
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0]["advertise"].as<std::string>(), "amf.5gc.example.org");
  EXPECT_EQ(servers[0]["advertise"].as<std::string>(), primary_dns_name(p));
  const auto sans = sbi_dns_names(p);
  EXPECT_NE(std::find(sans.begin(), sans.end(), primary_dns_name(p)), sans.end());
}

TEST(Open5gsYaml, NrfClientUriIsHttpsFqdnWhenTlsIsOn) {
  json doc = profile_doc();
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true},
                                  {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local:7777/x"}};
  const std::string text = open5gs_yaml(parse(doc)).value();
  const YAML::Node nrf = load_yaml(text)["amf"]["sbi"]["client"]["nrf"];
  ASSERT_EQ(nrf.size(), 1u);
  EXPECT_EQ(nrf[0]["uri"].as<std::string>(), "https://nrf.5gc.svc.cluster.local:7777");
  EXPECT_NE(text.find("sbi.client.scp: the profile names no SCP"), std::string::npos) << text;

  // No NRF named, or one named by address: nothing rendered, the comment says what to set.
  for (const char* root : {"", "https://10.0.0.10:7777"}) {
    json d = profile_doc();
    if (*root != '\0') d["spec"]["sbi"]["oauth2"] = {{"enabled", true}, {"nrfApiRoot", root}};
    const std::string t = open5gs_yaml(parse(d)).value();
    EXPECT_FALSE(load_yaml(t)["amf"]["sbi"]["client"].IsDefined()) << t;
    EXPECT_NE(t.find("set\n# uri to https://<NRF FQDN>"), std::string::npos) << t;
  }

  doc["spec"]["sbi"]["tls"]["mode"] = "Disabled";
  doc["spec"]["sbi"]["oauth2"]["enabled"] = false;
  const YAML::Node plain = load_yaml(open5gs_yaml(parse(doc)).value());
  EXPECT_EQ(plain["amf"]["sbi"]["client"]["nrf"][0]["uri"].as<std::string>(),
            "http://nrf.5gc.svc.cluster.local:7777");
}

TEST(Open5gsYaml, NrfHasNoNrfClient) {
  json doc = profile_doc("NRF");
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true}, {"nrfApiRoot", "https://nrf.5gc.svc"}};
  const YAML::Node y = load_yaml(open5gs_yaml(parse(doc)).value());
  EXPECT_TRUE(y["nrf"]["sbi"]["server"][0]["advertise"].IsDefined());
  EXPECT_FALSE(y["nrf"]["sbi"]["client"].IsDefined());
}

TEST(Open5gsYaml, HeaderDocumentsTheMerge) {
  const std::string text = open5gs_yaml(parse(profile_doc())).value();
  EXPECT_NE(text.find("amf.default.tls: add as is"), std::string::npos) << text;
  EXPECT_NE(text.find("amf.sbi.server[]"), std::string::npos) << text;
  EXPECT_NE(text.find("amf.sbi.client.nrf[]/scp[]"), std::string::npos) << text;
}

TEST(Open5gsYaml, UpfHasNoSbiSoNothingIsRendered) {
  json doc = profile_doc("UPF");
  doc["spec"]["outputs"] = {{"open5gs", true}};
  const auto p = parse(doc);
  EXPECT_FALSE(open5gs_yaml(p).has_value());
  const json cm = security_config_map(p, kNfInstanceId);
  EXPECT_FALSE(cm["data"].contains("open5gs.yaml"));
  EXPECT_TRUE(cm["data"].contains("security.yaml"));
}

// ---------------------------------------------------------------- free5GC

TEST(Free5gcYaml, NrfRootcertHasKeyButNeverTheCaKey) {
  json doc = profile_doc("NRF");
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true}, {"nrfApiRoot", "https://nrf.5gc.svc"}};
  const std::string text = free5gc_yaml(parse(doc));
  const YAML::Node sbi = load_yaml(text)["configuration"]["sbi"];
  EXPECT_EQ(sbi["scheme"].as<std::string>(), "https");
  EXPECT_EQ(sbi["cert"]["pem"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_EQ(sbi["cert"]["key"].as<std::string>(), "/etc/secprov/tls/tls.key");
  // The NRF's validator requires rootcert.key: the NRF's own pair, never a CA key.
  EXPECT_EQ(sbi["rootcert"]["pem"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_EQ(sbi["rootcert"]["key"].as<std::string>(), "/etc/secprov/tls/tls.key");
  EXPECT_FALSE(sbi["tls"].IsDefined());
  EXPECT_FALSE(load_yaml(text)["configuration"]["nrfCertPem"].IsDefined());
  EXPECT_FALSE(load_yaml(text)["configuration"]["nrfUri"].IsDefined());
  EXPECT_NE(text.find("CA private key never leaves"), std::string::npos) << text;
}

TEST(Free5gcYaml, NrfOauthIsNeverClaimed) {
  json doc = profile_doc("NRF");
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true}, {"nrfApiRoot", "https://nrf.5gc.svc"}};
  const std::string text = free5gc_yaml(parse(doc));
  EXPECT_FALSE(load_yaml(text)["configuration"]["sbi"]["oauth"].as<bool>());
  EXPECT_NE(text.find("oauth: false although the profile enables OAuth2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("RS512"), std::string::npos) << text;

  const std::string plain = free5gc_yaml(parse(profile_doc("NRF")));
  EXPECT_FALSE(load_yaml(plain)["configuration"]["sbi"]["oauth"].as<bool>());
  EXPECT_EQ(plain.find("although the profile enables OAuth2"), std::string::npos) << plain;
}

TEST(Free5gcYaml, ClientCommentSaysWhatFree5gcDoes) {
  const std::string text = free5gc_yaml(parse(profile_doc()));
  EXPECT_NE(text.find("skips server certificate verification"), std::string::npos) << text;
  EXPECT_NE(text.find("no client certificate"), std::string::npos) << text;
}

TEST(Free5gcYaml, NrfUriFromTheNrfApiRoot) {
  json doc = profile_doc();
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true},
                                  {"nrfApiRoot", "https://nrf.5gc.svc.cluster.local/"}};
  const std::string text = free5gc_yaml(parse(doc));
  EXPECT_EQ(load_yaml(text)["configuration"]["nrfUri"].as<std::string>(),
            "https://nrf.5gc.svc.cluster.local");

  const std::string none = free5gc_yaml(parse(profile_doc()));
  EXPECT_FALSE(load_yaml(none)["configuration"]["nrfUri"].IsDefined());
  EXPECT_NE(none.find("nrfUri (required): the profile names no NRF API root"), std::string::npos)
      << none;
}

TEST(Free5gcYaml, AmfTlsWithoutNrfCertificate) {
  YAML::Node conf = load_yaml(free5gc_yaml(parse(profile_doc())))["configuration"];
  EXPECT_EQ(conf["sbi"]["scheme"].as<std::string>(), "https");
  EXPECT_EQ(conf["sbi"]["tls"]["pem"].as<std::string>(), "/etc/secprov/tls/tls.crt");
  EXPECT_EQ(conf["sbi"]["tls"]["key"].as<std::string>(), "/etc/secprov/tls/tls.key");
  EXPECT_FALSE(conf["sbi"]["oauth"].IsDefined());
  EXPECT_FALSE(conf["nrfCertPem"].IsDefined());

  // OAuth2 is off on the free5GC NRF, so no token-verification certificate is pointed at.
  json doc = profile_doc();
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true}, {"nrfApiRoot", "https://nrf.5gc.svc"}};
  conf = load_yaml(free5gc_yaml(parse(doc)))["configuration"];
  EXPECT_FALSE(conf["nrfCertPem"].IsDefined());

  conf = load_yaml(
      free5gc_yaml(with(profile_doc(), "/spec/sbi/tls/mode", "Disabled")))["configuration"];
  EXPECT_EQ(conf["sbi"]["scheme"].as<std::string>(), "http");
  EXPECT_FALSE(conf["sbi"]["tls"].IsDefined());
}

// ---------------------------------------------------------------- behind the enabler sidecar

// An AMF whose enabler fronts its SBI (inbound 8080 -> TLS on 8443) and dials the NRF for it.
json fronted_doc(const std::string& nf_type = "AMF") {
  json doc = profile_doc(nf_type);
  doc["spec"]["outputs"] = {{"open5gs", true}, {"free5gc", true}};
  doc["spec"]["sbi"]["oauth2"] = {{"enabled", true},
                                  {"nrfApiRoot", "https://NRF.5gc.svc.cluster.local:443/"}};
  doc["spec"]["enabler"] = {{"mode", "Sidecar"},
                            {"inbound", {{"port", 8080}, {"tlsPort", 8443}}},
                            {"outbound",
                             {{{"name", "udm"},
                               {"localPort", 9001},
                               {"host", "udm.5gc.svc.cluster.local"},
                               {"port", 443}},
                              {{"name", "nrf"},
                               {"localPort", 9002},
                               {"host", "nrf.5gc.svc.cluster.local"},
                               {"port", 443}}}}};
  return doc;
}

// HAProxy forwards h2c to 127.0.0.1:<inbound.port>: the NF serves plain HTTP/2 there only,
// never its own TLS, and advertises the enabler's TLS port under its certificate name.
TEST(Open5gsYaml, BehindTheEnablerTheNfServesH2cOnTheLoopbackPort) {
  const auto p = parse(fronted_doc());
  const std::string text = open5gs_yaml(p).value();
  const YAML::Node amf = load_yaml(text)["amf"];
  const YAML::Node servers = amf["sbi"]["server"];
  ASSERT_EQ(servers.size(), 1u) << text;
  EXPECT_EQ(servers[0]["address"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(servers[0]["port"].as<int>(), 8080);
  EXPECT_EQ(servers[0]["advertise"].as<std::string>(), primary_dns_name(p) + ":8443");
  const YAML::Node server = amf["default"]["tls"]["server"];
  EXPECT_EQ(server["scheme"].as<std::string>(), "http");
  EXPECT_FALSE(server["cert"].IsDefined()) << text;
  EXPECT_FALSE(server["private_key"].IsDefined()) << text;
  EXPECT_FALSE(server["verify_client"].IsDefined()) << text;
  // The NRF is an outbound peer (host compared without case, port as named): h2c to the
  // enabler's local port, which dials it with the profile's mutual TLS.
  EXPECT_EQ(amf["sbi"]["client"]["nrf"][0]["uri"].as<std::string>(), "http://127.0.0.1:9002");
  EXPECT_NE(text.find("sbi.client.nrf: through the enabler sidecar (spec.enabler.outbound nrf)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("terminates TLS on port 8443 and forwards h2c to 127.0.0.1:8080"),
            std::string::npos)
      << text;
  // Peers the NF dials itself still get its TLS client settings.
  EXPECT_EQ(amf["default"]["tls"]["client"]["scheme"].as<std::string>(), "https");
  EXPECT_EQ(amf["default"]["tls"]["client"]["client_cert"].as<std::string>(),
            "/etc/secprov/tls/tls.crt");
}

TEST(Open5gsYaml, OutboundOnlyEnablerLeavesTheServerNativeAndCarriesTheNrf) {
  json doc = fronted_doc();
  doc["spec"]["enabler"].erase("inbound");
  const std::string text = open5gs_yaml(parse(doc)).value();
  const YAML::Node amf = load_yaml(text)["amf"];
  EXPECT_EQ(amf["default"]["tls"]["server"]["scheme"].as<std::string>(), "https");
  EXPECT_FALSE(amf["sbi"]["server"][0]["address"].IsDefined()) << text;
  EXPECT_EQ(amf["sbi"]["client"]["nrf"][0]["uri"].as<std::string>(), "http://127.0.0.1:9002");

  // An outbound list that does not name the NRF (another port): the NF dials it natively.
  doc["spec"]["sbi"]["oauth2"]["nrfApiRoot"] = "https://nrf.5gc.svc.cluster.local:7777";
  const YAML::Node direct = load_yaml(open5gs_yaml(parse(doc)).value())["amf"];
  EXPECT_EQ(direct["sbi"]["client"]["nrf"][0]["uri"].as<std::string>(),
            "https://nrf.5gc.svc.cluster.local:7777");
}

TEST(Free5gcYaml, BehindTheEnablerTheNfServesH2cOnTheLoopbackPort) {
  const std::string text = free5gc_yaml(parse(fronted_doc()));
  const YAML::Node conf = load_yaml(text)["configuration"];
  EXPECT_EQ(conf["sbi"]["scheme"].as<std::string>(), "http");
  EXPECT_EQ(conf["sbi"]["bindingIPv4"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(conf["sbi"]["port"].as<int>(), 8080);
  EXPECT_FALSE(conf["sbi"]["tls"].IsDefined()) << text;
  EXPECT_EQ(conf["nrfUri"].as<std::string>(), "http://127.0.0.1:9002");
  EXPECT_NE(text.find("registers the scheme and port it serves (http, 8080)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("nrfUri: through the enabler sidecar (spec.enabler.outbound nrf)"),
            std::string::npos)
      << text;

  // The NRF behind its enabler keeps the pairs its validator requires.
  json nrf = fronted_doc("NRF");
  nrf["spec"]["enabler"].erase("outbound");
  const YAML::Node nrf_sbi = load_yaml(free5gc_yaml(parse(nrf)))["configuration"]["sbi"];
  EXPECT_EQ(nrf_sbi["scheme"].as<std::string>(), "http");
  EXPECT_EQ(nrf_sbi["bindingIPv4"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(nrf_sbi["rootcert"]["key"].as<std::string>(), "/etc/secprov/tls/tls.key");
}

TEST(Free5gcYaml, NrfUriThroughTheEnablerKeepsTheApiRootPath) {
  json doc = fronted_doc();
  doc["spec"]["sbi"]["oauth2"]["nrfApiRoot"] = "https://nrf.5gc.svc.cluster.local/root/";
  EXPECT_EQ(load_yaml(free5gc_yaml(parse(doc)))["configuration"]["nrfUri"].as<std::string>(),
            "http://127.0.0.1:9002/root");
}

}  // namespace
}  // namespace secprov::render
