// The TrustDomain reconciler's pure decisions, table-driven.
#include "render/trust_domain.h"

#include <gtest/gtest.h>

#include "api/trustdomain.h"
#include "controllers/conditions.h"
#include "controllers/mappers.h"
#include "controllers/observed.h"
#include "controllers/trust_domain_controller.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "render/labels.h"
#include "runtime/events.h"
#include "unit/runtime/fake_api.h"

namespace secprov::controllers::trust {
namespace {

using namespace std::chrono;

const std::string kOld(64, 'a');
const std::string kNew(64, 'b');

CaObservation observed(bool generated, bool exists, std::string loaded, std::string accepted,
                       std::optional<std::string> replacement = std::nullopt,
                       std::optional<CaUnavailable> error = std::nullopt) {
  return {generated,           "ops/td-ca-keypair",   exists, std::move(loaded), std::move(error),
          std::move(accepted), std::move(replacement)};
}

struct CaCase {
  std::string name;
  CaObservation input;
  CaAction action;
  std::string reason;
};

TEST(DecideCa, Table) {
  const CaUnavailable invalid{"InvalidCA", "Secret ops/td-ca-keypair: not a CA"};
  const std::vector<CaCase> cases = {
      // First CA: generated or taken as found.
      {"new generated domain", observed(true, false, "", ""), CaAction::Generate, "CAGenerating"},
      {"first generated CA", observed(true, true, kNew, ""), CaAction::Accept, "CAReady"},
      {"first imported CA", observed(false, true, kNew, ""), CaAction::Accept, "CAReady"},
      {"imported Secret absent", observed(false, false, "", ""), CaAction::Stall,
       "CASecretNotFound"},
      {"first CA invalid", observed(false, true, "", "", std::nullopt, invalid), CaAction::Stall,
       "InvalidCA"},
      {"token on a new domain", observed(true, false, "", "", "t1"), CaAction::Generate,
       "CAGenerating"},
      // Issued already: nothing is silently regenerated or accepted.
      {"accepted CA loaded", observed(true, true, kOld, kOld), CaAction::Accept, "CAReady"},
      {"generated key pair deleted", observed(true, false, "", kOld), CaAction::Stall,
       "CAKeyPairMissing"},
      {"imported Secret deleted", observed(false, false, "", kOld), CaAction::Stall,
       "CAKeyPairMissing"},
      {"generated key pair replaced", observed(true, true, kNew, kOld), CaAction::Stall,
       "CAKeyPairChanged"},
      {"imported CA changed", observed(false, true, kNew, kOld), CaAction::Stall,
       "CAKeyPairChanged"},
      {"key pair broken", observed(true, true, "", kOld, std::nullopt, invalid), CaAction::Stall,
       "InvalidCA"},
      // Explicit replacement.
      {"replace a generated CA", observed(true, true, kOld, kOld, "t1"),
       CaAction::GenerateReplacement, "CAReplacing"},
      {"replace a lost generated CA", observed(true, false, "", kOld, "t1"),
       CaAction::GenerateReplacement, "CAReplacing"},
      {"replace a broken generated CA", observed(true, true, "", kOld, "t1", invalid),
       CaAction::GenerateReplacement, "CAReplacing"},
      {"the new CA is in the Secret", observed(true, true, kNew, kOld, "t1"),
       CaAction::AcceptReplacement, "CAReplaced"},
      {"accept a changed imported CA", observed(false, true, kNew, kOld, "t1"),
       CaAction::AcceptReplacement, "CAReplaced"},
      {"imported: waits for the new CA", observed(false, true, kOld, kOld, "t1"), CaAction::Accept,
       "CAReady"},
      {"imported: nothing to accept", observed(false, false, "", kOld, "t1"), CaAction::Stall,
       "CAKeyPairMissing"},
  };
  for (const auto& c : cases) {
    const auto decision = decide_ca(c.input);
    EXPECT_EQ(decision.action, c.action) << c.name;
    EXPECT_EQ(decision.reason, c.reason) << c.name;
    EXPECT_FALSE(decision.message.empty()) << c.name;
  }
}

TEST(DecideCa, StallMessagesNameTheSecretAndTheAcceptedFingerprint) {
  for (const auto& input : {observed(true, false, "", kOld), observed(true, true, kNew, kOld)}) {
    const auto decision = decide_ca(input);
    EXPECT_NE(decision.message.find("ops/td-ca-keypair"), std::string::npos) << decision.message;
    EXPECT_NE(decision.message.find(kOld), std::string::npos) << decision.message;
    EXPECT_NE(decision.message.find("secprov.io/replace-ca"), std::string::npos)
        << decision.message;
  }
}

TEST(DecideCaExpiry, DueAtNotAfterMinus720h) {
  const api::Timestamp not_after = sys_days{2030y / January / 31};
  const auto due = system_clock::time_point(not_after) - hours(720);

  const auto before = decide_ca_expiry(not_after, due - seconds(1));
  EXPECT_FALSE(before.expiring);
  EXPECT_EQ(before.reason, "CAValid");
  EXPECT_EQ(before.due, due) << "requeued at the exact instant it becomes due";

  for (const auto now : {due, due + hours(1), system_clock::time_point(not_after) + hours(1)}) {
    const auto at = decide_ca_expiry(not_after, now);
    EXPECT_TRUE(at.expiring);
    EXPECT_EQ(at.reason, "CAExpiringSoon");
    EXPECT_NE(at.message.find("2030-01-31T00:00:00Z"), std::string::npos) << at.message;
    EXPECT_FALSE(at.due.has_value());
  }
  const auto none = decide_ca_expiry(std::nullopt, due);
  EXPECT_FALSE(none.expiring);
  EXPECT_FALSE(none.due.has_value());
}

TEST(RetainPreviousCas, KeptWhileALeafChainsToThemAndNotExpired) {
  const api::Timestamp now = sys_days{2026y / June / 1};
  const std::vector<api::PreviousCa> previous = {
      {"in-use", "A", sys_days{2027y / January / 1}},
      {"reissued", "B", sys_days{2027y / January / 1}},
      {"expired", "C", sys_days{2026y / January / 1}},
      {"in-use-2", "D", std::nullopt},
      {"in-use-3", "E", std::nullopt},
      {"in-use-4", "F", std::nullopt},
  };
  const auto result =
      retain_previous_cas(previous, {"in-use", "expired", "in-use-2", "in-use-3", "in-use-4"}, now);
  ASSERT_EQ(result.kept.size(), api::kMaxPreviousCas);
  EXPECT_EQ(result.kept[0].fingerprint, "in-use");
  EXPECT_EQ(result.kept[1].fingerprint, "in-use-2");
  EXPECT_EQ(result.kept[2].fingerprint, "in-use-3");
  EXPECT_EQ(result.dropped.size(), 3u);  // reissued, expired, over the bound
  EXPECT_TRUE(retain_previous_cas({}, {}, now).kept.empty());
  EXPECT_TRUE(retain_previous_cas(previous, {}, now).kept.empty()) << "every leaf reissued";
}

api::Condition condition(const std::string& type, bool status, const std::string& reason) {
  return make_condition(type, status, 1, reason, reason + " message");
}

TEST(TransitionEvents, OncePerTransitionNotPerReconcile) {
  const std::vector<api::Condition> ready = {condition("Stalled", false, "CAReady"),
                                             condition("CAExpiringSoon", false, "CAValid")};
  const std::vector<api::Condition> missing = {condition("Stalled", true, "CAKeyPairMissing"),
                                               condition("CAExpiringSoon", false, "CAValid")};
  const std::vector<api::Condition> changed = {condition("Stalled", true, "CAKeyPairChanged"),
                                               condition("CAExpiringSoon", false, "CAValid")};
  const std::vector<api::Condition> expiring = {
      condition("Stalled", false, "CAReady"), condition("CAExpiringSoon", true, "CAExpiringSoon")};

  const auto to_missing = transition_events(ready, missing);
  ASSERT_EQ(to_missing.size(), 1u);
  EXPECT_EQ(to_missing[0].type, runtime::EventType::Warning);
  EXPECT_EQ(to_missing[0].reason, "CAKeyPairMissing");
  EXPECT_EQ(to_missing[0].message, "CAKeyPairMissing message");
  EXPECT_TRUE(transition_events(missing, missing).empty()) << "same state, no second Event";
  ASSERT_EQ(transition_events(missing, changed).size(), 1u) << "a new reason is a transition";
  EXPECT_TRUE(transition_events(missing, ready).empty());
  EXPECT_TRUE(transition_events({}, ready).empty());

  const auto to_expiring = transition_events(ready, expiring);
  ASSERT_EQ(to_expiring.size(), 1u);
  EXPECT_EQ(to_expiring[0].reason, "CAExpiringSoon");
  EXPECT_TRUE(transition_events(expiring, expiring).empty());
}

}  // namespace
}  // namespace secprov::controllers::trust

