#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/trustdomain.h"
#include "crypto/authority.h"
#include "render/trust_domain.h"
#include "runtime/store.h"

namespace secprov::controllers {

// Why a trust domain's CA cannot be used, in words for a condition's reason and message.
struct CaUnavailable {
  std::string reason;   // CamelCase: CASecretNotFound, InvalidCA
  std::string message;  // names the Secret and the cause, never key material
};

// Computed by render/ (render/trust_domain.h); named here too for the callers in this
// namespace.
using render::ca_secret_name;
using render::ca_secret_selector;

// CASecretNotFound: the Secret is absent, or lacks secprov.io/trust-domain=<domain> (so it is
// not in the cache at all). The one wording for every condition and Event that says so.
CaUnavailable ca_secret_not_found(const api::TrustDomain& domain,
                                  const std::string& operator_namespace);

// Loads trust domains' CAs from the operator-namespace Secret cache. A Secret is a domain's
// CA only when its secprov.io/trust-domain label names that domain: being pointed at by
// spec.ca.secretRef is not enough, so one domain cannot borrow another's CA key. A parsed CA is
// kept until its Secret's resourceVersion changes, so reconciles do not re-parse keys.
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
