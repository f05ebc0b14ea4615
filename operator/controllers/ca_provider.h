#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/trustdomain.h"
#include "crypto/authority.h"
#include "runtime/store.h"

namespace secprov::controllers {

// Why a trust domain's CA cannot be used, in words for a condition's reason and message.
struct CaUnavailable {
  std::string reason;   // CamelCase: CASecretNotFound, InvalidCA
  std::string message;  // names the Secret and the cause, never key material
};

// The Secret that holds a trust domain's CA key pair (operator namespace).
std::string ca_secret_name(const api::TrustDomain& domain);

// Loads trust domains' CAs from the operator-namespace Secret cache. A parsed CA is kept
// until its Secret's resourceVersion changes, so reconciles do not re-parse keys.
class CaProvider {
 public:
  CaProvider(std::shared_ptr<runtime::Store> operator_secrets, std::string operator_namespace);

  struct Result {
    std::shared_ptr<const crypto::CertificateAuthority> ca;  // null when unavailable
    CaUnavailable error;
  };
  Result get(const api::TrustDomain& domain, std::chrono::system_clock::time_point now);

 private:
  struct Entry {
    std::string resource_version;
    std::shared_ptr<const crypto::CertificateAuthority> ca;
  };
  const std::shared_ptr<runtime::Store> secrets_;
  const std::string namespace_;
  std::mutex mutex_;
  std::map<std::string, Entry> loaded_;  // by Secret name
};

}  // namespace secprov::controllers
