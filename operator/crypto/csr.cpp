#include "crypto/csr.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/detail/ossl.h"
#include "crypto/detail/x509_build.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;

detail::SubjectAltNames requested_names(X509_REQ* req) {
  const detail::ExtensionStackPtr extensions(X509_REQ_get_extensions(req));
  ERR_clear_error();  // a CSR without extensions leaves a harmless error behind
  if (!extensions) return {};
  int critical = 0;
  const detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(extensions.get(), NID_subject_alt_name, &critical, nullptr)));
  ERR_clear_error();
  if (!names) return {};
  return detail::read_general_names(names.get());
}

}  // namespace

CertificateSigningRequest CertificateSigningRequest::create(const PrivateKey& key,
                                                            const CertificateTemplate& request) {
  ERR_clear_error();
  EVP_PKEY* pkey = Access::pkey(key);
  const EVP_MD* digest = detail::signature_digest_for(pkey);
  if (digest == nullptr) throw IssuanceError(IssuanceError::Reason::UnsupportedKey, "CSR key");

  detail::ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    detail::throw_openssl("X509_REQ_new");
  }
  const detail::NamePtr subject = detail::make_name(request.subject);
  if (X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), pkey) != 1) {
    detail::throw_openssl("CSR subject/key");
  }
  if (const detail::GeneralNamesPtr names = detail::make_subject_alt_names(request)) {
    detail::ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
    detail::ExtensionPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 1, names.get()));
    if (!extensions || !san || sk_X509_EXTENSION_push(extensions.get(), san.get()) <= 0) {
      detail::throw_openssl("CSR subjectAltName");
    }
    (void)san.release();
    if (X509_REQ_add_extensions(req.get(), extensions.get()) != 1) {
      detail::throw_openssl("CSR extensions");
    }
  }
  if (X509_REQ_sign(req.get(), pkey, digest) <= 0) detail::throw_openssl("X509_REQ_sign");
  return Access::wrap(std::move(req));
}

CertificateSigningRequest CertificateSigningRequest::from_pem(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  detail::ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) detail::throw_openssl("no certificate request in PEM");
  return Access::wrap(std::move(req));
}

std::string CertificateSigningRequest::to_pem() const {
  const detail::BioPtr bio = detail::new_memory_bio();
  if (PEM_write_bio_X509_REQ(bio.get(), req_.get()) != 1) detail::throw_openssl("writing CSR");
  return detail::bio_contents(bio.get());
}

bool CertificateSigningRequest::verify_self_signature() const {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
  const bool ok = key != nullptr && X509_REQ_verify(req_.get(), key) == 1;
  ERR_clear_error();
  return ok;
}

DistinguishedName CertificateSigningRequest::subject() const {
  return detail::to_distinguished_name(X509_REQ_get_subject_name(req_.get()));
}

std::vector<std::string> CertificateSigningRequest::dns_names() const {
  return requested_names(req_.get()).dns_names;
}

std::vector<std::string> CertificateSigningRequest::uris() const {
  return requested_names(req_.get()).uris;
}

std::string CertificateSigningRequest::public_key_sha256() const {
  const EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
  if (key == nullptr) detail::throw_openssl("CSR public key");
  return detail::public_key_sha256(key);
}

std::optional<KeyAlgorithm> CertificateSigningRequest::key_algorithm() const {
  return detail::key_algorithm_of(X509_REQ_get0_pubkey(req_.get()));
}

}  // namespace secprov::crypto
