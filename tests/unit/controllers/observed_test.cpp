#include "controllers/observed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "crypto/authority.h"
#include "crypto/encoding.h"
#include "crypto/key.h"
#include "crypto/template.h"
#include "render/digest.h"
#include "runtime/packed.h"

namespace secprov::controllers {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kLabels = {{"app.kubernetes.io/managed-by", "secprov"},
                                                    {"secprov.io/profile", "amf"}};

// A Secret as the operator wrote it: data digests recorded in its annotation.
json written_secret(const std::map<std::string, std::string>& plain) {
  json data = json::object();
  for (const auto& [key, value] : plain) data[key] = crypto::base64_encode(value);
  return {{"kind", "Secret"},
          {"metadata",
           {{"labels", kLabels},
            // As the API server requires: apiVersion, kind, name and uid.
            {"ownerReferences", json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                                              {"kind", "SecurityProfile"},
                                              {"name", "amf"},
                                              {"uid", "owner-1"},
                                              {"controller", true}}})},
            {"annotations",
             {{render::kInputDigestAnnotation, "sha256:inputs"},
              {render::kDataDigestsAnnotation,
               json(render::data_digests(data, render::DataEncoding::Base64)).dump()}}}}},
          {"data", data}};
}

crypto::Certificate test_certificate(const std::string& name) {
  return crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                          {.country = "FR",
                                                           .organization = name,
                                                           .organizational_unit = {},
                                                           .common_name = name},
                                                          std::chrono::hours(24),
                                                          std::chrono::system_clock::now())
      .certificate();
}

