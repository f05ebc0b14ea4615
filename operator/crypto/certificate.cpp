#include "crypto/certificate.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/detail/ossl.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;

// Reads the next certificate; nullptr at the end of the text. Throws on a malformed one.
detail::X509Ptr read_next(BIO* bio) {
  detail::X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  if (cert) return cert;
  const unsigned long error = ERR_peek_last_error();
  if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
    ERR_clear_error();  // end of input
    return nullptr;
  }
  detail::throw_openssl("malformed certificate in PEM");
}

detail::SubjectAltNames subject_alt_names(const X509* cert) {
  return detail::subject_alt_names(X509_get0_extensions(cert));
}

std::optional<bool> critical_by_nid(const X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  if (index < 0) return std::nullopt;
  return X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

std::optional<std::string> hex_of(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return std::nullopt;
  return detail::to_hex(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

}  // namespace

Certificate Certificate::from_pem(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  detail::X509Ptr cert = read_next(bio.get());
  if (!cert) throw CryptoError("no certificate in PEM");
  return Access::wrap(std::move(cert));
}

std::vector<Certificate> Certificate::parse_chain(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  std::vector<Certificate> chain;
  while (detail::X509Ptr cert = read_next(bio.get()))
    chain.push_back(Access::wrap(std::move(cert)));
  if (chain.empty()) throw CryptoError("no certificate in PEM");
  return chain;
}

Certificate Certificate::from_der(std::string_view der) {
  ERR_clear_error();
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  detail::X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!cert || cursor != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    throw CryptoError("not one DER certificate");
  }
  return Access::wrap(std::move(cert));
}

std::string Certificate::to_der() const {
  const int length = i2d_X509(cert_.get(), nullptr);
  if (length <= 0) detail::throw_openssl("i2d_X509");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert_.get(), &cursor) != length) detail::throw_openssl("i2d_X509");
  return der;
}

std::vector<std::string> certificate_der_blocks(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  std::vector<std::string> blocks;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    if (std::string_view(name) == PEM_STRING_X509) {
      blocks.emplace_back(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();  // the end of the text, or a block that does not decode
  return blocks;
}

std::string Certificate::to_pem() const {
  const detail::BioPtr bio = detail::new_memory_bio();
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) detail::throw_openssl("writing certificate");
  return detail::bio_contents(bio.get());
}

std::string Certificate::serial_hex() const {
  return detail::serial_hex(X509_get0_serialNumber(cert_.get()));
}

std::string Certificate::sha256_fingerprint() const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  if (X509_digest(cert_.get(), detail::sha256_md(), md.data(), &length) != 1) {
    detail::throw_openssl("X509_digest");
  }
  return detail::to_hex(md.data(), length);
}

std::chrono::system_clock::time_point Certificate::not_before() const {
  return detail::from_asn1_time(X509_get0_notBefore(cert_.get()));
}

std::chrono::system_clock::time_point Certificate::not_after() const {
  return detail::from_asn1_time(X509_get0_notAfter(cert_.get()));
}

DistinguishedName Certificate::subject() const {
  return detail::to_distinguished_name(X509_get_subject_name(cert_.get()));
}

DistinguishedName Certificate::issuer() const {
  return detail::to_distinguished_name(X509_get_issuer_name(cert_.get()));
}

std::string Certificate::signature_algorithm() const {
  const char* name = OBJ_nid2ln(X509_get_signature_nid(cert_.get()));
  return name != nullptr ? name : "unknown";
}

std::vector<std::string> Certificate::dns_names() const {
  return subject_alt_names(cert_.get()).dns_names;
}

std::vector<std::string> Certificate::uris() const {
  return subject_alt_names(cert_.get()).uris;
}

std::vector<std::string> Certificate::ip_addresses() const {
  return subject_alt_names(cert_.get()).ip_addresses;
}

bool Certificate::san_critical() const {
  return critical_by_nid(cert_.get(), NID_subject_alt_name).value_or(false);
}

