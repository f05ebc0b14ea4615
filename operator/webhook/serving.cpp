#include "webhook/serving.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/csr.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "crypto/key.h"
#include "kube/errors.h"
#include "render/labels.h"
#include "runtime/reflector.h"

namespace secprov::webhook {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

constexpr const char* kFieldManager = "secprov-operator";
constexpr const char* kComponentLabel = "app.kubernetes.io/component";

json managed_secret(const std::string& ns, const std::string& name, const std::string& component,
                    json data) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"labels",
             {{std::string(render::kManagedByLabel), std::string(render::kManagedByValue)},
              {std::string(render::kPartOfLabel), std::string(render::kPartOfValue)},
              {kComponentLabel, component}}}}},
          {"type", "kubernetes.io/tls"},
          {"data", std::move(data)}};
}

std::optional<std::string> secret_value(const json& secret, const std::string& key) {
  const auto data = secret.value("data", json::object());
  if (!data.is_object() || !data.contains(key) || !data[key].is_string()) return std::nullopt;
  return crypto::base64_decode(data[key].get<std::string>());
}

std::optional<json> get_optional(kube::Client& client, const kube::ResourceType& type,
                                 const std::string& ns, const std::string& name) {
  try {
    return client.get(type, ns, name);
  } catch (const kube::ApiError& e) {
    if (kube::is_not_found(e)) return std::nullopt;
    throw;
  }
}

std::string foreign_message(const std::string& what) {
  return what + " exists without the label " + std::string(render::kManagedSelector) +
         ": it is not secprov's and is left untouched";
}

// Writes `content` to `path` through a temporary file and a rename, so a reader sees the old
// or the new file, never a part. Unchanged content is not written (the mtime stays).
void write_file(const std::filesystem::path& path, const std::string& content,
                std::filesystem::perms perms) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream existing;
      existing << in.rdbuf();
      if (existing.str() == content) return;
    }
  }
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::filesystem::permissions(tmp, perms);  // before the content arrives
    out << content;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

kube::ResourceType mutating_webhook_configurations() {
  return {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
          "MutatingWebhookConfiguration", false};
}

kube::ResourceType validating_webhook_configurations() {
  return {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
          "ValidatingWebhookConfiguration", false};
}

crypto::CertificateTemplate serving_template(const ServingOptions& options,
                                             system_clock::time_point now) {
  crypto::CertificateTemplate t;
  const auto service = options.service_name + "." + options.operator_namespace + ".svc";
  t.subject.organization = "secprov";
  // X.520 ub-common-name: 64 characters. A longer service name (a long namespace) is in the
  // SAN only, which is all TLS clients verify.
  if (service.size() <= 64) t.subject.common_name = service;
  t.dns_names.push_back(service);
  for (const auto& name : options.extra_dns_names) {
    if (std::ranges::find(t.dns_names, name) == t.dns_names.end()) t.dns_names.push_back(name);
  }
  t.ip_addresses = options.extra_ip_addresses;
  // A minute back: apiservers whose clocks run a little behind accept it at once.
  t.not_before = now - std::chrono::minutes(1);
  t.not_after = now + options.certificate_validity;
  t.server_auth = true;
  t.client_auth = false;
  return t;
}

std::optional<std::string> serving_reissue_reason(const crypto::Certificate* stored,
                                                  const crypto::Certificate& ca,
                                                  const ServingOptions& options,
                                                  system_clock::time_point now) {
  if (!stored) return "Missing";
  if (!stored->issued_by(ca)) return "IssuerChanged";
  const auto wanted = serving_template(options, now);
  auto sorted = [](std::vector<std::string> v) {
    std::ranges::sort(v);
    return v;
  };
  if (sorted(stored->dns_names()) != sorted(wanted.dns_names) ||
      sorted(stored->ip_addresses()) != sorted(wanted.ip_addresses)) {
    return "SansChanged";
  }
  if (now >= stored->not_after() - options.renew_before || now < stored->not_before()) {
    return "RenewalDue";
  }
  return std::nullopt;
}

