#include "crypto/crl.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "crypto/detail/ossl.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;
using CrlPtr = detail::Ptr<X509_CRL, X509_CRL_free>;
using RevokedPtr = detail::Ptr<X509_REVOKED, X509_REVOKED_free>;
using IntegerPtr = detail::Ptr<ASN1_INTEGER, ASN1_INTEGER_free>;

[[noreturn]] void invalid(const std::string& what) {
  throw IssuanceError(IssuanceError::Reason::InvalidTemplate, what, detail::drain_errors());
}

CrlPtr parse(const std::string& der) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &bytes, static_cast<long>(der.size())));
  if (!crl) detail::throw_openssl("malformed CRL");
  return crl;
}

std::string encode(X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_CRL(crl, &der);
  if (length <= 0) detail::throw_openssl("encoding CRL");
  const detail::OpensslBytePtr owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

IntegerPtr serial_from_hex(const std::string& hex) {
  const bool is_hex =
      !hex.empty() && hex.size() <= 40 &&
      std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!is_hex) invalid("serial \"" + hex + "\" is not 1-40 hex digits");
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) detail::throw_openssl("serial number");
  const detail::BignumPtr bn(raw);
  IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) detail::throw_openssl("serial number");
  return serial;
}

void add_extension(X509_CRL* crl, int nid, void* value) {
  if (X509_CRL_add1_ext_i2d(crl, nid, value, 0, X509V3_ADD_DEFAULT) != 1) {
    detail::throw_openssl(std::string("adding CRL extension ") + OBJ_nid2sn(nid));
  }
}

}  // namespace

CertificateRevocationList CertificateRevocationList::from_pem(std::string_view pem) {
  ERR_clear_error();
  const detail::BioPtr bio = detail::memory_bio(pem);
  const CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) detail::throw_openssl("no CRL in PEM");
  return CertificateRevocationList(encode(crl.get()));
}

std::string CertificateRevocationList::to_pem() const {
  const CrlPtr crl = parse(der_);
  const detail::BioPtr bio = detail::new_memory_bio();
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) detail::throw_openssl("writing CRL");
  return detail::bio_contents(bio.get());
}

DistinguishedName CertificateRevocationList::issuer() const {
  return detail::to_distinguished_name(X509_CRL_get_issuer(parse(der_).get()));
}

std::chrono::system_clock::time_point CertificateRevocationList::this_update() const {
  return detail::from_asn1_time(X509_CRL_get0_lastUpdate(parse(der_).get()));
}

std::optional<std::chrono::system_clock::time_point> CertificateRevocationList::next_update()
    const {
  const CrlPtr crl = parse(der_);
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  if (next == nullptr) return std::nullopt;
  return detail::from_asn1_time(next);
}

std::optional<std::uint64_t> CertificateRevocationList::number() const {
  const CrlPtr crl = parse(der_);
  const IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ERR_clear_error();
  if (!number) return std::nullopt;
  std::uint64_t value = 0;
  if (ASN1_INTEGER_get_uint64(&value, number.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return value;
}

std::vector<RevokedCertificate> CertificateRevocationList::revoked() const {
  const CrlPtr crl = parse(der_);
  std::vector<RevokedCertificate> out;
  const STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; entries != nullptr && i < sk_X509_REVOKED_num(entries); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    out.push_back({detail::serial_hex(X509_REVOKED_get0_serialNumber(entry)),
                   detail::from_asn1_time(X509_REVOKED_get0_revocationDate(entry))});
  }
  return out;
}

bool CertificateRevocationList::revokes(const Certificate& certificate) const {
  const auto serial = certificate.serial_hex();
  const auto entries = revoked();
  return std::any_of(entries.begin(), entries.end(),
                     [&](const RevokedCertificate& entry) { return entry.serial_hex == serial; });
}

bool CertificateRevocationList::issued_by(const Certificate& ca) const {
  const CrlPtr crl = parse(der_);
  X509* issuer = Access::x509(ca);
  EVP_PKEY* key = Access::public_key(ca);
  const bool ok =
      key != nullptr &&
      X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) == 0 &&
      X509_CRL_verify(crl.get(), key) == 1;
  ERR_clear_error();
  return ok;
}

CertificateRevocationList issue_crl(const CertificateAuthority& ca, const CrlRequest& request) {
  const auto this_update = std::chrono::floor<std::chrono::seconds>(request.this_update);
  const auto next_update = std::chrono::floor<std::chrono::seconds>(request.next_update);
  if (next_update <= this_update) invalid("CRL nextUpdate must be later than thisUpdate");
  ERR_clear_error();
  X509* ca_certificate = Access::x509(ca.certificate());
  EVP_PKEY* ca_key = Access::pkey(ca.key());
  const EVP_MD* digest = detail::signature_digest_for(ca_key);
  if (digest == nullptr) throw CryptoError("unsupported CA key type for a CRL");

  CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_certificate)) != 1) {
    detail::throw_openssl("X509_CRL_new");
  }
  const detail::Asn1TimePtr last = detail::to_asn1_time(this_update);
  const detail::Asn1TimePtr next = detail::to_asn1_time(next_update);
  if (X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    detail::throw_openssl("CRL validity");
  }
  for (const auto& entry : request.revoked) {
    RevokedPtr revoked(X509_REVOKED_new());
    const IntegerPtr serial = serial_from_hex(entry.serial_hex);
    const detail::Asn1TimePtr date = detail::to_asn1_time(entry.revoked_at);
    if (!revoked || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), revoked.get()) != 1) {
      detail::throw_openssl("CRL entry");
    }
    (void)revoked.release();  // now owned by the CRL
  }

  // RFC 5280 5.2.1 / 5.2.3: authorityKeyIdentifier and crlNumber, both non-critical.
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(ca_certificate)) {
    detail::Ptr<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(AUTHORITY_KEYID_new());
    if (!akid || (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == nullptr) {
      detail::throw_openssl("authorityKeyIdentifier");
    }
    add_extension(crl.get(), NID_authority_key_identifier, akid.get());
  }
  IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), request.number) != 1) {
    detail::throw_openssl("crlNumber");
  }
  add_extension(crl.get(), NID_crl_number, number.get());

  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), ca_key, digest) <= 0) {
    detail::throw_openssl("X509_CRL_sign");
  }
  return CertificateRevocationList(encode(crl.get()));
}

}  // namespace secprov::crypto
