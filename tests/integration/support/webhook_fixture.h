#pragma once
// The operator's validating webhook as the real kube-apiserver calls it in the tests: served by
// secprov-operator on a loopback port, registered by our (labelled) ValidatingWebhookConfiguration
// limited to the test's namespace, over the caBundle the operator injects into it.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kube/client.h"

namespace secprov::testing {

inline const kube::ResourceType kValidatingWebhookConfigurations{
    "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration", false};
inline const kube::ResourceType kMutatingWebhookConfigurations{
    "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
    "MutatingWebhookConfiguration", false};

// secprov-operator's flags to serve the webhook on 127.0.0.1:`port` (a certificate for that
// IP) and inject the caBundle into the webhook configurations named `configuration`.
std::vector<std::string> loopback_webhook_flags(std::uint16_t port,
                                                const std::string& configuration);

class LoopbackWebhook {
 public:
  // A free loopback port, and a configuration name unique to the test namespace `ns`
  // (webhook configurations are cluster-scoped).
  explicit LoopbackWebhook(std::string ns);
  LoopbackWebhook(const LoopbackWebhook&) = delete;
  LoopbackWebhook& operator=(const LoopbackWebhook&) = delete;
  // Deletes the validating and mutating configurations of that name whatever the test's
  // outcome, so no other test meets a webhook that points at a stopped operator.
  ~LoopbackWebhook();

  std::uint16_t port() const { return port_; }
  const std::string& configuration() const { return configuration_; }

  // loopback_webhook_flags for configuration(), on port() or on another replica's `port`.
  std::vector<std::string> operator_flags() const { return operator_flags(port_); }
  std::vector<std::string> operator_flags(std::uint16_t port) const {
    return loopback_webhook_flags(port, configuration_);
  }

  // Our ValidatingWebhookConfiguration (labelled managed-by=secprov), without caBundle,
  // calling port() for SecurityProfile CREATE and UPDATE in the namespace, failurePolicy Fail.
  std::string configuration_yaml() const;

  // The injected caBundle (PEM), empty until there is one.
  std::string injected_bundle(kube::Client& client) const;
  // Polls until the operator has injected a caBundle; returns it, empty on timeout.
  std::string await_bundle(kube::Client& client,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // The SHA-256 fingerprint (lower-case hex, no colons) of the certificate served on
  // 127.0.0.1:`port`, verified against `bundle_pem` for IP 127.0.0.1; empty when the handshake
  // or the verification fails.
  std::string served_fingerprint(std::uint16_t port, const std::string& bundle_pem) const;

 private:
  std::string namespace_;
  std::uint16_t port_;
  std::string configuration_;
};

}  // namespace secprov::testing
