#pragma once
// A trust domain's own objects: the CA a generated domain asks for, and the CA key-pair
// Secret in the operator namespace with its name. The reconciler obtains the key pair
// (crypto) and writes the Secret; what the Secret looks like is decided here.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/trustdomain.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::render {

// On a generated CA key pair: the TrustDomain it was generated for (for people).
inline constexpr std::string_view kGeneratedForAnnotation = "secprov.io/generated-for";

// spec.ca.secretRef.name for an imported CA, else "<domain>-ca-keypair" (shortened with a
// hash when the domain's name leaves no room for the suffix: still a DNS subdomain).
std::string ca_secret_name(const api::TrustDomain& domain);

// Label selector of the operator-namespace Secret cache: CA key pairs carry
// secprov.io/trust-domain=<domain> (generated ones get it, imported ones must be given it),
// and the operator's own profile Secrets (managed-by=secprov) are cached elsewhere, as
// digests. A Secret without the label (a Helm release, a password) is never listed.
std::string ca_secret_selector();

// C=<spec.country>, O=<effective organization>, CN="<spec.domain> CA" (a domain too long
// for the 64 characters of a CN shortened with a hash, as object names are).
crypto::DistinguishedName ca_subject(const api::TrustDomain& domain);

// The CA a generated domain asks crypto for.
struct CaRequest {
  crypto::KeyAlgorithm key_algorithm;
  crypto::DistinguishedName subject;
  std::chrono::seconds validity;
};

// Throws RenderError naming the field when the domain does not generate its CA
// (spec.ca.generate), its duration is invalid (the API layer and the CRD reject both), or
// spec.domain is too long for the organization it stands in for (spec.organization).
CaRequest ca_request(const api::TrustDomain& domain);

// The CA key pair as obtained (PEM). Secret data: never logged.
struct CaMaterial {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

// The CA key-pair Secret "<ca_secret_name>" in `operator_namespace` (kubernetes.io/tls,
// tls.crt and tls.key base64), labelled part-of=secprov and secprov.io/trust-domain, and
// annotated with kGeneratedForAnnotation and, when it answers one, the replace-ca token.
// It carries no managed-by label: the profile Secret cache must not list it.
// `existing_metadata` (the metadata of the Secret it replaces, or null) is kept, less its
// managedFields, so that resourceVersion makes the write conditional and others' labels
// and annotations survive.
nlohmann::json ca_key_pair_secret(const api::TrustDomain& domain,
                                  std::string_view operator_namespace, const CaMaterial& material,
                                  const std::optional<std::string>& replace_token,
                                  const nlohmann::json* existing_metadata);

}  // namespace secprov::render
