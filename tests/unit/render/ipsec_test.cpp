#include "render/ipsec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "api/trustdomain.h"
#include "crypto/encoding.h"
#include "render/certificate.h"
#include "render/digest.h"
#include "render/errors.h"
#include "render/labels.h"
#include "render/names.h"
#include "render/profile.h"
#include "test_support.h"
#include "unit/api/yaml_json.h"

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
       {"allowPreSharedKey", true},
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
  // No remoteId: the certificate name of the profile named like the peer (its local.id).
  EXPECT_TRUE(contains(n3, "    remote {\n      auth = psk\n      id = gnb-1.5gc.svc\n    }\n"));
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
  EXPECT_TRUE(
      contains(conf, "secrets {\n  ike-n3-gnb-1 {\n    id = gnb-1.5gc.svc\n    secret = 0x" +
                         std::string("30734e6f744261736536343d3d") + "\n  }\n"))
      << conf;
  EXPECT_TRUE(contains(conf, "  ike-n3-gnb-2 {\n    id = gnb-2.5gc.svc\n"));
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

// ---- issue 8 defect 3: the two ends of a link agree on identities and PSKs ----

api::TrustDomain trust_domain() {
  api::TrustDomain d;
  d.metadata.name = "operator-a";
  d.spec.domain = "5gc.mnc001.mcc001.3gppnetwork.org";
  return d;
}

bool in_san(const api::SecurityProfile& p, const std::string& name) {
  const auto request = certificate_request(p, trust_domain(), testing::kNfInstanceId);
  const auto& dns = request.certificate.dns_names;
  return std::find(dns.begin(), dns.end(), name) != dns.end();
}

// A profile `name` with one interface whose single peer is `peer` (no remoteId).
json link_doc(const std::string& name, const std::string& peer,
              const std::string& authentication = "Certificate",
              const std::string& interface = "N4") {
  json doc = profile_doc(name == "upf" ? "UPF" : "SMF");
  doc["metadata"]["name"] = name;
  doc["spec"]["ipsec"]["interfaces"] = {{{"name", interface},
                                         {"authentication", authentication},
                                         {"peers", {{{"name", peer}, {"address", "10.1.0.2"}}}}}};
  return doc;
}

TEST(IpsecIdentities, LocalIdIsADnsSanOfTheIssuedCertificate) {
  json plain = link_doc("smf", "upf");
  json extra = plain;
  extra["spec"]["sbi"]["tls"]["certificate"]["extraDnsNames"] = {"*.smf.example.org",
                                                                 "smf.example.org"};
  json service = plain;
  service["spec"]["sbi"]["tls"]["certificate"]["serviceName"] = "smf-sbi";
  for (const auto& doc : {plain, extra, service}) {
    const auto p = parse(doc);
    const std::string id = ipsec_local_id(p);
    EXPECT_TRUE(in_san(p, id)) << id;
    EXPECT_TRUE(contains(swanctl_conf(p, {}),
                         "    local {\n      auth = pubkey\n"
                         "      certs = /etc/secprov/tls/tls.crt\n      id = " +
                             id + "\n"));
  }
  EXPECT_EQ(ipsec_local_id(parse(plain)), "smf.5gc.svc");
  EXPECT_EQ(ipsec_local_id(parse(extra)), "smf.example.org");
  EXPECT_EQ(ipsec_local_id(parse(service)), "smf-sbi.5gc.svc");
}

// The peer named like a profile of the namespace is expected under that profile's local.id:
// the address (an IP here) is in no certificate.
TEST(IpsecIdentities, DefaultRemoteIdIsThePeerProfilesLocalId) {
  const auto smf = parse(link_doc("smf", "upf"));
  const auto upf = parse(link_doc("upf", "smf"));
  const auto& smf_peer = smf.spec.ipsec->interfaces[0].peers[0];
  const auto& upf_peer = upf.spec.ipsec->interfaces[0].peers[0];
  EXPECT_EQ(effective_remote_id(smf, smf_peer), ipsec_local_id(upf));
  EXPECT_EQ(effective_remote_id(upf, upf_peer), ipsec_local_id(smf));
  EXPECT_EQ(effective_remote_id(smf, smf_peer), service_dns_name("upf", "5gc"));
  EXPECT_TRUE(in_san(upf, effective_remote_id(smf, smf_peer)));
  EXPECT_TRUE(contains(swanctl_conf(smf, {}),
                       "      cacerts = /etc/secprov/tls/ca.crt\n"
                       "      id = upf.5gc.svc\n"));
  // Given, remoteId wins.
  auto given = smf;
  given.spec.ipsec->interfaces[0].peers[0].remote_id = "upf.example.org";
  EXPECT_EQ(effective_remote_id(given, given.spec.ipsec->interfaces[0].peers[0]),
            "upf.example.org");
}