std::optional<BasicConstraints> Certificate::basic_constraints() const {
  const auto critical = critical_by_nid(cert_.get(), NID_basic_constraints);
  if (!critical) return std::nullopt;
  BasicConstraints out;
  out.critical = *critical;
  out.ca = (X509_get_extension_flags(cert_.get()) & EXFLAG_CA) != 0;
  if (const long path_length = X509_get_pathlen(cert_.get()); out.ca && path_length >= 0) {
    out.path_length = static_cast<int>(path_length);
  }
  return out;
}

bool Certificate::is_ca() const {
  const auto constraints = basic_constraints();
  return constraints && constraints->ca;
}

std::optional<KeyUsage> Certificate::key_usage() const {
  const auto critical = critical_by_nid(cert_.get(), NID_key_usage);
  if (!critical) return std::nullopt;
  const std::uint32_t bits = X509_get_key_usage(cert_.get());
  KeyUsage out;
  out.critical = *critical;
  out.digital_signature = (bits & KU_DIGITAL_SIGNATURE) != 0;
  out.key_encipherment = (bits & KU_KEY_ENCIPHERMENT) != 0;
  out.key_cert_sign = (bits & KU_KEY_CERT_SIGN) != 0;
  out.crl_sign = (bits & KU_CRL_SIGN) != 0;
  return out;
}

std::optional<ExtendedKeyUsage> Certificate::extended_key_usage() const {
  const auto critical = critical_by_nid(cert_.get(), NID_ext_key_usage);
  if (!critical) return std::nullopt;
  const std::uint32_t bits = X509_get_extended_key_usage(cert_.get());
  ExtendedKeyUsage out;
  out.critical = *critical;
  out.server_auth = (bits & XKU_SSL_SERVER) != 0;
  out.client_auth = (bits & XKU_SSL_CLIENT) != 0;
  out.oauth_access_token_signing =
      detail::lists_oauth_access_token_signing(X509_get0_extensions(cert_.get()));
  return out;
}

std::optional<std::string> Certificate::subject_key_id() const {
  return hex_of(X509_get0_subject_key_id(cert_.get()));
}

std::optional<std::string> Certificate::authority_key_id() const {
  return hex_of(X509_get0_authority_key_id(cert_.get()));
}

std::vector<std::string> Certificate::crl_distribution_points() const {
  using PointsPtr = detail::Ptr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
  const PointsPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert_.get(), NID_crl_distribution_points, nullptr, nullptr)));
  ERR_clear_error();
  std::vector<std::string> out;
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint != nullptr && point->distpoint->type == 0) {
      auto uris = detail::read_general_names(point->distpoint->name.fullname).uris;
      out.insert(out.end(), uris.begin(), uris.end());
    }
  }
  return out;
}

std::vector<std::string> Certificate::nf_types() const {
  const detail::Asn1ObjectPtr oid(OBJ_txt2obj(std::string(kNfTypesOid).c_str(), 1));
  if (!oid) detail::throw_openssl("nfTypes OID");
  const int index = X509_get_ext_by_OBJ(cert_.get(), oid.get(), -1);
  if (index < 0) return {};
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert_.get(), index));
  const unsigned char* der = ASN1_STRING_get0_data(data);
  const detail::Asn1TypeStackPtr sequence(
      d2i_ASN1_SEQUENCE_ANY(nullptr, &der, ASN1_STRING_length(data)));
  if (!sequence) detail::throw_openssl("malformed nfTypes extension");
  std::vector<std::string> out;
  for (int i = 0; i < sk_ASN1_TYPE_num(sequence.get()); ++i) {
    const ASN1_TYPE* item = sk_ASN1_TYPE_value(sequence.get(), i);
    if (ASN1_TYPE_get(item) != V_ASN1_IA5STRING) throw CryptoError("nfTypes item not IA5String");
    out.push_back(detail::asn1_string_bytes(item->value.ia5string));
  }
  return out;
}

