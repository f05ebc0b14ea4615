#include "controllers/ca_provider.h"

#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "render/labels.h"
#include "render/names.h"
#include "runtime/object.h"

namespace secprov::controllers {

CaUnavailable ca_secret_not_found(const api::TrustDomain& domain,
                                  const std::string& operator_namespace) {
  return {"CASecretNotFound", "Secret " + operator_namespace + "/" + ca_secret_name(domain) +
                                  " not found or not labelled " +
                                  std::string(render::kTrustDomainLabel) + "=" +
                                  render::label_value(domain.metadata.name)};
}

CaProvider::CaProvider(std::shared_ptr<runtime::Store> operator_secrets,
                       std::string operator_namespace)
    : secrets_(std::move(operator_secrets)), namespace_(std::move(operator_namespace)) {}

CaProvider::Result CaProvider::get(const api::TrustDomain& domain,
                                   std::chrono::system_clock::time_point now) {
  const std::string name = ca_secret_name(domain);
  const auto secret = secrets_->get({namespace_, name});
  if (!secret || runtime::label_of(*secret, render::kTrustDomainLabel) !=
                     render::label_value(domain.metadata.name)) {
    return {nullptr, ca_secret_not_found(domain, namespace_)};
  }
  const std::string version = runtime::resource_version_of(*secret);
  {
    const std::lock_guard lock(mutex_);
    const auto found = loaded_.find(name);
    if (found != loaded_.end() && found->second.resource_version == version) {
      return {found->second.ca, {}};
    }
  }
  const auto data = secret->value("data", nlohmann::json::object());
  const auto decode = [&](std::string_view key) -> std::optional<std::string> {
    const auto found = data.find(key);
    if (found == data.end() || !found->is_string()) return std::nullopt;
    return crypto::base64_decode(found->get<std::string>());
  };
  const auto cert_pem = decode(render::kTlsCertificateKey);
  const auto key_pem = decode(render::kTlsPrivateKeyKey);
  if (!cert_pem || !key_pem) {
    return {nullptr,
            {"InvalidCA", "Secret " + namespace_ + "/" + name +
                              " must hold base64 PEM data keys tls.crt and tls.key"}};
  }
  try {
    auto ca = std::make_shared<const crypto::CertificateAuthority>(
        crypto::CertificateAuthority::load(*cert_pem, *key_pem, now));
    const std::lock_guard lock(mutex_);
    loaded_[name] = Entry{version, ca};
    return {ca, {}};
  } catch (const crypto::InvalidCaError& e) {
    return {nullptr,
            {"InvalidCA", "Secret " + namespace_ + "/" + name + ": " +
                              std::string(crypto::to_string(e.reason()))}};
  } catch (const crypto::CryptoError&) {
    return {nullptr,
            {"InvalidCA",
             "Secret " + namespace_ + "/" + name + ": tls.crt or tls.key cannot be parsed"}};
  }
}

}  // namespace secprov::controllers