TEST(CompactMetadata, KeepsOfTheMetadataWhatEachCacheSays) {
  const json object = {
      {"kind", "Secret"},
      {"metadata",
       {{"name", "amf-tls"},
        {"creationTimestamp", "2026-12-02T13:04:48Z"},
        {"annotations",
         {{"kubectl.kubernetes.io/last-applied-configuration", "{}"}, {"team", "core"}}},
        {"managedFields", json::array({{{"manager", "secprov-operator"},
                                        {"operation", "Apply"},
                                        {"time", "2026-12-02T13:04:48Z"},
                                        {"fieldsType", "FieldsV1"},
                                        {"fieldsV1", {{"f:data", json::object()}}}}})}}},
      {"data", {{"tls.crt", "Y2VydA=="}}}};
  struct Case {
    std::string name;
    MetadataKept kept;
    bool creation_time, writers, last_applied;
  };
  const std::vector<Case> cases = {
      {"the caches of a profile's objects", {}, false, true, false},
      {"profiles and trust domains", {.writers = false}, false, false, false},
      {"the caches PUT back whole",
       {.writers = true, .last_applied = true, .creation_time = true},
       true,
       true,
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const json compact = compact_metadata(object, c.kept);
    const auto& metadata = compact["metadata"];
    EXPECT_EQ(metadata.contains("creationTimestamp"), c.creation_time);
    EXPECT_EQ(metadata.contains("managedFields"), c.writers);
    if (c.writers) {
      const auto& writer = metadata["managedFields"][0];
      EXPECT_EQ(writer, (json{{"manager", "secprov-operator"}, {"operation", "Apply"}}));
    }
    EXPECT_EQ(metadata["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"),
              c.last_applied);
    // Everything else stays as it was.
    EXPECT_EQ(metadata["annotations"]["team"], "core");
    EXPECT_EQ(metadata["name"], "amf-tls");
    EXPECT_EQ(compact["data"], object["data"]);
  }
  // Not an object's metadata: left alone.
  EXPECT_EQ(compact_metadata(json{{"metadata", 1}}, {}), (json{{"metadata", 1}}));
  EXPECT_EQ(compact_metadata(json{{"data", 1}}, {}), (json{{"data", 1}}));
}

TEST(DataValue, ReadsASecretsBase64OrAConfigMapsPlainValue) {
  const json secret_data = {{"tls.key", crypto::base64_encode("key bytes")}, {"count", 3}};
  EXPECT_EQ(data_value(secret_data, "tls.key", DataEncoding::Base64), "key bytes");
  EXPECT_EQ(data_value(secret_data, "tls.key", DataEncoding::Plain),
            crypto::base64_encode("key bytes"));
  EXPECT_EQ(data_value(secret_data, "missing", DataEncoding::Base64), std::nullopt);
  EXPECT_EQ(data_value(secret_data, "count", DataEncoding::Plain), std::nullopt);  // not a string
  EXPECT_EQ(data_value(json::array({"tls.key"}), "tls.key", DataEncoding::Plain), std::nullopt);
  EXPECT_EQ(data_value(json(), "tls.key", DataEncoding::Plain), std::nullopt);
}

TEST(StripSecretData, KeepsDigestsTheLeafAndTheBundlesFingerprintsOnly) {
  const auto leaf = test_certificate("leaf");
  const auto a = test_certificate("a");
  const auto b = test_certificate("b");
  const auto raw = written_secret({{"tls.crt", leaf.to_pem() + a.to_pem()},
                                   {"tls.key", "KEY"},
                                   {"ca.crt", a.to_pem() + b.to_pem()}});
  const auto stripped = strip_secret_data(raw);
  EXPECT_TRUE(stripped["data"].empty());
  EXPECT_EQ(stripped.dump().find(crypto::base64_encode("KEY")), std::string::npos);
  // As written: the digests are those of the annotation, kept once, parsed (its text is not
  // kept: as hex strings the digests pack to half of it).
  EXPECT_EQ(stripped[kCachedDigestsField], json(true));
  EXPECT_FALSE(stripped["metadata"]["annotations"].contains(render::kDataDigestsAnnotation));
  EXPECT_EQ(stripped[kCachedRecordedDigestsField], json(render::recorded_data_digests(raw)));
  EXPECT_EQ(secret_value_digest(stripped, "tls.key"), crypto::sha256_hex("KEY"));
  ASSERT_TRUE(stripped[kCachedLeafField].is_binary());
  EXPECT_EQ(secret_leaf(stripped), crypto::LeafFacts::of(leaf));
  // Of the certificate itself, only the facts: under half its DER.
  EXPECT_LT(stripped[kCachedLeafField].get_binary().size() * 2, leaf.to_der().size());
  EXPECT_EQ(secret_certificate(stripped), std::nullopt);
  EXPECT_EQ(secret_ca_fingerprints(stripped),
            (std::set{a.sha256_fingerprint(), b.sha256_fingerprint()}));
  EXPECT_EQ(secret_value_digest(stripped, "ca.crt"), render::value_digest(a.to_pem() + b.to_pem()));
  // What the readers tell of the cached copy, they tell of the Secret as the server has it.
  EXPECT_EQ(secret_leaf(raw), crypto::LeafFacts::of(leaf));
  EXPECT_EQ(secret_certificate(raw), leaf);
  EXPECT_EQ(secret_ca_fingerprints(raw), secret_ca_fingerprints(stripped));
  for (const char* key : {"tls.crt", "tls.key", "ca.crt", "absent"}) {
    EXPECT_EQ(secret_value_digest(raw, key), secret_value_digest(stripped, key)) << key;
  }
  // A tenth of the certificates' base64 stays in the cache.
  EXPECT_LT(runtime::PackedJson(stripped).size() * 2, runtime::PackedJson(raw).size());
}

// The leaf is tls.crt's first certificate, whatever other blocks come before it.
TEST(StripSecretData, TheLeafIsTheFirstCertificateBlock) {
  const auto leaf = test_certificate("leaf");
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  const auto raw = written_secret(
      {{"tls.crt", key.to_pkcs8_pem() + leaf.to_pem() + test_certificate("ca").to_pem()}});
  EXPECT_EQ(secret_leaf(strip_secret_data(raw)), crypto::LeafFacts::of(leaf));
  EXPECT_EQ(secret_leaf(raw), crypto::LeafFacts::of(leaf));
}

TEST(StripSecretData, UnreadableOrMissingCertificatesLeaveNothingToRead) {
  const auto unreadable =
      strip_secret_data(written_secret({{"tls.crt", "CERT"}, {"ca.crt", "CA"}}));
  EXPECT_EQ(secret_leaf(unreadable), std::nullopt);
  EXPECT_EQ(secret_ca_fingerprints(unreadable), std::set<std::string>{});  // a ca.crt, empty
  EXPECT_EQ(secret_value_digest(unreadable, "tls.crt"), crypto::sha256_hex("CERT"));
  // A CERTIFICATE block that holds no certificate: unreadable too, cached or not.
  const auto junk = written_secret(
      {{"tls.crt", "-----BEGIN CERTIFICATE-----\n" + crypto::base64_encode("not a certificate") +
                       "\n-----END CERTIFICATE-----\n"}});
  EXPECT_EQ(secret_leaf(strip_secret_data(junk)), std::nullopt);
  EXPECT_EQ(secret_leaf(junk), std::nullopt);
  const auto without = strip_secret_data(written_secret({{"tls.key", "KEY"}}));
  EXPECT_EQ(secret_leaf(without), std::nullopt);
  EXPECT_EQ(secret_ca_fingerprints(without), std::nullopt);
  EXPECT_EQ(secret_value_digest(without, "tls.crt"), "");
}

// One reader for both: what secret_leaf tells of a Secret as the server has it, it tells of
// the cached copy, whether tls.crt is readable or not.
// The memo changes what the transform costs, never what it keeps: a Secret the operator issued
// (its facts remembered at issuance) and one it did not (read from the Secret) are stored
// exactly as without a memo, and the bundle they share is remembered once read.
TEST(StripSecretData, WithAMemoKeepsExactlyWhatItKeepsWithout) {
  const auto ca = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = "ca", .organizational_unit = {}, .common_name = "ca"},
      std::chrono::hours(24), std::chrono::system_clock::now());
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
  crypto::CertificateTemplate request;
  request.subject.common_name = "amf";
  request.uris = {"urn:uuid:0f9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"};
  request.not_before = std::chrono::system_clock::now();
  request.not_after = request.not_before + std::chrono::hours(1);
  const auto issued = ca.issue(key, request, request.not_before);
  const auto chain = issued.to_pem() + ca.certificate_pem();
  const auto bundle = ca.certificate_pem() + test_certificate("previous").to_pem();

  CertificateFactsMemo memo;
  EXPECT_EQ(issued_leaf_facts(issued, chain, &memo), crypto::LeafFacts::of(issued));
  const auto written = written_secret({{"tls.crt", chain}, {"tls.key", "KEY"}, {"ca.crt", bundle}});
  const auto other =
      written_secret({{"tls.crt", test_certificate("other").to_pem()}, {"ca.crt", bundle}});
  EXPECT_EQ(strip_secret_data(written, &memo), strip_secret_data(written));
  EXPECT_TRUE(memo.recall(kCachedCaFingerprintsField, render::value_digest(bundle)).has_value());
  EXPECT_EQ(strip_secret_data(other, &memo), strip_secret_data(other));
  // What the memo holds for a digest is what the transform takes: it is consulted.
  memo.remember(kCachedLeafField, render::value_digest(chain), json::binary({}));
  EXPECT_EQ(secret_leaf(strip_secret_data(written, &memo)), std::nullopt);
}

