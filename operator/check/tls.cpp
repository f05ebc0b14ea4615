#include "check/tls.h"

#include <algorithm>
#include <array>

#include "render/names.h"

namespace secprov::check {
namespace {

using api::NfImplementation;

constexpr std::array kEffects{
    NativeTlsEffect{NfImplementation::Open5GS, "TLSVersions",
                    "accepts every TLS version the API knows (1.2 and 1.3; 1.0 and 1.1 too)"},
    NativeTlsEffect{NfImplementation::Open5GS, "CipherSuites",
                    "offers its fixed TLS 1.2 list (every ECDHE AEAD suite, plus DHE) and "
                    "OpenSSL's three default TLS 1.3 suites"},
    NativeTlsEffect{NfImplementation::Open5GS, "KeyExchangeGroups",
                    "offers secp256r1 only as a server"},
    NativeTlsEffect{NfImplementation::Free5GC, "NoServerVerification",
                    "does not verify the server's certificate or name as a client"},
    NativeTlsEffect{NfImplementation::Free5GC, "NoClientCertificate",
                    "presents no client certificate as a client"},
};

template <class T>
bool has(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

template <api::ApiEnum E>
std::string names(const std::vector<E>& values) {
  if (values.empty()) return "none";
  std::string out;
  for (const auto v : values) out += (out.empty() ? "" : ", ") + std::string(api::to_string(v));
  return out;
}

template <class T>
std::vector<T> common(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  for (const auto& v : a) {
    if (has(b, v)) out.push_back(v);
  }
  return out;
}

std::vector<api::TlsVersion> range(api::TlsVersion min, api::TlsVersion max) {
  std::vector<api::TlsVersion> out;
  for (const auto v : {api::TlsVersion::V1_2, api::TlsVersion::V1_3}) {
    if (v >= min && v <= max) out.push_back(v);
  }
  return out;
}

bool ecdsa(api::KeyAlgorithm k) {
  return k == api::KeyAlgorithm::EcdsaP256 || k == api::KeyAlgorithm::EcdsaP384;
}

bool usable(api::Tls12CipherSuite s, api::KeyAlgorithm server_key) {
  const bool ecdsa_suite = api::to_string(s).find("_ECDSA_") != std::string_view::npos;
  return ecdsa_suite == ecdsa(server_key);
}

std::string what(const TlsPair& pair) {
  return std::string(pair.interface) + " " + pair.client.id + " -> " + pair.server.id + ": ";
}

std::string native_note(const TlsEnd& end) {
  if (end.native.empty()) return "";
  std::string out;
  for (const auto& n : end.native) out += (out.empty() ? "" : ", ") + n;
  return " [" + end.id + " effective, native limits " + out + "]";
}

std::string notes(const TlsPair& pair) {
  return native_note(pair.client) + native_note(pair.server);
}

Finding finding(std::string check, std::string reason, std::string message,
                Severity severity = Severity::Error) {
  return {std::move(check), std::move(reason), std::move(message), severity};
}

bool tls_on(const TlsEnd& e) {
  return e.mode != api::TlsMode::Disabled;
}

}  // namespace

std::span<const NativeTlsEffect> native_tls_effects() {
  return kEffects;
}

TlsEnd tls_end(const End& end, TlsRole role, const Scope& scope, const End* dialled) {
  TlsEnd out;
  out.id = end.id();
  const api::TlsSpec* tls = nullptr;
  if (end.profile) {
    tls = &end.profile->spec.sbi.tls;
    out.dns_names = render::sbi_dns_names(*end.profile);
  } else if (end.external) {
    tls = &end.external->tls;
    out.dns_names = end.external->dns_names;
  }
  if (tls == nullptr) return out;
  out.mode = tls->mode;
  out.versions = range(tls->min_version, tls->max_version);
  out.tls12_suites.assign(tls->tls12_cipher_suites.begin(), tls->tls12_cipher_suites.end());
  out.tls13_suites.assign(tls->tls13_cipher_suites.begin(), tls->tls13_cipher_suites.end());
  out.groups.assign(tls->groups.begin(), tls->groups.end());
  out.key_algorithm = tls->certificate.key_algorithm;
  out.presents_client_certificate = tls->mode != api::TlsMode::Disabled;
  out.anchors = anchors(end, scope);

  const auto gaps = native_gaps(end, role == TlsRole::Client ? dialled : nullptr);
  const auto applies = [&](NfImplementation output, std::string_view code) {
    if (!has_gap(gaps, output, code)) return false;
    out.native.push_back(std::string(render::output_name(output)) + "/" + std::string(code));
    return true;
  };
  if (applies(NfImplementation::Open5GS, "TLSVersions")) {
    out.versions = {api::TlsVersion::V1_2, api::TlsVersion::V1_3};
  }
  if (applies(NfImplementation::Open5GS, "CipherSuites")) {
    out.tls12_suites.clear();
    for (const auto& [suite, name] : api::EnumTraits<api::Tls12CipherSuite>::entries) {
      out.tls12_suites.push_back(suite);
    }
    out.tls13_suites.clear();
    for (const auto& [suite, name] : api::EnumTraits<api::Tls13CipherSuite>::entries) {
      out.tls13_suites.push_back(suite);
    }
  }
  if (role == TlsRole::Server && applies(NfImplementation::Open5GS, "KeyExchangeGroups")) {
    out.groups = {api::TlsGroup::secp256r1};
  }
  if (role == TlsRole::Client) {
    if (applies(NfImplementation::Free5GC, "NoServerVerification")) out.verifies_server = false;
    if (applies(NfImplementation::Free5GC, "NoClientCertificate")) {
      out.presents_client_certificate = false;
    }
  }
  return out;
}

Outcome same_scheme(const TlsPair& pair) {
  if (tls_on(pair.client) == tls_on(pair.server)) return std::nullopt;
  const auto scheme = [](const TlsEnd& e) { return tls_on(e) ? "https" : "http"; };
  return finding("same_scheme", "SchemeMismatch",
                 what(pair) + "the consumer dials " + scheme(pair.client) +
                     ", the producer serves " + scheme(pair.server));
}

Outcome common_tls_version(const TlsPair& pair) {
  if (!common(pair.client.versions, pair.server.versions).empty()) return std::nullopt;
  return finding("common_tls_version", "NoCommonTlsVersion",
                 what(pair) + "no TLS version in common (consumer " + names(pair.client.versions) +
                     ", producer " + names(pair.server.versions) + ")" + notes(pair));
}

Outcome common_tls_suite(const TlsPair& pair) {
  const auto versions = common(pair.client.versions, pair.server.versions);
  if (versions.empty()) return std::nullopt;  // common_tls_version says it
  std::string detail;
  for (const auto v : versions) {
    if (v == api::TlsVersion::V1_3) {
      if (!common(pair.client.tls13_suites, pair.server.tls13_suites).empty()) return std::nullopt;
      detail += "; TLS 1.3: consumer " + names(pair.client.tls13_suites) + ", producer " +
                names(pair.server.tls13_suites);
    } else {
      std::vector<api::Tls12CipherSuite> usable_suites;
      for (const auto s : common(pair.client.tls12_suites, pair.server.tls12_suites)) {
        if (usable(s, pair.server.key_algorithm)) usable_suites.push_back(s);
      }
      if (!usable_suites.empty()) return std::nullopt;
      detail += "; TLS 1.2: consumer " + names(pair.client.tls12_suites) + ", producer " +
                names(pair.server.tls12_suites) + " with a " +
                std::string(api::to_string(pair.server.key_algorithm)) + " key";
    }
  }
  return finding(
      "common_tls_suite", "NoCommonTlsSuite",
      what(pair) + "no cipher suite in common for any common TLS version" + detail + notes(pair));
}

Outcome common_tls_group(const TlsPair& pair) {
  if (common(pair.client.versions, pair.server.versions).empty()) return std::nullopt;
  if (!common(pair.client.groups, pair.server.groups).empty()) return std::nullopt;
  return finding("common_tls_group", "NoCommonTlsGroup",
                 what(pair) + "no key-exchange group in common (consumer " +
                     names(pair.client.groups) + ", producer " + names(pair.server.groups) + ")" +
                     notes(pair));
}

Outcome mutual_tls_compatible(const TlsPair& pair) {
  if (pair.server.mode != api::TlsMode::MutualTLS || pair.client.presents_client_certificate) {
    return std::nullopt;
  }
  return finding("mutual_tls_compatible", "ClientCertificateMissing",
                 what(pair) +
                     "the producer requires a client certificate (MutualTLS) and the consumer "
                     "presents none" +
                     notes(pair));
}

Outcome client_trusts_server_issuer(const TlsPair& pair) {
  const auto& issuer = pair.server.anchors.issuer;
  const auto& trusted = pair.client.anchors.trusted;
  if (!pair.client.verifies_server) {
    return finding(
        "client_trusts_server_issuer", "ServerNotVerified",
        what(pair) + "the consumer does not verify the producer's certificate" + notes(pair),
        Severity::Warning);
  }
  if (has(trusted, issuer)) return std::nullopt;
  if (anchor_unresolved(issuer) || std::any_of(trusted.begin(), trusted.end(), [](const auto& t) {
        return anchor_unresolved(t);
      })) {
    return finding("client_trusts_server_issuer", "ServerIssuerUnknown",
                   what(pair) + "cannot tell whether the consumer trusts the producer's issuer (" +
                       (issuer.empty() ? "unknown" : issuer) + "): a CA fingerprint is not given",
                   Severity::Info);
  }
  return finding("client_trusts_server_issuer", "ServerIssuerNotTrusted",
                 what(pair) + "the consumer does not trust the producer's issuer " + issuer);
}

Outcome server_trusts_client_issuer(const TlsPair& pair) {
  if (pair.server.mode != api::TlsMode::MutualTLS || !pair.client.presents_client_certificate) {
    return std::nullopt;
  }
  const auto& issuer = pair.client.anchors.issuer;
  const auto& trusted = pair.server.anchors.trusted;
  if (has(trusted, issuer)) return std::nullopt;
  if (anchor_unresolved(issuer) || std::any_of(trusted.begin(), trusted.end(), [](const auto& t) {
        return anchor_unresolved(t);
      })) {
    return finding("server_trusts_client_issuer", "ClientIssuerUnknown",
                   what(pair) + "cannot tell whether the producer trusts the consumer's issuer (" +
                       (issuer.empty() ? "unknown" : issuer) + "): a CA fingerprint is not given",
                   Severity::Info);
  }
  return finding("server_trusts_client_issuer", "ClientIssuerNotTrusted",
                 what(pair) + "the producer does not trust the consumer's issuer " + issuer);
}

Outcome dialled_name_in_san(const TlsPair& pair) {
  if (pair.dialled_name.empty() || has(pair.server.dns_names, pair.dialled_name)) {
    return std::nullopt;
  }
  // A wildcard SAN covers one leftmost label (RFC 6125 6.4.3).
  for (const auto& san : pair.server.dns_names) {
    if (!san.starts_with("*.")) continue;
    const auto dot = pair.dialled_name.find('.');
    if (dot != std::string::npos && pair.dialled_name.substr(dot) == san.substr(1)) {
      return std::nullopt;
    }
  }
  return finding("dialled_name_in_san", "DialledNameNotInSan",
                 what(pair) + "the consumer dials " + pair.dialled_name +
                     ", which is not in the producer's certificate SAN",
                 pair.client.verifies_server ? Severity::Error : Severity::Warning);
}

std::vector<Finding> check_tls(const TlsPair& pair) {
  std::vector<Finding> out;
  if (auto f = same_scheme(pair)) {
    out.push_back(std::move(*f));
    return out;
  }
  if (!tls_on(pair.client)) return out;  // plain on both ends: nothing negotiated
  for (const auto check :
       {common_tls_version, common_tls_suite, common_tls_group, mutual_tls_compatible,
        client_trusts_server_issuer, server_trusts_client_issuer, dialled_name_in_san}) {
    if (auto f = check(pair)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace secprov::check
