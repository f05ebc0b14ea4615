#include "render/ipsec.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "render/digest.h"
#include "render/errors.h"
#include "render/labels.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;

// UPF with N3 (PSK, two gNBs given out of order) and N4 (certificate, one SMF).
json upf_doc() {
  json doc = profile_doc("UPF");
  doc["metadata"]["name"] = "upf";
  doc["spec"]["ipsec"]["interfaces"] = {
      {{"name", "N4"},
       {"localAddress", "10.1.0.10"},
       {"mode", "Transport"},
       {"peers", {{{"name", "smf-1"}, {"address", "10.1.0.1"}, {"remoteId", "smf.5gc.svc"}}}}},
      {{"name", "N3"},
       {"authentication", "PreSharedKey"},
       {"ike", {{"proposals", {"aes128gcm16-prfsha256-ecp256"}}, {"lifetime", "1h30m"}}},
       {"esp", {{"proposals", {"aes128gcm16-ecp256"}}, {"lifetime", "45m"}}},
       {"trafficSelectors", {{"local", {"10.2.0.0/24"}}}},
       {"peers",
        {{{"name", "gnb-2"}, {"address", "10.0.0.2"}},
         {{"name", "gnb-1"}, {"address", "10.0.0.1"}}}}}};
  return doc;
}