TEST(CertificateFactsMemo, HoldsItsCapacityOldestFirstOut) {
  CertificateFactsMemo memo(2);
  memo.remember(kCachedLeafField, "d1", json("one"));
  memo.remember(kCachedLeafField, "d2", json("two"));
  memo.remember(kCachedLeafField, "d1", json("one again"));  // replaced, not added
  EXPECT_EQ(memo.recall(kCachedLeafField, "d1"), json("one again"));
  EXPECT_EQ(memo.recall(kCachedCaFingerprintsField, "d1"), std::nullopt);  // by field too
  memo.remember(kCachedLeafField, "d3", json("three"));
  EXPECT_EQ(memo.recall(kCachedLeafField, "d1"), std::nullopt);  // the oldest went
  EXPECT_EQ(memo.recall(kCachedLeafField, "d2"), json("two"));
  EXPECT_EQ(memo.recall(kCachedLeafField, "d3"), json("three"));
  CertificateFactsMemo none(0);
  none.remember(kCachedLeafField, "d1", json("one"));
  EXPECT_EQ(none.recall(kCachedLeafField, "d1"), std::nullopt);
}

TEST(SecretLeaf, TellsOfTheServersSecretWhatItTellsOfTheCachedCopy) {
  const auto leaf = test_certificate("leaf");
  const std::string not_a_certificate = "-----BEGIN CERTIFICATE-----\n" +
                                        crypto::base64_encode("not a certificate") +
                                        "\n-----END CERTIFICATE-----\n";
  const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256).to_pkcs8_pem();
  for (const auto& tls_crt : std::vector<std::string>{leaf.to_pem(), key + leaf.to_pem(), "CERT",
                                                      "", not_a_certificate, key}) {
    SCOPED_TRACE(tls_crt);
    const auto raw = written_secret({{"tls.crt", tls_crt}});
    const auto cached = secret_leaf(strip_secret_data(raw));
    EXPECT_EQ(secret_leaf(raw), cached);
    EXPECT_EQ(cached.has_value(), tls_crt.find(leaf.to_pem()) != std::string::npos);
  }
}

