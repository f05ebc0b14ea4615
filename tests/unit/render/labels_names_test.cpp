#include <gtest/gtest.h>

#include <string>

#include "render/labels.h"
#include "render/names.h"
#include "test_support.h"

namespace secprov::render {
namespace {

using nlohmann::json;
using testing::parse;
using testing::profile_doc;
using testing::with;

TEST(Names, DerivedFromProfileAndTrustDomain) {
  const auto p = parse(profile_doc());
  EXPECT_EQ(tls_secret_name(p), "amf-tls");
  EXPECT_EQ(config_map_name(p), "amf-security");
  EXPECT_EQ(ipsec_secret_name(p), "amf-ipsec");
  EXPECT_EQ(trust_bundle_name("operator-a"), "operator-a-ca");
}

TEST(Names, LongNamesStayValidAndDistinct) {
  const std::string long_a = std::string(200, 'a') + "." + std::string(50, 'b') + "x";  // 252
  const std::string long_b = std::string(200, 'a') + "." + std::string(50, 'b') + "y";
  // Profile names are DNS-1035 labels now; the names stay bounded for any input regardless.
  auto a = parse(profile_doc());
  a.metadata.name = long_a;
  auto b = a;
  b.metadata.name = long_b;
  for (const auto& name :
       {config_map_name(a), tls_secret_name(a), ipsec_secret_name(a), trust_bundle_name(long_a)}) {
    EXPECT_LE(name.size(), 253u) << name;
    EXPECT_NE(name.find("-"), std::string::npos);
    EXPECT_EQ(name.find(".-"), std::string::npos) << name;
  }
  EXPECT_TRUE(config_map_name(a).ends_with("-security"));
  EXPECT_NE(config_map_name(a), config_map_name(b));
  EXPECT_EQ(config_map_name(a), config_map_name(a));
}

TEST(Labels, ManagedLabelsOfAProfile) {
  const auto p = parse(profile_doc());
  const std::map<std::string, std::string> expected = {
      {"app.kubernetes.io/managed-by", "secprov"},
      {"app.kubernetes.io/part-of", "secprov"},
      {"secprov.io/profile", "amf"},
      {"secprov.io/trust-domain", "operator-a"},
  };
  EXPECT_EQ(managed_labels(p), expected);
  EXPECT_EQ(std::string(kManagedByLabel), "app.kubernetes.io/managed-by");
  EXPECT_EQ(profile_selector("amf"), "app.kubernetes.io/managed-by=secprov,secprov.io/profile=amf");
}

TEST(Labels, TrustDomainLabelsHaveNoProfile) {
  const auto labels = trust_domain_labels("operator-a");
  EXPECT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels.at("secprov.io/trust-domain"), "operator-a");
  EXPECT_EQ(labels.count("secprov.io/profile"), 0u);
}

TEST(Labels, LongValuesAreShortenedDeterministically) {
  EXPECT_EQ(label_value("amf"), "amf");
  const std::string exact(63, 'a');
  EXPECT_EQ(label_value(exact), exact);
  const std::string long_name = std::string(60, 'a') + ".example-name.org";
  const std::string v = label_value(long_name);
  EXPECT_EQ(v.size(), 63u);
  EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(v.back())));
  EXPECT_EQ(v, label_value(long_name));
  EXPECT_NE(v, label_value(long_name + "x"));
  EXPECT_EQ(profile_selector(long_name),
            "app.kubernetes.io/managed-by=secprov,secprov.io/profile=" + v);
}

TEST(OwnerReference, ControllerReferenceToTheProfile) {
  const auto p = parse(profile_doc());
  EXPECT_EQ(owner_reference(p), json::parse(R"({
    "apiVersion": "secprov.io/v1alpha1", "kind": "SecurityProfile", "name": "amf",
    "uid": "uid-1", "controller": true, "blockOwnerDeletion": true})"));
  json doc = profile_doc();
  doc["metadata"].erase("uid");
  EXPECT_THROW(owner_reference(parse(doc)), std::invalid_argument);
}

TEST(Identities, ServiceNamesThenExtraDnsNames) {
  auto p = parse(profile_doc());
  EXPECT_EQ(sbi_dns_names(p), (std::vector<std::string>{"amf", "amf.5gc", "amf.5gc.svc",
                                                        "amf.5gc.svc.cluster.local"}));
  EXPECT_EQ(primary_dns_name(p), "amf.5gc.svc");

  json doc = profile_doc();
  doc["spec"]["sbi"]["tls"]["certificate"] = {
      {"serviceName", "amf-sbi"},
      {"extraDnsNames", {"*.amf.example.org", "amf.5gc.mnc001.mcc001.3gppnetwork.org"}}};
  p = parse(doc);
  EXPECT_EQ(sbi_dns_names(p),
            (std::vector<std::string>{"amf-sbi", "amf-sbi.5gc", "amf-sbi.5gc.svc",
                                      "amf-sbi.5gc.svc.cluster.local", "*.amf.example.org",
                                      "amf.5gc.mnc001.mcc001.3gppnetwork.org"}));
  EXPECT_EQ(primary_dns_name(p), "amf.5gc.mnc001.mcc001.3gppnetwork.org");

  p = with(profile_doc(), "/spec/sbi/tls/certificate/extraDnsNames", {"amf.5gc.svc", "x.org"});
  EXPECT_EQ(sbi_dns_names(p).size(), 5u);  // the duplicate is dropped
  EXPECT_EQ(nf_instance_uri("5F1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F"),
            "urn:uuid:5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
}

}  // namespace
}  // namespace secprov::render
