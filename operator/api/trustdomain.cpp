#include "api/trustdomain.h"

#include <nlohmann/json.hpp>

#include "api/detail/checks.h"
#include "api/detail/json_reader.h"
#include "api/detail/syntax.h"
#include "api/duration.h"

namespace secprov::api {
namespace {

using detail::check_type_meta;
using detail::Checks;
using detail::index_path;
using detail::kDnsSubdomainPattern;
using detail::ObjectReader;
using detail::Required;
using detail::Strictness;
using nlohmann::json;

void parse_spec(const json& j, TrustDomainSpec& s, FieldErrors& errs) {
  ObjectReader r(j, "spec", errs);
  if (auto v = r.string("domain", Required::Yes)) s.domain = *v;
  if (auto v = r.string("country", Required::Yes)) s.country = *v;
  s.organization = r.string("organization");
  if (const json* ca = r.object("ca", Required::Yes)) {
    ObjectReader cr(*ca, "spec.ca", errs);
    if (const json* g = cr.object("generate")) {
      ObjectReader gr(*g, "spec.ca.generate", errs);
      CaGenerate gen;
      if (auto v = gr.string("keyAlgorithm")) {
        if (auto k = parse_enum<KeyAlgorithm>(*v)) {
          gen.key_algorithm = *k;
        } else {
          const std::string p = "spec.ca.generate.keyAlgorithm";
          errs.push_back(
              {FieldErrorType::Invalid, p,
               v->starts_with("RSA-")
                   ? p + " " + *v +
                         " is not allowed: RSA keys must be at least 2048 bits (RSA-2048, "
                         "RSA-3072 or RSA-4096)"
                   : p + " must be one of ECDSA-P256, ECDSA-P384, RSA-2048, RSA-3072, RSA-4096"});
        }
      }
      if (auto v = gr.string("duration")) gen.duration = *v;
      gr.finish();
      s.ca.generate = std::move(gen);
    }
    if (const json* sr = cr.object("secretRef")) {
      ObjectReader srr(*sr, "spec.ca.secretRef", errs);
      SecretRef ref;
      if (auto v = srr.string("name", Required::Yes)) ref.name = *v;
      srr.finish();
      s.ca.secret_ref = std::move(ref);
    }
    cr.finish();
  }
  r.finish();
}

void parse_status(const json& j, TrustDomainStatus& s, FieldErrors& errs) {
  ObjectReader r(j, "status", errs, Strictness::IgnoreUnknown);
  if (auto v = r.integer("observedGeneration")) s.observed_generation = *v;
  if (const json* a = r.array("conditions")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      auto c = parse_condition((*a)[k], index_path("status.conditions", k));
      if (c) {
        s.conditions.push_back(std::move(c).value());
      } else {
        errs.insert(errs.end(), c.errors().begin(), c.errors().end());
      }
    }
  }
  if (auto v = r.string("caFingerprint")) s.ca_fingerprint = *v;
  s.ca_not_after = r.timestamp("caNotAfter");
  if (auto v = r.string("caSecretName")) s.ca_secret_name = *v;
  if (const json* a = r.array("previousCAs")) {
    for (std::size_t k = 0; k < a->size(); ++k) {
      ObjectReader pr((*a)[k], index_path("status.previousCAs", k), errs,
                      Strictness::IgnoreUnknown);
      PreviousCa previous;
      if (auto v = pr.string("fingerprint", Required::Yes)) previous.fingerprint = *v;
      if (auto v = pr.string("certificate", Required::Yes)) previous.certificate_pem = *v;
      previous.not_after = pr.timestamp("notAfter");
      s.previous_cas.push_back(std::move(previous));
    }
  }
  if (auto v = r.string("caReplacementToken")) s.ca_replacement_token = *v;
  if (const json* o = r.object("rotation")) {
    ObjectReader rr(*o, "status.rotation", errs, Strictness::IgnoreUnknown);
    CaRotation rotation;
    if (auto v = rr.enumeration<RotationPhase>("phase", Required::Yes)) rotation.phase = *v;
    if (auto v = rr.string("token")) rotation.token = *v;
    if (auto v = rr.string("newCAFingerprint")) rotation.new_ca_fingerprint = *v;
    if (auto v = rr.string("newCACertificate")) rotation.new_ca_certificate_pem = *v;
    rotation.new_ca_not_after = rr.timestamp("newCANotAfter");
    if (auto v = rr.string("oldCAFingerprint")) rotation.old_ca_fingerprint = *v;
    if (auto v = rr.string("oldCACertificate")) rotation.old_ca_certificate_pem = *v;
    rotation.phase_since = rr.timestamp("phaseSince");
    if (auto v = rr.integer("waitingCount")) rotation.waiting_count = *v;
    if (const json* w = rr.array("waitingFor")) {
      for (const auto& item : *w) {
        if (item.is_string()) rotation.waiting_for.push_back(item.get<std::string>());
      }
    }
    if (auto v = rr.string("message")) rotation.message = *v;
    s.rotation = std::move(rotation);
  }
}

}  // namespace