TEST(PreSharedKeyInputs, BothEndsOfALinkDeriveFromOneContext) {
  const auto smf = parse(link_doc("smf", "upf", "PreSharedKey"));
  const auto upf = parse(link_doc("upf", "smf", "PreSharedKey"));
  const auto a = pre_shared_key_inputs(smf);
  const auto b = pre_shared_key_inputs(upf);
  ASSERT_EQ(a.size(), 1U);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(a[0].name, "psk-n4-upf");
  EXPECT_EQ(b[0].name, "psk-n4-smf");
  EXPECT_EQ(a[0].info, "operator-a\nN4\n5gc/smf\n5gc/upf");
  EXPECT_EQ(a[0].info, b[0].info);
  // Another trust domain, namespace or interface is another link.
  json other_domain = link_doc("upf", "smf", "PreSharedKey");
  other_domain["spec"]["trustDomainRef"]["name"] = "operator-b";
  json other_ns = link_doc("upf", "smf", "PreSharedKey");
  other_ns["metadata"]["namespace"] = "5gc-b";
  for (const auto& doc : {other_domain, other_ns, link_doc("upf", "smf", "PreSharedKey", "N9")}) {
    EXPECT_NE(pre_shared_key_inputs(parse(doc))[0].info, a[0].info);
  }
  // Names and order as required_pre_shared_keys; none for certificate interfaces.
  const auto p = parse(upf_doc());
  std::vector<std::string> names;
  for (const auto& input : pre_shared_key_inputs(p)) names.push_back(input.name);
  EXPECT_EQ(names, required_pre_shared_keys(p));
  EXPECT_TRUE(pre_shared_key_inputs(parse(link_doc("smf", "upf"))).empty());
}

api::SecurityProfile sample(const std::string& file) {
  const auto path = std::filesystem::path(SECPROV_SOURCE_DIR) / "deploy" / "samples" / file;
  for (const auto& doc : api::testing::load_yaml_file(path.string())) {
    if (doc.value("kind", "") == "SecurityProfile") return parse(doc);
  }
  throw std::runtime_error(file + " holds no SecurityProfile");
}

const api::IpsecInterfaceSpec& interface_of(const api::SecurityProfile& p,
                                            api::IpsecInterface name) {
  for (const auto& i : p.spec.ipsec->interfaces) {
    if (i.name == name) return i;
  }
  throw std::runtime_error("no such interface");
}

bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&b](const auto& x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

// The SMF and UPF samples describe the two ends of one N4 link: everything IKE compares
// must match both ways (consumers.md, strongSwan).
TEST(SampleLinks, SmfAndUpfAgreeOnN4) {
  const auto smf = sample("smf.yaml");
  const auto upf = sample("upf.yaml");
  const auto& s = interface_of(smf, api::IpsecInterface::N4);
  const auto& u = interface_of(upf, api::IpsecInterface::N4);
  ASSERT_EQ(s.peers.size(), 1U);
  ASSERT_EQ(u.peers.size(), 1U);
  EXPECT_EQ(s.authentication, api::IpsecAuthentication::Certificate);  // TS 33.501 9.9
  EXPECT_EQ(s.authentication, u.authentication);
  EXPECT_EQ(s.mode, u.mode);
  EXPECT_EQ(s.mode, api::IpsecMode::Tunnel);
  EXPECT_TRUE(overlap(s.ike.proposals, u.ike.proposals));
  EXPECT_TRUE(overlap(s.esp.proposals, u.esp.proposals));
  // IDs both ways, each in its own certificate.
  EXPECT_EQ(effective_remote_id(smf, s.peers[0]), ipsec_local_id(upf));
  EXPECT_EQ(effective_remote_id(upf, u.peers[0]), ipsec_local_id(smf));
  EXPECT_TRUE(in_san(smf, ipsec_local_id(smf)));
  EXPECT_TRUE(in_san(upf, ipsec_local_id(upf)));
  // Addresses: each peer is the other's local address, and both are IPs.
  ASSERT_TRUE(s.local_address && u.local_address);
  EXPECT_EQ(s.peers[0].address, *u.local_address);
  EXPECT_EQ(u.peers[0].address, *s.local_address);
  // Mirrored selectors.
  const auto ts_s = api::peer_traffic_selectors(s, s.peers[0]);
  const auto ts_u = api::peer_traffic_selectors(u, u.peers[0]);
  EXPECT_EQ(ts_s.remote, std::vector<std::string>{*u.local_address + "/32"});
  EXPECT_EQ(ts_u.remote, std::vector<std::string>{*s.local_address + "/32"});
  EXPECT_TRUE(ts_s.local.empty() && ts_u.local.empty());  // "dynamic": the local address
}

// gNB peers (external) are named explicitly and addressed by IP, with a local address set.
TEST(SampleLinks, GnbPeersHaveExplicitIdsAndAddresses) {
  for (const auto& [file, name] : {std::pair{"amf.yaml", api::IpsecInterface::N2},
                                   std::pair{"upf.yaml", api::IpsecInterface::N3}}) {
    SCOPED_TRACE(file);
    const auto p = sample(file);
    const auto& i = interface_of(p, name);
    EXPECT_TRUE(i.local_address.has_value());
    EXPECT_EQ(i.authentication, api::IpsecAuthentication::Certificate);
    for (const auto& peer : i.peers) {
      EXPECT_TRUE(peer.remote_id.has_value()) << peer.name;
      EXPECT_EQ(api::peer_traffic_selectors(i, peer).remote.size(), 1U) << peer.name;  // an IP
    }
  }
}

// PSKs are derived from the CA key: with PSKs the CA is an input of the IPsec Secret (a
// rotation rewrites them on both ends); without, a CA change leaves the Secret alone.
TEST(PlanProfile, IpsecInputsIncludeTheCaOnlyWithPsks) {
  const auto digest = [](const json& doc, const std::string& ca) {
    return plan_profile(parse(doc), trust_domain(), testing::kNfInstanceId, {ca, "bundle"})
        .ipsec.input_digest;
  };
  const json psk = link_doc("smf", "upf", "PreSharedKey");
  EXPECT_NE(digest(psk, "ca-1"), digest(psk, "ca-2"));
  const json cert = link_doc("smf", "upf");
  EXPECT_EQ(digest(cert, "ca-1"), digest(cert, "ca-2"));
}

}  // namespace
}  // namespace secprov::render