// ---- TrustDomainReconciler on the in-memory API: what it writes is what render/ computes ----
namespace secprov::controllers {
namespace {

using Json = nlohmann::json;
constexpr const char* kDomainPath = "/apis/secprov.io/v1alpha1/trustdomains/td";
constexpr const char* kSecretsPath = "/api/v1/namespaces/secprov-system/secrets";

class TrustDomainReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = api_.client();
    context_.client = client_;
    context_.stores.profiles = std::make_shared<runtime::Store>();
    context_.stores.typed_profiles = make_profile_store();
    context_.stores.trust_domains = std::make_shared<runtime::Store>();
    context_.stores.managed_secrets = std::make_shared<runtime::Store>();
    context_.stores.managed_config_maps = std::make_shared<runtime::Store>();
    context_.stores.operator_secrets = std::make_shared<runtime::Store>();
    context_.events = std::make_shared<runtime::EventRecorder>(client_);
    context_.operator_namespace = "secprov-system";
    cas_ = std::make_shared<CaProvider>(context_.stores.operator_secrets, "secprov-system");
    reconciler_ = std::make_unique<TrustDomainReconciler>(context_, cas_);
  }

  static Json domain(const std::string& home_domain, const std::optional<std::string>& org) {
    Json d = {{"apiVersion", "secprov.io/v1alpha1"},
              {"kind", "TrustDomain"},
              {"metadata",
               {{"name", "td"}, {"uid", "td-uid"}, {"generation", 1}, {"resourceVersion", "2"}}},
              {"spec",
               {{"domain", home_domain},
                {"country", "FR"},
                {"ca", {{"generate", {{"keyAlgorithm", "ECDSA-P256"}, {"duration", "87600h"}}}}}}}};
    if (org) d["spec"]["organization"] = *org;
    return d;
  }