Result<TrustDomain> parse_trust_domain(const json& resource) {
  FieldErrors errs;
  ObjectReader r(resource, "", errs);
  TrustDomain d;
  check_type_meta(r, kTrustDomainKind, errs);
  if (const json* md = r.object("metadata")) d.metadata = parse_object_meta(*md, errs);
  if (const json* spec = r.object("spec", Required::Yes)) parse_spec(*spec, d.spec, errs);
  if (const json* st = r.object("status")) parse_status(*st, d.status, errs);
  r.finish();
  if (!errs.empty()) return errs;
  return d;
}

Result<TrustDomainStatus> parse_trust_domain_status(const json& status) {
  FieldErrors errs;
  TrustDomainStatus s;
  parse_status(status, s, errs);
  if (!errs.empty()) return errs;
  return s;
}

FieldErrors validate(const TrustDomain& domain) {
  FieldErrors errs;
  Checks c(errs);
  const auto& s = domain.spec;
  c.min_length("spec.domain", s.domain, 1);
  if (c.max_length("spec.domain", s.domain, 253) && !s.domain.empty()) {
    c.pattern("spec.domain", s.domain, detail::is_dns_subdomain(s.domain), kDnsSubdomainPattern);
  }
  c.pattern("spec.country", s.country, detail::is_country_code(s.country), "^[A-Z]{2}$");
  if (s.organization) {
    c.min_length("spec.organization", *s.organization, 1);
    c.max_length("spec.organization", *s.organization, 64);
  }
  c.rule("spec.ca", s.ca.generate.has_value() != s.ca.secret_ref.has_value(),
         "spec.ca: exactly one of generate or secretRef must be set");
  if (s.ca.generate) {
    const std::string p = "spec.ca.generate.duration";
    const auto& text = s.ca.generate->duration;
    if (c.max_length(p, text, 32)) {
      auto d = parse_go_duration_ns(text);
      c.pattern(p, text, d.has_value(), kDurationPattern);
      if (d) {
        c.rule(p, *d >= kMinGeneratedCaDuration,
               "spec.ca.generate.duration must be at least 2160h (3 times the 720h renewBefore "
               "of the certificates it issues)");
      }
    }
  }
  if (s.ca.secret_ref) {
    const std::string p = "spec.ca.secretRef.name";
    const auto& n = s.ca.secret_ref->name;
    c.min_length(p, n, 1);
    if (c.max_length(p, n, 253) && !n.empty()) {
      c.pattern(p, n, detail::is_dns_subdomain(n), kDnsSubdomainPattern);
    }
  }
  return errs;
}

FieldErrors check_trust_domain(const json& resource) {
  auto d = parse_trust_domain(resource);
  if (!d) return d.errors();
  return validate(*d);
}

