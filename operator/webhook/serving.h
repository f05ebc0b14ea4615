#pragma once
// The webhooks' serving certificate: a bootstrap CA the operator creates and keeps in a Secret
// of its namespace, a serving certificate issued from it (another Secret), both written to
// local files the HTTPS server reads per connection, and the CA bundle injected into the
// operator's MutatingWebhookConfiguration and ValidatingWebhookConfiguration.
//
// Every replica runs this: Secrets are created or, when another replica won the race, read
// (create-or-read; updates carry the resourceVersion read). Objects without the managed-by
// label are never written: they are reported.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "crypto/authority.h"
#include "crypto/certificate.h"
#include "http/server.h"
#include "kube/client.h"
#include "runtime/clock.h"

namespace secprov::webhook {

kube::ResourceType mutating_webhook_configurations();
kube::ResourceType validating_webhook_configurations();

struct ServingOptions {
  std::string operator_namespace = "secprov-system";
  std::string service_name = "secprov-webhook";  // SAN <service>.<namespace>.svc
  std::vector<std::string> extra_dns_names;      // more dNSName SANs
  std::vector<std::string> extra_ip_addresses;   // iPAddress SANs (tests: 127.0.0.1)
  std::string ca_secret_name = "secprov-webhook-ca";
  std::string tls_secret_name = "secprov-webhook-tls";
  std::string configuration_name = "secprov";  // both webhook configurations
  std::filesystem::path cert_dir;              // tls.crt / tls.key written here
  std::chrono::seconds ca_validity{std::chrono::hours(24 * 365 * 10)};
  std::chrono::seconds certificate_validity{std::chrono::hours(24 * 90)};
  std::chrono::seconds renew_before{std::chrono::hours(24 * 30)};
  // Upper bound of the wait between passes (a missed event, a deleted Secret).
  std::chrono::seconds resync{std::chrono::seconds(60)};
  std::shared_ptr<const runtime::Clock> clock = runtime::system_clock();
};

// ---- pure parts (unit-tested) ----

// The SANs the serving certificate must carry, in order: <service>.<ns>.svc, then the extras.
crypto::CertificateTemplate serving_template(const ServingOptions& options,
                                             std::chrono::system_clock::time_point now);

// Why the stored serving certificate must be issued again, nullopt when it is good:
// "Missing", "IssuerChanged" (not signed by `ca`), "SansChanged", "RenewalDue" (inside
// renew_before of notAfter, or notAfter beyond the CA's).
std::optional<std::string> serving_reissue_reason(const crypto::Certificate* stored,
                                                  const crypto::Certificate& ca,
                                                  const ServingOptions& options,
                                                  std::chrono::system_clock::time_point now);

// The server-side apply body that sets clientConfig.caBundle of every webhook of
// `configuration` (a Mutating- or ValidatingWebhookConfiguration) to `ca_bundle_pem`; nullopt
// when every webhook already has it. Nothing else is in the body, so nothing else is taken.
std::optional<nlohmann::json> ca_bundle_apply(const nlohmann::json& configuration,
                                              const std::string& ca_bundle_pem);

// Whether an object carries app.kubernetes.io/managed-by=secprov.
bool managed_by_secprov(const nlohmann::json& object);

// The other label that makes a webhook configuration the operator's: Helm labels every object
// it installs app.kubernetes.io/managed-by=Helm, over the chart's "secprov" (helm/secprov).
inline constexpr const char* kInjectCaBundleSelector = "secprov.io/inject-ca-bundle=true";
// Whether the operator writes the caBundle of this webhook configuration (it must also have
// the --webhook-configuration-name): labelled managed-by=secprov or inject-ca-bundle=true.
bool ca_bundle_injectable(const nlohmann::json& configuration);

// ---- the loop ----

// One pass's outcome, for logs and tests.
struct SyncReport {
  bool serving = false;               // files written from a usable certificate
  std::vector<std::string> problems;  // foreign objects, API errors (never Secret data)
  std::vector<std::string> injected;  // "<Kind>/<name>" patched in this pass
  bool foreign = false;               // a Secret it needs is someone else's: nothing to retry soon
};

class ServingCertificates {
 public:
  ServingCertificates(std::shared_ptr<kube::Client> client, ServingOptions options);

  // The files the HTTPS server reads (they may not exist before the first good pass).
  http::ServerTls tls_files() const;
  // One pass: CA, serving certificate, files, caBundle injection.
  SyncReport sync();
  // Runs sync() until `stop`: again after `resync`, earlier when the serving certificate's
  // renewal is due, and after wake() (a webhook configuration changed).
  void run(std::stop_token stop);
  void wake();

 private:
  struct Authority {
    crypto::CertificateAuthority ca;
    // The caBundle: the CA, then the CA it replaced while that one is still valid (replicas
    // and the apiserver catch up one after the other).
    std::string bundle_pem;
  };
  std::optional<Authority> ensure_ca(SyncReport& report);
  std::optional<crypto::Certificate> ensure_serving(const crypto::CertificateAuthority& ca,
                                                    SyncReport& report);
  void inject(const kube::ResourceType& type, const std::string& ca_pem, SyncReport& report);

  std::shared_ptr<kube::Client> client_;
  ServingOptions options_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool woken_ = false;
  std::chrono::system_clock::time_point next_renewal_{};
};

}  // namespace secprov::webhook