  runtime::ReconcileResult reconcile(const Json& object) {
    context_.stores.trust_domains->upsert(object);
    api_.put_object(kDomainPath, object);
    api_.put_object(std::string(kDomainPath) + "/status", object);
    return reconciler_->reconcile({"", "td"});
  }

  std::vector<runtime::testing::FakeApi::Request> secret_writes() const {
    std::vector<runtime::testing::FakeApi::Request> out;
    for (const auto& r : api_.requests()) {
      if (r.path.starts_with(kSecretsPath) && r.method != "GET") out.push_back(r);
    }
    return out;
  }

  Json condition(const std::string& type) const {
    const auto object = api_.object(std::string(kDomainPath) + "/status");
    for (const auto& c : object.value()["status"].value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json();
  }

  runtime::testing::FakeApi api_;
  std::shared_ptr<kube::Client> client_;
  Context context_;
  std::shared_ptr<CaProvider> cas_;
  std::unique_ptr<TrustDomainReconciler> reconciler_;
};

TEST_F(TrustDomainReconcilerTest, FirstCaIsTheKeyPairSecretRenderComputes) {
  const Json object = domain("5gc.example", std::nullopt);
  reconcile(object);
  const auto writes = secret_writes();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].method, "POST");
  const Json& written = writes[0].body;
  const auto parsed = api::parse_trust_domain(object);
  ASSERT_TRUE(parsed.ok());
  // The same Secret, field by field, given the key pair the reconciler obtained.
  const render::CaMaterial material{
      crypto::base64_decode(written["data"]["tls.crt"].get<std::string>()).value_or(""),
      crypto::base64_decode(written["data"]["tls.key"].get<std::string>()).value_or("")};
  EXPECT_TRUE(written == render::ca_key_pair_secret(parsed.value(), "secprov-system", material,
                                                    std::nullopt, nullptr));
  const auto ca = crypto::CertificateAuthority::load(material.certificate_pem,
                                                     material.private_key_pem, context_.now());
  EXPECT_EQ(ca.certificate().subject(), render::ca_subject(parsed.value()));
}

// spec.domain longer than an X.509 O holds and no spec.organization: before, crypto refused
// the subject on every retry; now the domain stalls, naming the field, and nothing is written.
TEST_F(TrustDomainReconcilerTest, SubjectThatCannotBeEncodedStallsAsInvalidSpec) {
  const std::string long_domain = std::string(60, 'x') + ".5gc.mnc001.mcc001.3gppnetwork.org";
  const auto result = reconcile(domain(long_domain, std::nullopt));
  EXPECT_TRUE(secret_writes().empty());
  EXPECT_EQ(condition("Stalled")["status"], "True");
  EXPECT_EQ(condition("Stalled")["reason"], "InvalidSpec");
  EXPECT_NE(condition("Stalled")["message"].get<std::string>().find("spec.organization"),
            std::string::npos);
  EXPECT_EQ(condition("Ready")["status"], "False");
  EXPECT_FALSE(result.requeue_after.has_value()) << "terminal: no retry until the spec changes";
}

