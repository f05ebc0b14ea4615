#include "check/oauth2.h"

#include <algorithm>
#include <cctype>

#include "render/names.h"
#include "render/oauth2.h"

namespace secprov::check {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (const char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trimmed_root(const std::optional<std::string>& root) {
  std::string out = root.value_or("");
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string what(const OAuth2Pair& pair) {
  return "SBI " + pair.consumer.id + " -> " + pair.producer.id + ": ";
}

Finding finding(std::string check, std::string reason, std::string message,
                Severity severity = Severity::Error) {
  return {std::move(check), std::move(reason), std::move(message), severity};
}

std::string off_note(const OAuth2End& e) {
  return e.disabled_by.empty() ? std::string() : " (native limit " + e.disabled_by + ")";
}

// Whether the consumer asks for a scope of the producer's services (its tokens are meant
// for it).
bool asks_for_producer(const OAuth2End& consumer, const OAuth2End& producer) {
  if (!producer.nf_type) return false;
  const auto prefix = service_prefix(*producer.nf_type);
  return std::any_of(consumer.scopes.begin(), consumer.scopes.end(),
                     [&](const auto& s) { return s.starts_with(prefix); });
}

}  // namespace

bool OAuth2End::requests_tokens() const {
  return enabled && role != api::OAuth2Role::Producer;
}
bool OAuth2End::verifies_tokens() const {
  return enabled && role != api::OAuth2Role::Consumer;
}

OAuth2End oauth2_end(const End& end) {
  OAuth2End out;
  out.id = end.id();
  const api::OAuth2Spec* spec = nullptr;
  if (end.profile) {
    out.nf_type = end.profile->spec.nf_type;
    if (end.profile->spec.sbi.oauth2) spec = &*end.profile->spec.sbi.oauth2;
    out.tls = end.profile->spec.sbi.tls.mode != api::TlsMode::Disabled;
  } else if (end.external) {
    if (const auto* nf = std::get_if<api::NfType>(&end.external->type)) out.nf_type = *nf;
    if (end.external->oauth2) spec = &*end.external->oauth2;
    out.tls = end.external->tls.mode != api::TlsMode::Disabled;
  }
  if (spec == nullptr) return out;
  const auto& o = *spec;
  out.enabled = o.enabled;
  out.role = o.role;
  out.nrf_instance_id = o.nrf_instance_id;
  out.nrf_api_root = o.nrf_api_root;
  out.scopes = o.scopes;
  out.accepted_algorithms = o.accepted_algorithms;
  for (const auto& gap : native_gaps(end)) {
    if (gap.code == "NoOAuth2" && out.enabled) {
      out.enabled = false;
      out.disabled_by = std::string(render::output_name(gap.output)) + "/" + gap.code;
    }
  }
  return out;
}

std::optional<Nrf> find_nrf(const Scope& scope, std::string_view nrf_instance_id) {
  for (const auto& p : scope.profiles) {
    if (p.spec.nf_type != api::NfType::NRF) continue;
    const auto id = api::effective_nf_instance_id(p);
    if (!id || lower(*id) != lower(nrf_instance_id)) continue;
    const End end{&p, nullptr};
    Nrf nrf{end.id(), render::sbi_dns_names(p), render::is_authorization_server(p),
            render::oauth2_signing_algorithm(p)};
    // A native limit without OAuth2 issues no token, whatever the profile says.
    if (oauth2_end(end).disabled_by.size() > 0) nrf.authorization_server = false;
    return nrf;
  }
  return std::nullopt;
}

std::string uri_host(std::string_view uri) {
  if (const auto sep = uri.find("://"); sep != std::string_view::npos) uri.remove_prefix(sep + 3);
  uri = uri.substr(0, uri.find('/'));
  if (const auto at = uri.rfind('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
  if (!uri.empty() && uri.front() == '[') return std::string(uri.substr(1, uri.find(']') - 1));
  return std::string(uri.substr(0, uri.find(':')));
}

Outcome oauth2_on_both(const OAuth2Pair& pair) {
  if (pair.producer.verifies_tokens() && !pair.consumer.requests_tokens()) {
    return finding("oauth2_on_both", "OAuth2ConsumerWithoutToken",
                   what(pair) +
                       "the producer requires an access token and the consumer requests "
                       "none" +
                       off_note(pair.consumer));
  }
  if (pair.consumer.requests_tokens() && !pair.producer.verifies_tokens() &&
      asks_for_producer(pair.consumer, pair.producer)) {
    return finding("oauth2_on_both", "OAuth2NotChecked",
                   what(pair) + "the consumer sends access tokens the producer never checks" +
                       off_note(pair.producer),
                   Severity::Warning);
  }
  return std::nullopt;
}

Outcome oauth2_requires_tls(const OAuth2Pair& pair) {
  for (const auto* end : {&pair.consumer, &pair.producer}) {
    if (end->enabled && !end->tls) {
      return finding("oauth2_requires_tls", "OAuth2WithoutTls",
                     what(pair) + end->id + " has OAuth2 on and TLS off (TS 33.501 13.3.2.1)");
    }
  }
  return std::nullopt;
}

Outcome oauth2_same_nrf(const OAuth2Pair& pair) {
  const auto& c = pair.consumer;
  const auto& p = pair.producer;
  if (!c.requests_tokens() || !p.verifies_tokens()) return std::nullopt;
  const bool same_id =
      lower(c.nrf_instance_id.value_or("")) == lower(p.nrf_instance_id.value_or(""));
  const bool same_root = trimmed_root(c.nrf_api_root) == trimmed_root(p.nrf_api_root);
  if (same_id && same_root) return std::nullopt;
  return finding("oauth2_same_nrf", "OAuth2DifferentNrf",
                 what(pair) + "different NRFs: consumer " + c.nrf_instance_id.value_or("(none)") +
                     " at " + c.nrf_api_root.value_or("(none)") + ", producer " +
                     p.nrf_instance_id.value_or("(none)") + " at " +
                     p.nrf_api_root.value_or("(none)"));
}

Outcome oauth2_nrf_name_in_san(const OAuth2Pair& pair) {
  if (!pair.consumer.requests_tokens() || !pair.consumer.nrf_api_root || pair.nrf == nullptr) {
    return std::nullopt;
  }
  const auto host = uri_host(*pair.consumer.nrf_api_root);
  const auto& names = pair.nrf->dns_names;
  if (std::find(names.begin(), names.end(), host) != names.end()) return std::nullopt;
  return finding("oauth2_nrf_name_in_san", "NrfApiRootNotInSan",
                 what(pair) + "the consumer's nrfApiRoot host " + host + " is not in the SAN of " +
                     pair.nrf->id);
}

Outcome oauth2_producer_holds_nrf_certificate(const OAuth2Pair& pair) {
  const auto& p = pair.producer;
  if (!p.verifies_tokens()) return std::nullopt;
  if (!p.nrf_instance_id) {
    return finding("oauth2_producer_holds_nrf_certificate", "OAuth2NrfNotFound",
                   what(pair) +
                       "the producer names no NRF (nrfInstanceId), so it holds no "
                       "verification certificate");
  }
  if (pair.nrf == nullptr) {
    return finding("oauth2_producer_holds_nrf_certificate", "OAuth2NrfNotInScope",
                   what(pair) + "NRF " + *p.nrf_instance_id +
                       " is not a profile of the scope: its verification certificate is not "
                       "checked",
                   Severity::Info);
  }
  if (!pair.nrf->authorization_server || !pair.nrf->signing_algorithm) {
    return finding("oauth2_producer_holds_nrf_certificate", "OAuth2NrfNotAuthorizationServer",
                   what(pair) + pair.nrf->id +
                       " issues no access tokens (not an authorization server with a signing "
                       "key), so the producer has no certificate to verify them");
  }
  return std::nullopt;
}

Outcome oauth2_algorithm_in_common(const OAuth2Pair& pair) {
  const auto& p = pair.producer;
  if (!p.verifies_tokens() || pair.nrf == nullptr || !pair.nrf->signing_algorithm) {
    return std::nullopt;
  }
  const auto alg = *pair.nrf->signing_algorithm;
  const auto& accepted = p.accepted_algorithms;
  if (std::find(accepted.begin(), accepted.end(), alg) != accepted.end()) return std::nullopt;
  std::string list;
  for (const auto a : accepted) list += (list.empty() ? "" : ", ") + std::string(api::to_string(a));
  return finding("oauth2_algorithm_in_common", "OAuth2AlgorithmNotAccepted",
                 what(pair) + pair.nrf->id + " signs with " + std::string(api::to_string(alg)) +
                     ", the producer accepts " + (list.empty() ? "none" : list));
}

Outcome oauth2_scopes_within_producer(const OAuth2Pair& pair) {
  const auto& c = pair.consumer;
  const auto& p = pair.producer;
  if (!c.requests_tokens() || !p.verifies_tokens() || !p.nf_type) return std::nullopt;
  const auto prefix = service_prefix(*p.nf_type);
  std::vector<std::string> asked;
  for (const auto& s : c.scopes) {
    if (s.starts_with(prefix)) asked.push_back(s);
  }
  if (asked.empty()) {
    return finding(
        "oauth2_scopes_within_producer", "OAuth2NoScopeForProducer",
        what(pair) + "the consumer asks for no scope of the producer's services (" + prefix + "*)");
  }
  if (p.scopes.empty()) return std::nullopt;  // the producer does not restrict its scopes
  for (const auto& s : asked) {
    if (std::find(p.scopes.begin(), p.scopes.end(), s) == p.scopes.end()) {
      return finding("oauth2_scopes_within_producer", "OAuth2ScopeNotOffered",
                     what(pair) + "the consumer asks for scope " + s +
                         ", which is not among the producer's scopes");
    }
  }
  return std::nullopt;
}

std::vector<Finding> check_oauth2(const OAuth2Pair& pair) {
  std::vector<Finding> out;
  if (!pair.consumer.enabled && !pair.producer.enabled) return out;
  for (const auto check : {oauth2_on_both, oauth2_requires_tls, oauth2_same_nrf,
                           oauth2_nrf_name_in_san, oauth2_producer_holds_nrf_certificate,
                           oauth2_algorithm_in_common, oauth2_scopes_within_producer}) {
    if (auto f = check(pair)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace secprov::check