std::optional<json> ca_bundle_apply(const json& configuration, const std::string& ca_bundle_pem) {
  const auto bundle = crypto::base64_encode(ca_bundle_pem);
  const auto webhooks = configuration.value("webhooks", json::array());
  if (!webhooks.is_array()) return std::nullopt;
  json entries = json::array();
  bool changed = false;
  for (const auto& webhook : webhooks) {
    if (!webhook.is_object() || !webhook.contains("name")) continue;
    const auto client_config = webhook.value("clientConfig", json::object());
    const auto current =
        client_config.is_object() ? client_config.value("caBundle", json()) : json();
    if (!current.is_string() || current.get<std::string>() != bundle) changed = true;
    entries.push_back({{"name", webhook["name"]}, {"clientConfig", {{"caBundle", bundle}}}});
  }
  if (!changed) return std::nullopt;
  return json{{"apiVersion", configuration.value("apiVersion", "admissionregistration.k8s.io/v1")},
              {"kind", configuration.value("kind", "")},
              {"metadata", {{"name", configuration["metadata"].value("name", "")}}},
              {"webhooks", entries}};
}

bool managed_by_secprov(const json& object) {
  const auto metadata = object.value("metadata", json::object());
  const auto labels = metadata.is_object() ? metadata.value("labels", json::object()) : json();
  if (!labels.is_object()) return false;
  const auto it = labels.find(std::string(render::kManagedByLabel));
  return it != labels.end() && it->is_string() && it->get<std::string>() == render::kManagedByValue;
}

bool ca_bundle_injectable(const json& configuration) {
  if (managed_by_secprov(configuration)) return true;
  const auto metadata = configuration.value("metadata", json::object());
  const auto labels = metadata.is_object() ? metadata.value("labels", json::object()) : json();
  if (!labels.is_object()) return false;
  const auto it = labels.find("secprov.io/inject-ca-bundle");
  return it != labels.end() && it->is_string() && it->get<std::string>() == "true";
}

ServingCertificates::ServingCertificates(std::shared_ptr<kube::Client> client,
                                         ServingOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  std::filesystem::create_directories(options_.cert_dir);
  std::filesystem::permissions(options_.cert_dir, std::filesystem::perms::owner_all);
}

http::ServerTls ServingCertificates::tls_files() const {
  return {options_.cert_dir / "tls.crt", options_.cert_dir / "tls.key"};
}

std::optional<ServingCertificates::Authority> ServingCertificates::ensure_ca(SyncReport& report) {
  const auto& ns = options_.operator_namespace;
  const auto& name = options_.ca_secret_name;
  const auto what = "Secret " + ns + "/" + name;
  const auto now = options_.clock->wall_now();
  auto stored = get_optional(*client_, kube::resources::secrets(), ns, name);
  if (stored && !managed_by_secprov(*stored)) {
    report.problems.push_back(foreign_message(what));
    report.foreign = true;
    return std::nullopt;
  }
  // A previous CA still valid stays in the bundle.
  const auto still_valid = [&now](const std::optional<std::string>& pem) -> std::string {
    if (!pem) return {};
    try {
      const auto cert = crypto::Certificate::from_pem(*pem);
      return cert.not_after() > now ? cert.to_pem() : std::string{};
    } catch (const crypto::CryptoError&) {
      return {};
    }
  };
  std::optional<std::string> replaced;
  if (stored) {
    const auto cert = secret_value(*stored, "tls.crt");
    const auto key = secret_value(*stored, "tls.key");
    replaced = cert;
    try {
      if (cert && key) {
        auto ca = crypto::CertificateAuthority::load(*cert, *key, now);
        if (ca.certificate().not_after() > now + options_.certificate_validity) {
          auto bundle = ca.certificate_pem() + still_valid(secret_value(*stored, "previous.crt"));
          return Authority{std::move(ca), std::move(bundle)};
        }
      }
    } catch (const crypto::CryptoError& e) {
      spdlog::warn("webhook CA in {} is unusable ({}); replacing it", what, e.what());
    }
  }
  // None yet, or ours but unusable or ending: a new CA (the caBundle follows).
  crypto::DistinguishedName subject;
  subject.organization = "secprov";
  subject.common_name = "secprov-webhook-ca";
  auto ca = crypto::CertificateAuthority::create_self_signed(crypto::KeyAlgorithm::EcdsaP256,
                                                             subject, options_.ca_validity, now);
  const auto previous = still_valid(replaced);
  json data = {{"tls.crt", crypto::base64_encode(ca.certificate_pem())},
               {"tls.key", crypto::base64_encode(ca.key().to_pkcs8_pem())}};
  if (!previous.empty()) data["previous.crt"] = crypto::base64_encode(previous);
  auto secret = managed_secret(ns, name, "webhook-ca", std::move(data));
  try {
    if (stored) {
      secret["metadata"]["resourceVersion"] = (*stored)["metadata"]["resourceVersion"];
      client_->update(kube::resources::secrets(), ns, secret);
    } else {
      client_->create(kube::resources::secrets(), ns, secret);
    }
    spdlog::info("webhook CA written to {}", what);
    auto bundle = ca.certificate_pem() + previous;
    return Authority{std::move(ca), std::move(bundle)};
  } catch (const kube::ApiError& e) {
    // Another replica wrote first: its CA is the one; the next pass reads it.
    if (kube::is_already_exists(e) || kube::is_conflict(e)) {
      report.problems.push_back(what + " was written by another replica meanwhile; re-reading");
      return std::nullopt;
    }
    throw;
  }
}