TEST(Observe, AnUntouchedObjectIsInSync) {
  const auto cached = strip_secret_data(written_secret({{"tls.crt", "C"}, {"tls.key", "K"}}));
  const auto observation = observe(&cached, kLabels, "owner-1");
  EXPECT_TRUE(observation.exists);
  EXPECT_FALSE(observation.drifted());
  EXPECT_EQ(observation.input_digest, "sha256:inputs");
}

TEST(Observe, ReportsEachModifiedOrRemovedManagedKey) {
  auto secret = written_secret({{"tls.crt", "C"}, {"tls.key", "K"}, {"ca.crt", "A"}});
  secret["data"]["tls.key"] = crypto::base64_encode("tampered");
  secret["data"].erase("ca.crt");
  secret["data"]["foreign"] = crypto::base64_encode("added by someone else");
  const auto cached = strip_secret_data(secret);
  ASSERT_TRUE(cached[kCachedDigestsField].is_object());  // no longer the annotation's: its own
  EXPECT_EQ(secret_value_digest(cached, "tls.key"), crypto::sha256_hex("tampered"));
  EXPECT_EQ(secret_value_digest(cached, "ca.crt"), "");
  const auto observation = observe(&cached, kLabels, "owner-1");
  EXPECT_TRUE(observation.drifted());
  EXPECT_EQ(observation.drifted_keys,
            (std::map<std::string, KeyDrift>{{"tls.key", KeyDrift::Modified},
                                             {"ca.crt", KeyDrift::Removed}}));
}

TEST(Observe, AnEditedDigestsAnnotationIsDriftInTheCacheToo) {
  auto secret = written_secret({{"tls.crt", "C"}, {"tls.key", "K"}});
  auto& annotation = secret["metadata"]["annotations"][std::string(render::kDataDigestsAnnotation)];
  auto recorded = json::parse(annotation.get<std::string>());
  recorded["tls.key"] = crypto::sha256_hex("something else");
  annotation = recorded.dump();
  const auto cached = strip_secret_data(secret);
  ASSERT_TRUE(cached[kCachedDigestsField].is_object());
  EXPECT_EQ(observe(&cached, kLabels, "owner-1").drifted_keys,
            (std::map<std::string, KeyDrift>{{"tls.key", KeyDrift::Modified}}));
  annotation = "not json";
  const auto unreadable = strip_secret_data(secret);
  ASSERT_TRUE(unreadable[kCachedDigestsField].is_object());
  EXPECT_EQ(unreadable[kCachedRecordedDigestsField], json(false));
  EXPECT_EQ(observe(&unreadable, kLabels, "owner-1").drifted_keys.size(), 2U);
  // Without the annotation: nothing recorded, nothing managed to drift.
  secret["metadata"]["annotations"].erase(std::string(render::kDataDigestsAnnotation));
  const auto unannotated = strip_secret_data(secret);
  EXPECT_FALSE(unannotated.contains(kCachedRecordedDigestsField));
  EXPECT_TRUE(observe(&unannotated, kLabels, "owner-1").drifted_keys.empty());
  EXPECT_EQ(observe(&unannotated, kLabels, "owner-1").object_digest,
            observe(&secret, kLabels, "owner-1").object_digest);
}

TEST(Observe, AStrippedLabelOrOwnerIsDrift) {
  auto secret = written_secret({{"tls.crt", "C"}});
  secret["metadata"]["labels"].erase("secprov.io/profile");
  EXPECT_FALSE(observe(&secret, kLabels, "owner-1").labels_intact);
  EXPECT_TRUE(observe(&secret, kLabels, "owner-1").drifted());
  const auto intact = written_secret({{"tls.crt", "C"}});
  EXPECT_FALSE(observe(&intact, kLabels, "another-owner").owner_intact);
}

// A profile's ConfigMap as the operator wrote it (it carries the profile label).
json written_config_map(const json& data) {
  return {{"kind", "ConfigMap"},
          {"metadata",
           {{"labels", kLabels},
            {"ownerReferences", json::array({{{"apiVersion", "secprov.io/v1alpha1"},
                                              {"kind", "SecurityProfile"},
                                              {"name", "amf"},
                                              {"uid", "o"},
                                              {"controller", true}}})},
            {"annotations",
             {{render::kDataDigestsAnnotation,
               json(render::data_digests(data, render::DataEncoding::Plain)).dump()}}}}},
          {"data", data}};
}

TEST(Observe, ConfigMapsAreComparedByValue) {
  auto config_map = written_config_map({{"security.yaml", "a: 1\n"}});
  EXPECT_FALSE(observe(&config_map, kLabels, "o").drifted());
  config_map["data"]["security.yaml"] = "a: 2\n";
  EXPECT_EQ(observe(&config_map, kLabels, "o").drifted_keys.at("security.yaml"),
            KeyDrift::Modified);
}