TEST_F(TrustDomainReconcilerTest, LongDomainWithOrganizationGetsItsCa) {
  const std::string long_domain = std::string(60, 'x') + ".5gc.mnc001.mcc001.3gppnetwork.org";
  reconcile(domain(long_domain, "Operator A"));
  const auto writes = secret_writes();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].body["metadata"]["name"], "td-ca-keypair");
}

// An imported CA replaced (replace-ca and a new CA in its Secret): the old CA stays trusted,
// its PEM taken from what was published. The profile Secrets' cache keeps only the
// fingerprints of ca.crt, so the PEM is read from the server copy of the Secret that has it.
TEST_F(TrustDomainReconcilerTest, AReplacedImportedCaStaysTrustedFromAPublishedSecret) {
  const auto make_ca = [this](const std::string& name) {
    return crypto::CertificateAuthority::create_self_signed(
        crypto::KeyAlgorithm::EcdsaP256,
        {.country = "FR", .organization = name, .organizational_unit = {}, .common_name = name},
        std::chrono::hours(24), context_.now());
  };
  const auto old_ca = make_ca("old");
  const auto new_ca = make_ca("new");
  Json object = domain("5gc.example", std::nullopt);
  object["spec"]["ca"] = {{"secretRef", {{"name", "imported-ca"}}}};
  object["metadata"]["annotations"]["secprov.io/replace-ca"] = "t1";
  object["status"] = {{"caFingerprint", old_ca.certificate().sha256_fingerprint()},
                      {"observedGeneration", 1}};
  const Json imported = {{"kind", "Secret"},
                         {"metadata",
                          {{"name", "imported-ca"},
                           {"namespace", "secprov-system"},
                           {"resourceVersion", "1"},
                           {"labels", {{"secprov.io/trust-domain", "td"}}}}},
                         {"data",
                          {{"tls.crt", crypto::base64_encode(new_ca.certificate().to_pem())},
                           {"tls.key", crypto::base64_encode(new_ca.key().to_pkcs8_pem())}}}};
  context_.stores.operator_secrets->upsert(std::make_shared<const Json>(imported));
  // A profile of the domain in ns1, and its TLS Secret: a leaf of the old CA (which keeps it
  // trusted) and the old CA in ca.crt.
  crypto::CertificateTemplate request;
  request.subject = {
      .country = "FR", .organization = "amf", .organizational_unit = {}, .common_name = {}};
  request.dns_names = {"amf.example.org"};
  request.not_before = context_.now();
  request.not_after = request.not_before + std::chrono::hours(12);
  const auto leaf = old_ca.issue(crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256),
                                 request, context_.now());
  const Json profile = {{"apiVersion", "secprov.io/v1alpha1"},
                        {"kind", "SecurityProfile"},
                        {"metadata", {{"name", "amf"}, {"namespace", "ns1"}, {"uid", "amf-uid"}}},
                        {"spec", {{"nfType", "AMF"}, {"trustDomainRef", {{"name", "td"}}}}}};
  context_.stores.typed_profiles->upsert(std::make_shared<const Json>(profile));
  const Json tls = {{"kind", "Secret"},
                    {"metadata",
                     {{"name", "amf-tls"},
                      {"namespace", "ns1"},
                      {"resourceVersion", "3"},
                      {"labels", {{"secprov.io/trust-domain", "td"}}}}},
                    {"data",
                     {{"tls.crt", crypto::base64_encode(leaf.to_pem())},
                      {"ca.crt", crypto::base64_encode(old_ca.certificate().to_pem() +
                                                       new_ca.certificate().to_pem())}}}};
  context_.stores.managed_secrets->upsert(strip_secret_data(tls));
  api_.put_object("/api/v1/namespaces/ns1/secrets/amf-tls", tls);

  reconcile(object);
  const Json status = api_.object(std::string(kDomainPath) + "/status").value()["status"];
  EXPECT_EQ(status["caFingerprint"], new_ca.certificate().sha256_fingerprint()) << status.dump(2);
  const Json previous = status.value("previousCAs", Json::array());
  ASSERT_EQ(previous.size(), 1u) << status.dump(2);
  EXPECT_EQ(previous[0].value("fingerprint", ""), old_ca.certificate().sha256_fingerprint());
  EXPECT_EQ(previous[0].value("certificate", ""), old_ca.certificate().to_pem());
}

// ---- The next key pair of a rotation: written only when the TrustDomain owns it ----

