#pragma once

// Internal to secprov_crypto: OpenSSL RAII helpers. Never include from outside operator/crypto.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/template.h"

namespace secprov::crypto::detail {

template <auto Free>
struct FreeFn {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
template <typename T, auto Free>
using Ptr = std::unique_ptr<T, FreeFn<Free>>;

void openssl_free(void* p) noexcept;
void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept;
void free_asn1_type_stack(STACK_OF(ASN1_TYPE) * s) noexcept;
void free_x509_stack_shallow(STACK_OF(X509) * s) noexcept;  // does not free the certificates

using BioPtr = Ptr<BIO, BIO_free_all>;
using PkeyPtr = Ptr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = Ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using X509Ptr = Ptr<X509, X509_free>;
using ReqPtr = Ptr<X509_REQ, X509_REQ_free>;
using NamePtr = Ptr<X509_NAME, X509_NAME_free>;
using ExtensionPtr = Ptr<X509_EXTENSION, X509_EXTENSION_free>;
using ExtensionStackPtr = Ptr<STACK_OF(X509_EXTENSION), free_extension_stack>;
using GeneralNamePtr = Ptr<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = Ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using Asn1ObjectPtr = Ptr<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1TimePtr = Ptr<ASN1_TIME, ASN1_TIME_free>;
using Asn1TypeStackPtr = Ptr<STACK_OF(ASN1_TYPE), free_asn1_type_stack>;
using BignumPtr = Ptr<BIGNUM, BN_free>;
using OpensslCharPtr = Ptr<char, openssl_free>;
using OpensslBytePtr = Ptr<unsigned char, openssl_free>;

// The only door into the value types' OpenSSL objects.
struct Access {
  static EVP_PKEY* pkey(const PrivateKey& key) noexcept { return key.key_.get(); }
  static X509* x509(const Certificate& cert) noexcept { return cert.cert_.get(); }
  static X509_REQ* req(const CertificateSigningRequest& csr) noexcept { return csr.req_.get(); }
  static PrivateKey wrap(PkeyPtr key) noexcept {
    return PrivateKey(Handle<evp_pkey_st>(key.release()));
  }
  static Certificate wrap(X509Ptr cert) noexcept {
    return Certificate(Handle<x509_st>(cert.release()));
  }
  // A certificate built here, with its subject's key (build_certificate may leave the X509
  // without one).
  static Certificate wrap(X509Ptr cert, EVP_PKEY* subject_key) {
    return Certificate(Handle<x509_st>(cert.release()), Handle<evp_pkey_st>(retain(subject_key)));
  }
  // The certificate's public key; null when it has none OpenSSL can use.
  static EVP_PKEY* public_key(const Certificate& cert) noexcept {
    if (cert.key_.get() != nullptr) return cert.key_.get();
    EVP_PKEY* key = X509_get0_pubkey(cert.cert_.get());
    if (key == nullptr) ERR_clear_error();
    return key;
  }
  static CertificateSigningRequest wrap(ReqPtr req) noexcept {
    return CertificateSigningRequest(Handle<X509_req_st>(req.release()));
  }
};

// Drains this thread's OpenSSL error queue into "lib: reason; lib: reason".
std::string drain_errors();
// Throws CryptoError(context, drained errors).
[[noreturn]] void throw_openssl(const std::string& context);

std::string to_hex(const unsigned char* data, std::size_t size);
// A serial number as lower-case hex without leading zeros (Certificate::serial_hex, CRL entries).
std::string serial_hex(const ASN1_INTEGER* serial);
// Read-only memory BIO over text (which must outlive it).
BioPtr memory_bio(std::string_view text);
BioPtr new_memory_bio();
std::string bio_contents(BIO* bio);

std::chrono::system_clock::time_point from_asn1_time(const ASN1_TIME* time);
// Whole seconds since the epoch, rounded down as an X.509 time is: a time before 1970 goes to
// the second it falls in, not the later one truncation toward zero would give.
std::int64_t epoch_seconds(std::chrono::system_clock::time_point at);
Asn1TimePtr to_asn1_time(std::chrono::system_clock::time_point time);

std::string asn1_string_bytes(const ASN1_STRING* s);
DistinguishedName to_distinguished_name(const X509_NAME* name);

// SHA-256, fetched once for the process. EVP_sha256() is a legacy handle: every digest made
// with it fetches the provider's implementation again (1 % of the operator's CPU in a burst).
const EVP_MD* sha256_md();
// SHA-256 of `size` bytes: the one implementation behind crypto::sha256 and sha256_hex.
std::array<std::uint8_t, 32> sha256_of(const void* data, std::size_t size);
// The same as lower-case hex.
std::string sha256_hex_of(const void* data, std::size_t size);

std::string public_key_sha256(const EVP_PKEY* key);
std::optional<KeyAlgorithm> key_algorithm_of(const EVP_PKEY* key);
// The named curve of an EC key; NID_undef for another key or an unnamed curve.
int ec_curve_nid(const EVP_PKEY* key);
// An EC key's public point in the key's conversion form (uncompressed unless the key was read
// compressed), as OpenSSL's encoders write it. Throws CryptoError for a key without one.
std::string ec_public_point(const EVP_PKEY* key);
// The PKCS#8 PrivateKeyInfo PEM of an EC key on the named curve `curve`, byte for byte as
// OpenSSL's encoder writes it (see ossl.cpp). The text is the caller's to protect.
std::string ec_pkcs8_pem(const EVP_PKEY* key, int curve);
// Digest for signing with key (see CertificateAuthority); nullptr if we do not sign with it.
const EVP_MD* signature_digest_for(const EVP_PKEY* key);

struct SubjectAltNames {
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  std::vector<std::string> ip_addresses;
};
SubjectAltNames read_general_names(const GENERAL_NAMES* names);
// The subjectAltName of a certificate's extensions; empty when absent, repeated or unreadable
// (as X509_get_ext_d2i reads it).
SubjectAltNames subject_alt_names(const STACK_OF(X509_EXTENSION) * extensions);
// Whether the extendedKeyUsage among extensions lists id-kp-oauthAccessTokenSigning (RFC 9509);
// false when absent, repeated or unreadable. OpenSSL's usage bits do not know this purpose.
bool lists_oauth_access_token_signing(const STACK_OF(X509_EXTENSION) * extensions);

}  // namespace secprov::crypto::detail
