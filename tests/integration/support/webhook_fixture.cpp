#include "support/webhook_fixture.h"

#include <cctype>
#include <fstream>
#include <utility>

#include "crypto/encoding.h"
#include "support/cluster.h"
#include "support/free_port.h"
#include "support/process.h"

namespace secprov::testing {

std::vector<std::string> loopback_webhook_flags(std::uint16_t port,
                                                const std::string& configuration) {
  return {"--webhook-port",
          std::to_string(port),
          "--webhook-address",
          "127.0.0.1",
          "--webhook-extra-ip-addresses",
          "127.0.0.1",
          "--webhook-configuration-name",
          configuration};
}

LoopbackWebhook::LoopbackWebhook(std::string ns)
    : namespace_(std::move(ns)),
      port_(free_loopback_port()),
      configuration_("secprov-" + namespace_) {}

LoopbackWebhook::~LoopbackWebhook() {
  kubectl("delete validatingwebhookconfiguration/" + configuration_ +
          " mutatingwebhookconfiguration/" + configuration_ + " --ignore-not-found");
}

std::string LoopbackWebhook::configuration_yaml() const {
  return "apiVersion: admissionregistration.k8s.io/v1\n"
         "kind: ValidatingWebhookConfiguration\nmetadata:\n  name: " +
         configuration_ +
         "\n  labels:\n    app.kubernetes.io/managed-by: secprov\n"
         "webhooks:\n- name: securityprofiles.secprov.io\n"
         "  clientConfig:\n    url: https://127.0.0.1:" +
         std::to_string(port_) +
         "/validate-securityprofile\n"
         "  rules:\n  - apiGroups: [secprov.io]\n    apiVersions: [v1alpha1]\n"
         "    operations: [CREATE, UPDATE]\n    resources: [securityprofiles]\n"
         "  namespaceSelector:\n    matchLabels:\n"
         "      kubernetes.io/metadata.name: " +
         namespace_ +
         "\n  failurePolicy: Fail\n  sideEffects: None\n  timeoutSeconds: 10\n"
         "  admissionReviewVersions: [v1]\n";
}

std::string LoopbackWebhook::injected_bundle(kube::Client& client) const {
  const auto config = client.get(kValidatingWebhookConfigurations, "", configuration_);
  const auto bundle = config["webhooks"][0]["clientConfig"].value("caBundle", std::string{});
  return bundle.empty() ? std::string{} : crypto::base64_decode(bundle).value_or("");
}

std::string LoopbackWebhook::await_bundle(kube::Client& client,
                                          std::chrono::milliseconds timeout) const {
  std::string bundle;
  eventually(
      [&] {
        bundle = injected_bundle(client);
        return !bundle.empty();
      },
      timeout);
  return bundle;
}

std::string LoopbackWebhook::served_fingerprint(std::uint16_t port,
                                                const std::string& bundle_pem) const {
  const auto bundle_file = cluster_paths().binary_dir / "it" / "logs" /
                           (namespace_ + "-" + std::to_string(port) + "-ca.pem");
  std::ofstream(bundle_file) << bundle_pem;
  std::string served;
  if (run_command("openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " +
                      bundle_file.string() +
                      " -verify_return_error -verify_ip 127.0.0.1 </dev/null 2>/dev/null | "
                      "openssl x509 -noout -fingerprint -sha256",
                  &served) != 0) {
    return {};
  }
  std::string hex;
  for (const char c : served.substr(served.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c)))
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return hex;
}

}  // namespace secprov::testing