std::optional<crypto::Certificate> ServingCertificates::ensure_serving(
    const crypto::CertificateAuthority& ca, SyncReport& report) {
  const auto& ns = options_.operator_namespace;
  const auto& name = options_.tls_secret_name;
  const auto what = "Secret " + ns + "/" + name;
  const auto now = options_.clock->wall_now();
  auto stored = get_optional(*client_, kube::resources::secrets(), ns, name);
  if (stored && !managed_by_secprov(*stored)) {
    report.problems.push_back(foreign_message(what));
    report.foreign = true;
    return std::nullopt;
  }
  std::optional<crypto::Certificate> cert;
  std::optional<std::string> cert_pem, key_pem;
  if (stored) {
    cert_pem = secret_value(*stored, "tls.crt");
    key_pem = secret_value(*stored, "tls.key");
    try {
      if (cert_pem && key_pem) {
        auto parsed = crypto::Certificate::from_pem(*cert_pem);
        if (parsed.public_key_sha256() ==
            crypto::PrivateKey::from_pem(*key_pem).public_key_sha256())
          cert = std::move(parsed);
      }
    } catch (const crypto::CryptoError&) {
      cert.reset();  // unreadable: issued again below
    }
  }
  const auto reason =
      serving_reissue_reason(cert ? &*cert : nullptr, ca.certificate(), options_, now);
  if (reason) {
    const auto key = crypto::PrivateKey::generate(crypto::KeyAlgorithm::EcdsaP256);
    auto request = serving_template(options_, now);
    request.not_after = std::min(request.not_after, ca.certificate().not_after());
    const auto issued = ca.issue(key, request, now);
    cert_pem = issued.to_pem();
    key_pem = key.to_pkcs8_pem();
    auto secret = managed_secret(ns, name, "webhook-serving",
                                 {{"tls.crt", crypto::base64_encode(*cert_pem)},
                                  {"tls.key", crypto::base64_encode(*key_pem)},
                                  {"ca.crt", crypto::base64_encode(ca.certificate_pem())}});
    try {
      if (stored) {
        secret["metadata"]["resourceVersion"] = (*stored)["metadata"]["resourceVersion"];
        client_->update(kube::resources::secrets(), ns, secret);
      } else {
        client_->create(kube::resources::secrets(), ns, secret);
      }
      spdlog::info(
          "webhook serving certificate issued into {} ({}), notAfter in {} h", what, *reason,
          std::chrono::duration_cast<std::chrono::hours>(issued.not_after() - now).count());
      cert = issued;
    } catch (const kube::ApiError& e) {
      if (kube::is_already_exists(e) || kube::is_conflict(e)) {
        report.problems.push_back(what + " was written by another replica meanwhile; re-reading");
        return std::nullopt;
      }
      throw;
    }
  }
  // The chain the server presents: the leaf, then the CA (the caBundle holds the CA).
  write_file(options_.cert_dir / "tls.key", *key_pem,
             std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write_file(options_.cert_dir / "tls.crt", *cert_pem,
             std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                 std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  return cert;
}

void ServingCertificates::inject(const kube::ResourceType& type, const std::string& ca_pem,
                                 SyncReport& report) {
  const auto& name = options_.configuration_name;
  const auto what = type.kind + " " + name;
  const auto stored = get_optional(*client_, type, "", name);
  if (!stored) return;  // not deployed (yet): the next pass looks again
  if (!ca_bundle_injectable(*stored)) {
    report.problems.push_back(what + " exists without the label " +
                              std::string(render::kManagedSelector) + " or " +
                              kInjectCaBundleSelector +
                              ": it is not secprov's and is left untouched (no caBundle injected)");
    report.foreign = true;
    return;
  }
  const auto body = ca_bundle_apply(*stored, ca_pem);
  if (!body) return;
  client_->apply(type, "", *body, {.field_manager = kFieldManager, .force = true});
  report.injected.push_back(type.kind + "/" + name);
  spdlog::info("caBundle injected into {}", what);
}

SyncReport ServingCertificates::sync() {
  SyncReport report;
  try {
    const auto authority = ensure_ca(report);
    if (!authority) return report;
    const auto cert = ensure_serving(authority->ca, report);
    if (!cert) return report;
    report.serving = true;
    {
      const std::lock_guard lock(mutex_);
      next_renewal_ = cert->not_after() - options_.renew_before;
    }
    const auto& ca_pem = authority->bundle_pem;
    for (const auto& type :
         {mutating_webhook_configurations(), validating_webhook_configurations()}) {
      try {
        inject(type, ca_pem, report);
      } catch (const kube::ApiError& e) {
        report.problems.push_back("injecting the caBundle into " + type.kind + " " +
                                  options_.configuration_name + ": " + e.what());
      }
    }
  } catch (const kube::ApiError& e) {
    report.problems.push_back(std::string("webhook certificates: ") + e.what());
  } catch (const crypto::CryptoError& e) {
    report.problems.push_back(std::string("webhook certificates: ") + e.what());
  }
  return report;
}

void ServingCertificates::wake() {
  {
    const std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void ServingCertificates::run(std::stop_token stop) {
  // Watches of the operator's own webhook configurations (either label): one created or
  // edited (its caBundle dropped) is injected at once instead of at the next resync.
  std::vector<std::unique_ptr<runtime::Reflector>> reflectors;
  std::vector<std::jthread> watchers;
  // Both labels that make a configuration ours: one watch each (a selector cannot say "or").
  for (const auto& [type, selector] :
       {std::pair{mutating_webhook_configurations(), std::string(render::kManagedSelector)},
        std::pair{validating_webhook_configurations(), std::string(render::kManagedSelector)},
        std::pair{mutating_webhook_configurations(), std::string(kInjectCaBundleSelector)},
        std::pair{validating_webhook_configurations(), std::string(kInjectCaBundleSelector)}}) {
    runtime::ReflectorOptions reflector_options;
    reflector_options.name = type.plural + " " + selector;
    reflector_options.clock = options_.clock;
    reflectors.push_back(std::make_unique<runtime::Reflector>(
        runtime::make_lister_watcher(client_, type, "", selector),
        std::make_shared<runtime::Store>(), reflector_options));
    const auto poke = [this](const runtime::ObjectPtr&) { wake(); };
    reflectors.back()->add_handlers(
        {poke, [this](const runtime::ObjectPtr&, const runtime::ObjectPtr&) { wake(); }, poke});
    watchers.emplace_back([reflector = reflectors.back().get(), stop] { reflector->run(stop); });
  }
  while (!stop.stop_requested()) {
    const auto report = sync();
    for (const auto& problem : report.problems) spdlog::warn("webhooks: {}", problem);
    // A failed pass is retried soon; a good one at the next renewal or resync at the latest.
    auto wait = report.problems.empty() || report.foreign
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(options_.resync)
                    : std::chrono::milliseconds(std::chrono::seconds(5));
    std::unique_lock lock(mutex_);
    if (report.serving) {
      const auto until_renewal = std::chrono::duration_cast<std::chrono::milliseconds>(
          next_renewal_ - options_.clock->wall_now());
      wait = std::clamp(until_renewal, std::chrono::milliseconds(1000), wait);
    }
    wake_.wait_for(lock, stop, wait, [this] { return woken_; });
    woken_ = false;
  }
}

}  // namespace secprov::webhook