class NextKeyPairTest : public TrustDomainReconcilerTest {
 protected:
  // A domain whose CA was accepted, asked to rotate (replace-ca=rot1).
  Json rotating_domain() {
    Json object = domain("5gc.example", std::nullopt);
    const auto parsed = api::parse_trust_domain(object);
    auto secret = render::ca_key_pair_secret(parsed.value(), "secprov-system",
                                             {ca_.certificate().to_pem(), ca_.key().to_pkcs8_pem()},
                                             std::nullopt, nullptr);
    secret["metadata"]["resourceVersion"] = "1";
    context_.stores.operator_secrets->upsert(std::make_shared<const Json>(secret));
    object["metadata"]["annotations"]["secprov.io/replace-ca"] = "rot1";
    object["status"]["caFingerprint"] = ca_.certificate().sha256_fingerprint();
    return object;
  }
  void put_next(Json labels, Json owner) {
    Json metadata = {{"name", "td-ca-keypair-next"},
                     {"namespace", "secprov-system"},
                     {"resourceVersion", "7"},
                     {"labels", std::move(labels)},
                     {"annotations", {{"secprov.io/replace-ca", "rot0"}}}};
    if (!owner.is_null()) metadata["ownerReferences"] = Json::array({std::move(owner)});
    const auto other = crypto::CertificateAuthority::create_self_signed(
        crypto::KeyAlgorithm::EcdsaP256,
        {.country = "FR", .organization = "other", .organizational_unit = {}, .common_name = "o"},
        std::chrono::hours(24), context_.now());
    context_.stores.operator_secrets->upsert(std::make_shared<const Json>(
        Json{{"apiVersion", "v1"},
             {"kind", "Secret"},
             {"metadata", metadata},
             {"data",
              {{"tls.crt", crypto::base64_encode(other.certificate().to_pem())},
               {"tls.key", crypto::base64_encode(other.key().to_pkcs8_pem())}}}}));
  }

  const crypto::CertificateAuthority ca_ = crypto::CertificateAuthority::create_self_signed(
      crypto::KeyAlgorithm::EcdsaP256,
      {.country = "FR", .organization = "td", .organizational_unit = {}, .common_name = "td"},
      std::chrono::hours(24 * 365), std::chrono::system_clock::now());
};

TEST_F(NextKeyPairTest, TheNewNextKeyPairIsMarkedAsTheTrustDomains) {
  reconcile(rotating_domain());
  const auto writes = secret_writes();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].method, "POST");
  const auto& metadata = writes[0].body["metadata"];
  EXPECT_EQ(metadata["name"], "td-ca-keypair-next");
  EXPECT_EQ(metadata["labels"]["app.kubernetes.io/managed-by"], "secprov");
  EXPECT_EQ(metadata["labels"]["secprov.io/trust-domain"], "td");
  ASSERT_EQ(metadata["ownerReferences"].size(), 1u);
  EXPECT_EQ(metadata["ownerReferences"][0]["kind"], "TrustDomain");
  EXPECT_EQ(metadata["ownerReferences"][0]["uid"], "td-uid");
  EXPECT_EQ(metadata["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(metadata["ownerReferences"][0]["blockOwnerDeletion"], true);
}

// A leftover look-alike (the domain's label, another token) that is not marked: before, it
// was PUT over with the new CA. Now nothing is written and the rotation does not start.
TEST_F(NextKeyPairTest, AForeignSecretOfTheNameIsNotWrittenAndTheRotationWaits) {
  put_next({{"secprov.io/trust-domain", "td"}}, nullptr);
  const auto result = reconcile(rotating_domain());
  EXPECT_TRUE(secret_writes().empty());
  EXPECT_EQ(condition("Rotating")["status"], "False");
  EXPECT_EQ(condition("Rotating")["reason"], "NextCaSecretNotOwned");
  EXPECT_NE(condition("Rotating")["message"].get<std::string>().find(
                "Secret secprov-system/td-ca-keypair-next"),
            std::string::npos);
  EXPECT_EQ(condition("Ready")["status"], "True") << "the accepted CA keeps issuing";
  EXPECT_TRUE(result.requeue) << "retried through the rate-limited queue";
}

TEST_F(NextKeyPairTest, OursWithAnotherTokenIsReplaced) {
  put_next({{"secprov.io/trust-domain", "td"}, {"app.kubernetes.io/managed-by", "secprov"}},
           render::trust_domain_owner_reference("td", "td-uid"));
  try {
    reconcile(rotating_domain());
  } catch (const kube::ApiError&) {
    // The fake API does not hold the Secret: the PUT is what is looked at.
  }
  const auto writes = secret_writes();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].method, "PUT");
  EXPECT_EQ(writes[0].body["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(writes[0].body["metadata"]["annotations"]["secprov.io/replace-ca"], "rot1");
}

}  // namespace
}  // namespace secprov::controllers
