#pragma once
// Test support for the profile reconciler's unit tests: the TrustDomain "td" as its controller
// leaves it once the CA is Ready (the CA key-pair Secret `td-ca-keypair` in the operator
// namespace and the TrustDomain with status Ready), seeded into the reconcilers' caches.

#include <chrono>
#include <nlohmann/json.hpp>

#include "controllers/context.h"
#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "crypto/encoding.h"
#include "crypto/key.h"

namespace secprov::controllers::testing {

// A P-256 self-signed CA valid from an hour before `now` for ten years.
inline crypto::CertificateAuthority test_ca(std::chrono::system_clock::time_point now) {
  using namespace std::chrono_literals;
  return crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                          {.country = "FR",
                                                           .organization = "5gc.example",
                                                           .organizational_unit = {},
                                                           .common_name = "CA"},
                                                          24h * 3650, now - 1h);
}

// Seeds the operator-namespace CA Secret and the Ready TrustDomain "td" (domain 5gc.example).
inline void seed_ready_trust_domain(const Stores& stores, const crypto::CertificateAuthority& ca) {
  using Json = nlohmann::json;
  stores.operator_secrets->upsert(
      Json{{"apiVersion", "v1"},
           {"kind", "Secret"},
           {"metadata",
            {{"name", "td-ca-keypair"},
             {"namespace", "secprov-system"},
             {"resourceVersion", "1"},
             {"labels", {{"secprov.io/trust-domain", "td"}}}}},
           {"data",
            {{"tls.crt", crypto::base64_encode(ca.certificate().to_pem())},
             {"tls.key", crypto::base64_encode(ca.key().to_pkcs8_pem())}}}});
  stores.trust_domains->upsert(
      Json{{"apiVersion", "secprov.io/v1alpha1"},
           {"kind", "TrustDomain"},
           {"metadata",
            {{"name", "td"}, {"uid", "td-uid"}, {"generation", 1}, {"resourceVersion", "2"}}},
           {"spec",
            {{"domain", "5gc.example"},
             {"country", "FR"},
             {"ca", {{"generate", {{"keyAlgorithm", "ECDSA-P256"}, {"duration", "87600h"}}}}}}},
           {"status",
            {{"caFingerprint", ca.certificate().sha256_fingerprint()},
             {"conditions",
              {{{"type", "Ready"},
                {"status", "True"},
                {"reason", "CAReady"},
                {"message", ""},
                {"observedGeneration", 1},
                {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}}}});
}

}  // namespace secprov::controllers::testing