std::optional<bool> Certificate::extension_critical(std::string_view oid) const {
  const detail::Asn1ObjectPtr object(OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (!object) {
    ERR_clear_error();
    return std::nullopt;
  }
  const int index = X509_get_ext_by_OBJ(cert_.get(), object.get(), -1);
  if (index < 0) return std::nullopt;
  return X509_EXTENSION_get_critical(X509_get_ext(cert_.get(), index)) == 1;
}

std::string Certificate::public_key_sha256() const {
  const EVP_PKEY* key = Access::public_key(*this);
  if (key == nullptr) detail::throw_openssl("certificate public key");
  return detail::public_key_sha256(key);
}

std::optional<KeyAlgorithm> Certificate::key_algorithm() const {
  return detail::key_algorithm_of(Access::public_key(*this));
}

bool Certificate::issued_by(const Certificate& ca) const {
  X509* issuer = ca.cert_.get();
  EVP_PKEY* key = Access::public_key(ca);
  const bool ok =
      key != nullptr &&
      X509_NAME_cmp(X509_get_issuer_name(cert_.get()), X509_get_subject_name(issuer)) == 0 &&
      X509_verify(cert_.get(), key) == 1;
  ERR_clear_error();
  return ok;
}

bool Certificate::operator==(const Certificate& other) const {
  return X509_cmp(cert_.get(), other.cert_.get()) == 0;
}

namespace {

// The verifier reads every certificate's key from its X509, which a certificate issued in this
// process may not hold (detail::build_certificate); its DER read back does.
Certificate verifiable(const Certificate& cert) {
  if (X509_get0_pubkey(Access::x509(cert)) != nullptr) return cert;
  ERR_clear_error();
  return Certificate::from_der(cert.to_der());
}

std::vector<Certificate> verifiable(const std::vector<Certificate>& certs) {
  std::vector<Certificate> out;
  out.reserve(certs.size());
  for (const auto& cert : certs) out.push_back(verifiable(cert));
  return out;
}

}  // namespace

std::optional<std::string> verify_chain(const Certificate& leaf_in,
                                        const std::vector<Certificate>& intermediates_in,
                                        const std::vector<Certificate>& roots_in,
                                        std::chrono::system_clock::time_point at) {
  const Certificate leaf = verifiable(leaf_in);
  const std::vector<Certificate> intermediates = verifiable(intermediates_in);
  const std::vector<Certificate> roots = verifiable(roots_in);
  ERR_clear_error();
  const detail::Ptr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  if (!store) detail::throw_openssl("X509_STORE_new");
  for (const auto& root : roots) {
    if (X509_STORE_add_cert(store.get(), Access::x509(root)) != 1) {
      detail::throw_openssl("adding trust anchor");
    }
  }
  // The stack borrows the certificates: they outlive it.
  const detail::Ptr<STACK_OF(X509), detail::free_x509_stack_shallow> untrusted(sk_X509_new_null());
  if (!untrusted) detail::throw_openssl("sk_X509_new_null");
  for (const auto& intermediate : intermediates) {
    if (sk_X509_push(untrusted.get(), Access::x509(intermediate)) <= 0) {
      detail::throw_openssl("sk_X509_push");
    }
  }
  const detail::Ptr<X509_STORE_CTX, X509_STORE_CTX_free> context(X509_STORE_CTX_new());
  if (!context ||
      X509_STORE_CTX_init(context.get(), store.get(), Access::x509(leaf), untrusted.get()) != 1) {
    detail::throw_openssl("X509_STORE_CTX_init");
  }
  X509_STORE_CTX_set_time(context.get(), 0, static_cast<time_t>(detail::epoch_seconds(at)));
  const int result = X509_verify_cert(context.get());
  ERR_clear_error();
  if (result == 1) return std::nullopt;
  return std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get())));
}

}  // namespace secprov::crypto
