#pragma once

// Internal to secprov_crypto: building names and extensions from templates with the structured
// OpenSSL types (no config strings, so template values cannot inject extra entries).

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/detail/ossl.h"
#include "crypto/template.h"

namespace secprov::crypto::detail {

// Throw IssuanceError(InvalidTemplate) on bad values.
NamePtr make_name(const DistinguishedName& dn);
// nullptr when the template has no DNS name, URI or IP address.
GeneralNamesPtr make_subject_alt_names(const CertificateTemplate& request);

struct Issuer {
  X509* certificate;  // issuer name and key identifier come from here
  EVP_PKEY* key;      // signing key
};

// Builds and signs a v3 certificate for subject_key following the template (see authority.h).
// issuer == nullptr: self-signed, subject_key must then be a private key.
// An end-entity certificate for an EC key does not hold the key as an EVP_PKEY (only its
// encoded SubjectPublicKeyInfo): wrap it with the key (Access::wrap(cert, key)).
// Validity/policy checks are the caller's; this only fails on malformed values
// (IssuanceError(InvalidTemplate)) or OpenSSL errors (CryptoError).
X509Ptr build_certificate(const CertificateTemplate& request, EVP_PKEY* subject_key,
                          const Issuer* issuer);

}  // namespace secprov::crypto::detail