TEST(StripConfigMapData, AProfilesConfigMapKeepsDigestsOnlyAndItsDriftShows) {
  const json data = {{"security.yaml", "a: 1\n"}, {"amf.yaml", "amf: {}\n"}};
  const auto cached = strip_config_map_data(written_config_map(data));
  EXPECT_TRUE(cached["data"].empty());
  EXPECT_EQ(cached[kCachedDigestsField], json(true));  // those of its annotation, kept once
  EXPECT_FALSE(observe(&cached, kLabels, "o").drifted());

  auto edited = written_config_map(data);
  edited["data"]["amf.yaml"] = "amf: {tls: off}\n";
  edited["data"].erase("security.yaml");
  const auto cached_edit = strip_config_map_data(edited);
  EXPECT_EQ(cached_edit[kCachedDigestsField],
            json({{"amf.yaml", crypto::sha256_hex("amf: {tls: off}\n")}}));  // its own
  EXPECT_EQ(observe(&cached_edit, kLabels, "o").drifted_keys,
            (std::map<std::string, KeyDrift>{{"amf.yaml", KeyDrift::Modified},
                                             {"security.yaml", KeyDrift::Removed}}));
}

TEST(StripConfigMapData, ATrustBundleKeepsItsData) {
  auto bundle = written_config_map({{"ca.crt", "PEM"}});
  bundle["metadata"]["labels"].erase("secprov.io/profile");
  const auto cached = strip_config_map_data(bundle);
  EXPECT_EQ(cached, bundle);
}

TEST(StripProfileStatus, KeepsWhatHandlersCompareAndTheDigestOfTheWholeStatus) {
  const json consistent = {{"type", "Consistent"}, {"status", "True"}, {"reason", "NoPeers"}};
  const json status = {
      {"observedGeneration", 3},
      {"nfInstanceId", "id-1"},
      {"consistency", {{"peers", json::array({"smf"})}}},
      {"certificate", {{"serialNumber", "01"}}},
      {"objects", json::array({{{"kind", "Secret"}, {"name", "amf-tls"}}})},
      {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}, consistent})}};
  const json profile = {{"metadata", {{"name", "amf"}, {"generation", 3}}},
                        {"spec", {{"nfType", "AMF"}}},
                        {"status", status}};
  const auto cached = strip_profile_status(profile);
  EXPECT_TRUE(is_stripped_profile(cached));
  EXPECT_FALSE(is_stripped_profile(profile));
  EXPECT_EQ(cached[kCachedStatusDigestField], render::json_digest(status));
  EXPECT_EQ(cached["status"], (json{{"observedGeneration", 3},
                                    {"nfInstanceId", "id-1"},
                                    {"consistency", status["consistency"]}}));
  EXPECT_EQ(cached["spec"], profile["spec"]);
  EXPECT_EQ(cached["metadata"], profile["metadata"]);
  // The Consistent condition as its digest, the same read from either form.
  EXPECT_EQ(cached[kCachedConsistentDigestField], render::json_digest(consistent));
  EXPECT_EQ(consistent_condition_digest(cached), render::json_digest(consistent));
  EXPECT_EQ(consistent_condition_digest(profile), render::json_digest(consistent));
  auto changed = profile;
  changed["status"]["conditions"][1]["reason"] = "Consistent";
  EXPECT_NE(consistent_condition_digest(strip_profile_status(changed)),
            consistent_condition_digest(cached));
  auto without = profile;
  without["status"]["conditions"].erase(1);
  EXPECT_FALSE(strip_profile_status(without).contains(kCachedConsistentDigestField));
  EXPECT_EQ(consistent_condition_digest(strip_profile_status(without)), "");
  EXPECT_EQ(consistent_condition_digest(without), "");
  // A profile without a status yet is kept as it is.
  const json fresh = {{"metadata", {{"name", "amf"}}}, {"spec", {{"nfType", "AMF"}}}};
  EXPECT_EQ(strip_profile_status(fresh), fresh);
  EXPECT_EQ(consistent_condition_digest(fresh), "");
}

TEST(Observe, AMissingObjectDoesNotExist) {
  const auto observation = observe(nullptr, kLabels, "o");
  EXPECT_FALSE(observation.exists);
  EXPECT_FALSE(observation.drifted());
}

}  // namespace
}  // namespace secprov::controllers