json to_json(const TrustDomainStatus& s) {
  json j = json::object();
  j["observedGeneration"] = s.observed_generation;
  if (!s.conditions.empty()) {
    json a = json::array();
    for (const auto& c : s.conditions) a.push_back(to_json(c));
    j["conditions"] = std::move(a);
  }
  if (!s.ca_fingerprint.empty()) j["caFingerprint"] = s.ca_fingerprint;
  if (s.ca_not_after) j["caNotAfter"] = format_rfc3339(*s.ca_not_after);
  if (!s.ca_secret_name.empty()) j["caSecretName"] = s.ca_secret_name;
  if (!s.previous_cas.empty()) {
    json a = json::array();
    for (const auto& p : s.previous_cas) {
      json e = {{"fingerprint", p.fingerprint}, {"certificate", p.certificate_pem}};
      if (p.not_after) e["notAfter"] = format_rfc3339(*p.not_after);
      a.push_back(std::move(e));
    }
    j["previousCAs"] = std::move(a);
  }
  if (!s.ca_replacement_token.empty()) j["caReplacementToken"] = s.ca_replacement_token;
  if (s.rotation) {
    const auto& r = *s.rotation;
    json o = {{"phase", std::string(to_string(r.phase))}};
    const auto put = [&o](const char* key, const std::string& value) {
      if (!value.empty()) o[key] = value;
    };
    put("token", r.token);
    put("newCAFingerprint", r.new_ca_fingerprint);
    put("newCACertificate", r.new_ca_certificate_pem);
    if (r.new_ca_not_after) o["newCANotAfter"] = format_rfc3339(*r.new_ca_not_after);
    put("oldCAFingerprint", r.old_ca_fingerprint);
    put("oldCACertificate", r.old_ca_certificate_pem);
    if (r.phase_since) o["phaseSince"] = format_rfc3339(*r.phase_since);
    o["waitingCount"] = r.waiting_count;
    if (!r.waiting_for.empty()) o["waitingFor"] = r.waiting_for;
    put("message", r.message);
    j["rotation"] = std::move(o);
  }
  return j;
}

bool rotation_in_progress(const std::optional<CaRotation>& rotation) {
  return rotation && rotation->phase != RotationPhase::Complete;
}

std::string effective_organization(const TrustDomain& domain) {
  return domain.spec.organization ? *domain.spec.organization : domain.spec.domain;
}

std::optional<std::chrono::seconds> ca_duration(const TrustDomain& domain) {
  if (!domain.spec.ca.generate) return std::nullopt;
  return parse_go_duration(domain.spec.ca.generate->duration);
}

std::optional<std::string> pending_ca_replacement(const json& resource,
                                                  const TrustDomainStatus& status) {
  const auto metadata = resource.value("metadata", json::object());
  const auto annotations = metadata.value("annotations", json::object());
  const auto found = annotations.find(std::string(kReplaceCaAnnotation));
  if (found == annotations.end() || !found->is_string()) return std::nullopt;
  const auto token = found->get<std::string>();
  // Longer tokens could not be recorded in status (caReplacementToken maxLength).
  if (token.empty() || token.size() > kMaxReplaceCaToken || token == status.ca_replacement_token)
    return std::nullopt;
  return token;
}

std::string trust_bundle_pem(std::string_view ca_pem, const TrustDomainStatus& status,
                             Timestamp now) {
  const auto append = [](std::string& bundle, std::string_view pem) {
    if (pem.empty()) return;
    if (!bundle.empty() && bundle.back() != '\n') bundle += '\n';
    bundle += pem;
    if (bundle.back() != '\n') bundle += '\n';
  };
  std::string bundle;
  append(bundle, ca_pem);
  // Distributing: the new CA is trusted everywhere before it issues anything.
  if (status.rotation && status.rotation->phase == RotationPhase::Distributing &&
      status.rotation->new_ca_fingerprint != status.ca_fingerprint &&
      !(status.rotation->new_ca_not_after && now >= *status.rotation->new_ca_not_after)) {
    append(bundle, status.rotation->new_ca_certificate_pem);
  }
  for (const auto& previous : status.previous_cas) {
    if (previous.fingerprint == status.ca_fingerprint) continue;  // already the current one
    if (previous.not_after && now >= *previous.not_after) continue;
    append(bundle, previous.certificate_pem);
  }
  return bundle;
}

}  // namespace secprov::api