IpsecMaterial psks() {
  return IpsecMaterial{{{"psk-n3-gnb-1", "0sNotBase64=="}, {"psk-n3-gnb-2", "second-key"}}};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(IpsecNames, ConnectionAndPskNames) {
  EXPECT_EQ(ipsec_connection_name(api::IpsecInterface::N3, "gnb-1"), "n3-gnb-1");
  EXPECT_EQ(ipsec_connection_name(api::IpsecInterface::Xn, "gnb-7"), "xn-gnb-7");
  EXPECT_EQ(pre_shared_key_name(api::IpsecInterface::N3, "gnb-1"), "psk-n3-gnb-1");
}

TEST(RequiredPreSharedKeys, OnePerPeerOfPskInterfacesSorted) {
  const auto p = parse(upf_doc());
  EXPECT_EQ(required_pre_shared_keys(p),
            (std::vector<std::string>{"psk-n3-gnb-1", "psk-n3-gnb-2"}));
  json reordered = upf_doc();
  auto& itfs = reordered["spec"]["ipsec"]["interfaces"];
  std::swap(itfs[0], itfs[1]);
  std::swap(itfs[0]["peers"][0], itfs[0]["peers"][1]);
  EXPECT_EQ(required_pre_shared_keys(parse(reordered)), required_pre_shared_keys(p));
  EXPECT_TRUE(required_pre_shared_keys(parse(profile_doc())).empty());
}

TEST(SwanctlConf, ConnectionPerInterfaceAndPeer) {
  const std::string conf = swanctl_conf(parse(upf_doc()), psks());
  // N3 before N4 (API order), peers by name.
  const auto n3_1 = conf.find("  n3-gnb-1 {"), n3_2 = conf.find("  n3-gnb-2 {"),
             n4 = conf.find("  n4-smf-1 {");
  ASSERT_NE(n3_1, std::string::npos) << conf;
  ASSERT_NE(n3_2, std::string::npos);
  ASSERT_NE(n4, std::string::npos);
  EXPECT_LT(n3_1, n3_2);
  EXPECT_LT(n3_2, n4);

  const std::string n3 = conf.substr(n3_1, n3_2 - n3_1);
  EXPECT_TRUE(contains(n3, "    version = 2\n")) << n3;
  EXPECT_TRUE(contains(n3, "    local_addrs = %any\n"));
  EXPECT_TRUE(contains(n3, "    remote_addrs = 10.0.0.1\n"));
  EXPECT_TRUE(contains(n3, "    proposals = aes128gcm16-prfsha256-ecp256\n"));
  EXPECT_TRUE(contains(n3, "    rekey_time = 5400s\n"));
  EXPECT_TRUE(contains(n3, "    local {\n      auth = psk\n      id = upf.5gc.svc\n    }\n"));
  EXPECT_TRUE(contains(n3, "    remote {\n      auth = psk\n      id = 10.0.0.1\n    }\n"));
  EXPECT_TRUE(contains(n3,
                       "    children {\n      n3-gnb-1 {\n        mode = tunnel\n"
                       "        esp_proposals = aes128gcm16-ecp256\n"
                       "        rekey_time = 2700s\n"
                       "        local_ts = 10.2.0.0/24\n"
                       "        remote_ts = 10.0.0.1/32\n"));

  const std::string n4_part = conf.substr(n4, conf.find("secrets {") - n4);
  EXPECT_TRUE(contains(n4_part, "    local_addrs = 10.1.0.10\n")) << n4_part;
  EXPECT_TRUE(contains(
      n4_part, "    proposals = aes256gcm16-prfsha384-ecp384,aes128gcm16-prfsha256-ecp256\n"));
  EXPECT_TRUE(contains(n4_part, "    rekey_time = 86400s\n"));
  EXPECT_TRUE(contains(n4_part, "      auth = pubkey\n      certs = /etc/secprov/tls/tls.crt\n"));
  EXPECT_TRUE(
      contains(n4_part, "      cacerts = /etc/secprov/tls/ca.crt\n      id = smf.5gc.svc\n"));
  EXPECT_TRUE(contains(n4_part, "        mode = transport\n"));
  EXPECT_TRUE(contains(n4_part, "        esp_proposals = aes256gcm16-ecp384,aes128gcm16-ecp256\n"));
  EXPECT_TRUE(contains(n4_part, "        rekey_time = 28800s\n"));
  EXPECT_FALSE(contains(n4_part, "local_ts"));
  EXPECT_TRUE(contains(n4_part, "        remote_ts = 10.1.0.1/32\n"));
  // The private key location for certificate authentication is documented in the file.
  EXPECT_TRUE(contains(conf, "/etc/secprov/ipsec/private/tls.key"));

  int depth = 0;
  for (char c : conf) {
    depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
}

// Issue 8 defect 4: two children with one (local_ts, remote_ts) pair install one kernel policy
// and the second overwrites the first, so every peer's child has a pair of its own.
TEST(SwanctlConf, EachPeerHasItsOwnSelectorPair) {
  json doc = profile_doc("UPF");
  doc["metadata"]["name"] = "upf";
  doc["spec"]["ipsec"]["interfaces"] = {
      {{"name", "N3"},
       {"localAddress", "10.10.3.1"},
       {"trafficSelectors", {{"local", {"10.10.3.0/24"}}}},
       {"peers",
        {{{"name", "gnb-1"}, {"address", "10.10.3.11"}},
         {{"name", "gnb-2"}, {"address", "10.10.3.12"}},
         {{"name", "gnb-3"}, {"address", "gnb-3.ran.example.org"}}}}},
      {{"name", "N9"},
       {"peers",
        {{{"name", "upf-a"}, {"address", "2001:db8:0:0::a"}},
         {{"name", "upf-b"}, {"address", "2001:DB8::B"}}}}}};
  const std::string conf = swanctl_conf(parse(doc), {});
  // (connection, local_ts, remote_ts) of each child, "" when absent ("dynamic").
  const auto child = [&conf](const std::string& name) {
    const auto at = conf.find("      " + name + " {\n");
    EXPECT_NE(at, std::string::npos) << name << "\n" << conf;
    const std::string body = conf.substr(at, conf.find("      }\n", at) - at);
    const auto value = [&body](const std::string& key) {
      const auto k = body.find(key + " = ");
      if (k == std::string::npos) return std::string();
      const auto start = k + key.size() + 3;
      return body.substr(start, body.find('\n', start) - start);
    };
    return std::pair{value("local_ts"), value("remote_ts")};
  };
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(child("n3-gnb-1"), (Pair{"10.10.3.0/24", "10.10.3.11/32"}));
  EXPECT_EQ(child("n3-gnb-2"), (Pair{"10.10.3.0/24", "10.10.3.12/32"}));
  // An FQDN peer: strongSwan's "dynamic", the address the name resolves to.
  EXPECT_EQ(child("n3-gnb-3"), (Pair{"10.10.3.0/24", ""}));
  // IPv6 host prefixes in one spelling.
  EXPECT_EQ(child("n9-upf-a"), (Pair{"", "2001:db8::a/128"}));
  EXPECT_EQ(child("n9-upf-b"), (Pair{"", "2001:db8::b/128"}));

  // What render writes is api::peer_traffic_selectors, the pair validate() compares.
  const auto p = parse(doc);
  for (const auto& itf : p.spec.ipsec->interfaces) {
    for (std::size_t a = 0; a < itf.peers.size(); ++a) {
      for (std::size_t b = a + 1; b < itf.peers.size(); ++b) {
        EXPECT_NE(api::peer_traffic_selectors(itf, itf.peers[a]),
                  api::peer_traffic_selectors(itf, itf.peers[b]))
            << itf.peers[a].name << " " << itf.peers[b].name;
      }
    }
  }
}

TEST(SwanctlConf, PeersSharingAPolicyOrCrossingFamiliesAreRefused) {
  // The reconciler renders without api::validate(), so render refuses these on its own,
  // naming the field (changed after validation, as the CRD admits some of them).
  const auto refused_on = [](const api::SecurityProfile& p) {
    try {
      swanctl_conf(p, psks());
    } catch (const RenderError& e) {
      return e.field();
    }
    return std::string("(rendered)");
  };
  auto p = parse(upf_doc());
  p.spec.ipsec->interfaces[1].peers[1].address = "10.0.0.2";  // gnb-1 on gnb-2's address
  EXPECT_EQ(refused_on(p), "spec.ipsec.interfaces[1].peers[1]");
  p = parse(upf_doc());
  p.spec.ipsec->interfaces[1].traffic_selectors->remote = {"10.20.0.0/16"};
  EXPECT_EQ(refused_on(p), "spec.ipsec.interfaces[1].peers[1]");
  p = parse(upf_doc());
  p.spec.ipsec->interfaces[0].peers[0].address = "2001:db8::1";  // N4 local 10.1.0.10
  EXPECT_EQ(refused_on(p), "spec.ipsec.interfaces[0].peers[0].address");
}

TEST(SwanctlConf, PskSecretsOnlyForPskInterfaces) {
  const std::string conf = swanctl_conf(parse(upf_doc()), psks());
  EXPECT_TRUE(contains(conf, "secrets {\n  ike-n3-gnb-1 {\n    id = 10.0.0.1\n    secret = 0x" +
                                 std::string("30734e6f744261736536343d3d") + "\n  }\n"))
      << conf;
  EXPECT_TRUE(contains(conf, "  ike-n3-gnb-2 {\n    id = 10.0.0.2\n"));
  EXPECT_FALSE(contains(conf, "ike-n4"));

  json cert_only = upf_doc();
  cert_only["spec"]["ipsec"]["interfaces"].erase(1);
  const std::string c = swanctl_conf(parse(cert_only), {});
  EXPECT_FALSE(contains(c, "secrets")) << c;
}

TEST(SwanctlConf, MissingPskThrows) {
  IpsecMaterial missing = psks();
  missing.pre_shared_keys.erase("psk-n3-gnb-2");
  EXPECT_THROW(swanctl_conf(parse(upf_doc()), missing), std::invalid_argument);
  EXPECT_THROW(ipsec_secret(parse(upf_doc()), missing), std::invalid_argument);
  IpsecMaterial empty = psks();
  empty.pre_shared_keys["psk-n3-gnb-1"] = "";
  EXPECT_THROW(ipsec_secret(parse(upf_doc()), empty), std::invalid_argument);
}

TEST(SwanctlConf, UntrustedIdentitiesAreQuotedOrRefused) {
  // The API layer refuses these identities; the renderer must stay safe on its own, so the
  // parsed profile is changed after validation.
  auto p = parse(upf_doc());
  auto& peer = p.spec.ipsec->interfaces[0].peers[0];
  peer.remote_id = "C=DE, O=Operator \"A\"";
  EXPECT_TRUE(contains(swanctl_conf(p, psks()), "      id = \"C=DE, O=Operator \\\"A\\\"\"\n"));
  peer.remote_id = "x\n}\nconnections {";
  try {
    swanctl_conf(p, psks());
    ADD_FAILURE() << "a control character was written";
  } catch (const RenderError& e) {
    EXPECT_EQ(e.field(), "spec.ipsec.interfaces[0].peers[0].remoteId");
  }
}

TEST(IpsecSecret, OpaqueSecretWithConfigAndPsks) {
  const auto p = parse(upf_doc());
  IpsecMaterial material = psks();
  material.pre_shared_keys["psk-n9-unused"] = "ignored";
  const auto s = ipsec_secret(p, material);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)["kind"], "Secret");
  EXPECT_EQ((*s)["type"], "Opaque");
  EXPECT_EQ((*s)["metadata"]["name"], "upf-ipsec");
  EXPECT_EQ((*s)["metadata"]["labels"], json(managed_labels(p)));
  EXPECT_EQ((*s)["metadata"]["ownerReferences"][0]["name"], "upf");
  std::vector<std::string> keys;
  for (const auto& [k, v] : (*s)["data"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"psk-n3-gnb-1", "psk-n3-gnb-2", "swanctl.conf"}));
  EXPECT_EQ(crypto::base64_decode((*s)["data"]["swanctl.conf"].get<std::string>()),
            swanctl_conf(p, material));
  EXPECT_EQ(crypto::base64_decode((*s)["data"]["psk-n3-gnb-2"].get<std::string>()), "second-key");
  // Same input, same bytes; another PSK, other data.
  EXPECT_EQ(ipsec_secret(p, material)->dump(), s->dump());
  material.pre_shared_keys["psk-n3-gnb-2"] = "rotated";
  EXPECT_NE((*ipsec_secret(p, material))["data"], (*s)["data"]);
}

TEST(IpsecSecret, NoneWithoutIpsec) {
  EXPECT_FALSE(ipsec_secret(parse(profile_doc()), {}).has_value());
  json doc = profile_doc();
  doc["spec"]["ipsec"] = json::object();
  EXPECT_FALSE(ipsec_secret(parse(doc), {}).has_value());
}

}  // namespace
}  // namespace secprov::render
