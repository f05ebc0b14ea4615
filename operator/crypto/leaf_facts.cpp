#include "crypto/leaf_facts.h"

#include <openssl/objects.h>

#include <algorithm>
#include <cstring>

#include "api/text.h"
#include "crypto/detail/ossl.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"

namespace secprov::crypto {
namespace {

using detail::Access;
using detail::PkeyCtxPtr;

constexpr std::uint8_t kFormatVersion = 2;

// SHA-256 of a name's DER, whose first bytes stand for the name (a CA's subject; a leaf's
// issuer is digested as it is encoded in the leaf, the same bytes for a parsed name).
std::array<std::uint8_t, 32> name_digest(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_NAME(name, &der);
  if (length <= 0) detail::throw_openssl("i2d_X509_NAME");
  const detail::OpensslBytePtr owned(der);
  return detail::sha256_of(der, static_cast<std::size_t>(length));
}

// A digest by NID, SHA-256 through the handle fetched once.
const EVP_MD* digest_of(int nid) {
  return nid == NID_sha256 ? detail::sha256_md() : EVP_get_digestbynid(nid);
}

// The bytes are not one certificate: `what` names the part that is not as it should be.
[[noreturn]] void refuse(std::string_view what) {
  throw CryptoError("not one DER certificate: " + std::string(what));
}

// One DER element: its whole encoding and its contents.
struct DerElement {
  std::string_view whole;
  std::string_view contents;
};

// Consecutive DER elements of `bytes`, read without building anything: a certificate's
// structure is walked here and only the parts the facts need are decoded by OpenSSL (d2i_X509
// would also decode the subject's public key through the provider decoders, most of its cost,
// and the facts do not need it). Low tag numbers and definite lengths only, as DER has them
// in a certificate; anything else is malformed.
class DerCursor {
 public:
  explicit DerCursor(std::string_view bytes) : rest_(bytes) {}
  bool at_end() const { return rest_.empty(); }

  // The next element when it has `tag`; nullopt (nothing consumed) otherwise.
  std::optional<DerElement> next_if(std::uint8_t tag) {
    if (rest_.empty() || static_cast<std::uint8_t>(rest_.front()) != tag) return std::nullopt;
    return next();
  }
  // The next element, which must have `tag`. Throws CryptoError naming `what` otherwise.
  DerElement expect(std::uint8_t tag, const char* what) {
    auto element = next_if(tag);
    if (!element) refuse(what);
    return *element;
  }
  // Nothing may follow: throws CryptoError naming `what` otherwise.
  void expect_end(const char* what) const {
    if (!at_end()) refuse(what);
  }

 private:
  std::optional<DerElement> next() {
    if (rest_.size() < 2 || (static_cast<std::uint8_t>(rest_[0]) & 0x1fU) == 0x1fU) {
      return std::nullopt;
    }
    std::size_t header = 2;
    std::size_t length = static_cast<std::uint8_t>(rest_[1]);
    if (length >= 0x80) {
      const std::size_t octets = length & 0x7fU;
      if (octets == 0 || octets > 3 || rest_.size() < 2 + octets) return std::nullopt;
      length = 0;
      for (std::size_t i = 0; i < octets; ++i) {
        length = (length << 8U) | static_cast<std::uint8_t>(rest_[2 + i]);
      }
      header += octets;
    }
    if (length > rest_.size() - header) return std::nullopt;
    const DerElement element{rest_.substr(0, header + length), rest_.substr(header, length)};
    rest_.remove_prefix(header + length);
    return element;
  }

  std::string_view rest_;
};

constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kBitString = 0x03;
constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kUtcTime = 0x17;
constexpr std::uint8_t kGeneralizedTime = 0x18;
constexpr std::uint8_t kExplicit0 = 0xa0;  // tbsCertificate.version
constexpr std::uint8_t kImplicit1 = 0x81;  // issuerUniqueID
constexpr std::uint8_t kImplicit2 = 0x82;  // subjectUniqueID
constexpr std::uint8_t kExplicit3 = 0xa3;  // extensions

// An element decoded by OpenSSL's d2i for its type, which must take all of it.
template <typename T, auto Free>
detail::Ptr<T, Free> decode_whole(const DerElement& element,
                                  T* (*d2i)(T**, const unsigned char**, long), const char* what) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(element.whole.data());
  detail::Ptr<T, Free> value(d2i(nullptr, &cursor, static_cast<long>(element.whole.size())));
  if (!value || cursor != reinterpret_cast<const unsigned char*>(element.whole.data()) +
                              element.whole.size()) {
    ERR_clear_error();
    refuse(what);
  }
  return value;
}

std::int64_t time_in(DerCursor& validity, const char* what) {
  auto element = validity.next_if(kUtcTime);
  if (!element) element = validity.expect(kGeneralizedTime, what);
  const auto time = decode_whole<ASN1_TIME, ASN1_TIME_free>(*element, d2i_ASN1_TIME, what);
  return detail::epoch_seconds(detail::from_asn1_time(time.get()));
}

void put_u8(std::string& out, std::uint8_t value) {
  out.push_back(static_cast<char>(value));
}
void put_u16(std::string& out, std::uint16_t value) {
  put_u8(out, static_cast<std::uint8_t>(value & 0xffU));
  put_u8(out, static_cast<std::uint8_t>(value >> 8U));
}
void put_i64(std::string& out, std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i, bits >>= 8U) put_u8(out, static_cast<std::uint8_t>(bits & 0xffU));
}
// A text of at most 65,535 bytes, after its length (longer ones do not occur in a leaf the
// operator keeps; they are cut rather than misread).
void put_text(std::string& out, std::string_view text) {
  const auto size = static_cast<std::uint16_t>(std::min<std::size_t>(text.size(), 0xffff));
  put_u16(out, size);
  out.append(text.substr(0, size));
}

// A text that is mostly lowercase hex (a serial, a urn:uuid URI's UUID) as its bytes, half the
// size: a tag says how to spell it back, and any other text is kept as it is.
enum class Spelling : std::uint8_t { Text = 0, Hex = 1, OddHex = 2, UuidUrn = 3 };
constexpr std::string_view kUuidUrn = "urn:uuid:";

bool lower_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), api::is_lower_hex_digit);
}

void put_compact(std::string& out, std::string_view text) {
  if (lower_hex(text) && text.size() <= 2 * 0xff) {
    const bool odd = text.size() % 2 == 1;
    std::string digits = odd ? "0" + std::string(text) : std::string(text);
    std::string bytes;
    api::append_hex_bytes(bytes, digits);
    put_u8(out, static_cast<std::uint8_t>(odd ? Spelling::OddHex : Spelling::Hex));
    put_u8(out, static_cast<std::uint8_t>(bytes.size()));
    out.append(bytes);
    return;
  }
  if (text.starts_with(kUuidUrn) && api::is_lower_uuid(text.substr(kUuidUrn.size()))) {
    std::string digits;
    for (const char c : text.substr(kUuidUrn.size())) {
      if (c != '-') digits.push_back(c);
    }
    put_u8(out, static_cast<std::uint8_t>(Spelling::UuidUrn));
    api::append_hex_bytes(out, digits);
    return;
  }
  put_u8(out, static_cast<std::uint8_t>(Spelling::Text));
  put_text(out, text);
}

// Reads what put_* wrote; any read past the end fails the whole decode.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && bytes_.empty(); }
  std::string_view take(std::size_t size) {
    if (!ok_ || size > bytes_.size()) {
      ok_ = false;
      return {};
    }
    const auto taken = bytes_.substr(0, size);
    bytes_.remove_prefix(size);
    return taken;
  }
  std::uint8_t u8() {
    const auto b = take(1);
    return b.empty() ? 0 : static_cast<std::uint8_t>(b[0]);
  }
  std::uint16_t u16() {
    const std::uint16_t low = u8();
    return static_cast<std::uint16_t>(low | (u8() << 8U));
  }
  std::int64_t i64() {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(u8()) << (8U * i);
    return static_cast<std::int64_t>(bits);
  }
  std::string text() { return std::string(take(u16())); }
  // What put_compact wrote; ok() turns false on an unknown spelling.
  std::string compact() {
    switch (static_cast<Spelling>(u8())) {
      case Spelling::Text:
        return text();
      case Spelling::Hex:
        return api::hex(take(u8()));
      case Spelling::OddHex: {
        const auto digits = api::hex(take(u8()));
        if (digits.empty() || digits.front() != '0') break;
        return digits.substr(1);
      }
      case Spelling::UuidUrn: {
        const auto bytes = take(16);
        if (bytes.size() != 16) return {};
        std::string uri(kUuidUrn);
        api::append_uuid(uri, bytes);
        return uri;
        return {};
      }
    }
    ok_ = false;
    return {};
  }
  template <std::size_t N>
  std::array<std::uint8_t, N> bytes() {
    std::array<std::uint8_t, N> out{};
    const auto b = take(N);
    if (b.size() == N) std::memcpy(out.data(), b.data(), N);
    return out;
  }

 private:
  std::string_view bytes_;
  bool ok_ = true;
};

std::string_view as_text(const auto& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

LeafFacts LeafFacts::of(const Certificate& leaf) {
  return of_der(leaf.to_der());
}

// RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature },
// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
// validity, subject, subjectPublicKeyInfo, [1] and [2] unique IDs OPTIONAL, [3] extensions
// OPTIONAL }.
LeafFacts LeafFacts::of_der(std::string_view der) {
  DerCursor outer(der);
  const auto certificate = outer.expect(kSequence, "Certificate");
  outer.expect_end("bytes after it");
  DerCursor parts(certificate.contents);
  const auto tbs = parts.expect(kSequence, "tbsCertificate");
  const auto outer_algorithm = parts.expect(kSequence, "signatureAlgorithm");
  const auto signature_element = parts.expect(kBitString, "signature");
  parts.expect_end("after its signature");

  DerCursor fields(tbs.contents);
  if (const auto version = fields.next_if(kExplicit0)) {
    DerCursor wrapped(version->contents);
    const auto number = wrapped.expect(kInteger, "version");
    wrapped.expect_end("version");
    decode_whole<ASN1_INTEGER, ASN1_INTEGER_free>(number, d2i_ASN1_INTEGER, "version");
  }
  const auto serial = fields.expect(kInteger, "serialNumber");
  const auto inner_algorithm = fields.expect(kSequence, "tbsCertificate.signature");
  const auto issuer = fields.expect(kSequence, "issuer");
  const auto validity = fields.expect(kSequence, "validity");
  const auto subject = fields.expect(kSequence, "subject");
  const auto key_info = fields.expect(kSequence, "subjectPublicKeyInfo");
  const auto issuer_id = fields.next_if(kImplicit1);
  const auto subject_id = fields.next_if(kImplicit2);
  const auto extensions_field = fields.next_if(kExplicit3);
  fields.expect_end("tbsCertificate");
  // What d2i_X509 would refuse is refused here too, though only the facts below are kept:
  // the names, the key's algorithm and bits (the key itself is not decoded), the unique IDs.
  decode_whole<X509_NAME, X509_NAME_free>(issuer, d2i_X509_NAME, "issuer");
  decode_whole<X509_NAME, X509_NAME_free>(subject, d2i_X509_NAME, "subject");
  DerCursor key_parts(key_info.contents);
  decode_whole<X509_ALGOR, X509_ALGOR_free>(key_parts.expect(kSequence, "subjectPublicKeyInfo"),
                                            d2i_X509_ALGOR, "subjectPublicKeyInfo.algorithm");
  decode_whole<ASN1_BIT_STRING, ASN1_BIT_STRING_free>(
      key_parts.expect(kBitString, "subjectPublicKey"), d2i_ASN1_BIT_STRING, "subjectPublicKey");
  key_parts.expect_end("subjectPublicKeyInfo");
  for (const auto& unique_id : {issuer_id, subject_id}) {
    if (!unique_id) continue;
    // [1] and [2] IMPLICIT BIT STRING: read as the BIT STRING they stand for.
    std::string as_bit_string(unique_id->whole);
    as_bit_string.front() = static_cast<char>(kBitString);
    decode_whole<ASN1_BIT_STRING, ASN1_BIT_STRING_free>(DerElement{as_bit_string, {}},
                                                        d2i_ASN1_BIT_STRING, "uniqueIdentifier");
  }

  LeafFacts facts;
  facts.fingerprint_ = sha256(der);
  facts.serial_hex_ = detail::serial_hex(
      decode_whole<ASN1_INTEGER, ASN1_INTEGER_free>(serial, d2i_ASN1_INTEGER, "serialNumber")
          .get());
  DerCursor times(validity.contents);
  facts.not_before_ = time_in(times, "notBefore");
  facts.not_after_ = time_in(times, "notAfter");
  times.expect_end("validity");
  if (extensions_field) {
    DerCursor wrapped(extensions_field->contents);
    const auto list = wrapped.expect(kSequence, "extensions");
    wrapped.expect_end("extensions");
    const auto extensions = decode_whole<STACK_OF(X509_EXTENSION), detail::free_extension_stack>(
        list, d2i_X509_EXTENSIONS, "extensions");
    facts.uris_ = detail::subject_alt_names(extensions.get()).uris;
    facts.oauth_access_token_signing_ = detail::lists_oauth_access_token_signing(extensions.get());
  }
  // The issuer name as encoded in the certificate: what i2d_X509_NAME gives for a parsed one.
  const auto issuer_digest = sha256(issuer.whole);
  std::copy_n(issuer_digest.begin(), facts.issuer_name_digest_.size(),
              facts.issuer_name_digest_.begin());

  const auto algorithm = decode_whole<X509_ALGOR, X509_ALGOR_free>(outer_algorithm, d2i_X509_ALGOR,
                                                                   "signatureAlgorithm");
  const auto signed_algorithm = decode_whole<X509_ALGOR, X509_ALGOR_free>(
      inner_algorithm, d2i_X509_ALGOR, "tbsCertificate.signature");
  const auto signature = decode_whole<ASN1_BIT_STRING, ASN1_BIT_STRING_free>(
      signature_element, d2i_ASN1_BIT_STRING, "signature");
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm.get());
  int digest_nid = NID_undef;
  int key_nid = NID_undef;
  // X509_verify's rules: the algorithm signed inside must be the one outside, and the
  // signature a whole number of octets (its first content octet counts the unused bits).
  const bool whole_octets = signature_element.contents.starts_with('\0');
  const bool by_digest =
      whole_octets && X509_ALGOR_cmp(algorithm.get(), signed_algorithm.get()) == 0 &&
      OBJ_find_sigid_algs(OBJ_obj2nid(oid), &digest_nid, &key_nid) == 1 &&
      digest_nid != NID_undef && (key_nid == EVP_PKEY_EC || key_nid == EVP_PKEY_RSA);
  const EVP_MD* md = by_digest ? digest_of(digest_nid) : nullptr;
  if (md != nullptr) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(tbs.whole.data(), tbs.whole.size(), digest.data(), &length, md, nullptr) != 1) {
      detail::throw_openssl("tbsCertificate digest");
    }
    facts.digest_nid_ = static_cast<std::uint16_t>(digest_nid);
    facts.key_nid_ = static_cast<std::uint16_t>(key_nid);
    facts.tbs_digest_.assign(reinterpret_cast<const char*>(digest.data()), length);
    facts.signature_ = detail::asn1_string_bytes(signature.get());
  }
  ERR_clear_error();
  return facts;
}

std::string LeafFacts::encode() const {
  std::string out;
  out.reserve(96 + serial_hex_.size() + tbs_digest_.size() + signature_.size());
  put_u8(out, kFormatVersion);
  out.append(as_text(fingerprint_));
  put_compact(out, serial_hex_);
  put_i64(out, not_before_);
  put_i64(out, not_after_);
  put_u8(out, oauth_access_token_signing_ ? 1 : 0);
  out.append(as_text(issuer_name_digest_));
  put_u16(out, digest_nid_);
  put_u16(out, key_nid_);
  put_text(out, tbs_digest_);
  put_text(out, signature_);
  put_u16(out, static_cast<std::uint16_t>(std::min<std::size_t>(uris_.size(), 0xffff)));
  for (std::size_t i = 0; i < uris_.size() && i < 0xffff; ++i) put_compact(out, uris_[i]);
  return out;
}

std::optional<LeafFacts> LeafFacts::decode(std::string_view bytes) {
  Reader in(bytes);
  if (in.u8() != kFormatVersion) return std::nullopt;
  LeafFacts facts;
  facts.fingerprint_ = in.bytes<32>();
  facts.serial_hex_ = in.compact();
  facts.not_before_ = in.i64();
  facts.not_after_ = in.i64();
  const auto flags = in.u8();
  if (flags > 1) return std::nullopt;
  facts.oauth_access_token_signing_ = flags == 1;
  facts.issuer_name_digest_ = in.bytes<8>();
  facts.digest_nid_ = in.u16();
  facts.key_nid_ = in.u16();
  facts.tbs_digest_ = in.text();
  facts.signature_ = in.text();
  const std::size_t uris = in.u16();
  for (std::size_t i = 0; i < uris && in.ok(); ++i) facts.uris_.push_back(in.compact());
  if (!in.at_end()) return std::nullopt;
  return facts;
}

std::string LeafFacts::sha256_fingerprint() const {
  return api::hex(as_text(fingerprint_));
}

std::chrono::system_clock::time_point LeafFacts::not_before() const {
  return std::chrono::system_clock::time_point(std::chrono::seconds(not_before_));
}

std::chrono::system_clock::time_point LeafFacts::not_after() const {
  return std::chrono::system_clock::time_point(std::chrono::seconds(not_after_));
}

LeafFacts::Issuer::Issuer(const Certificate& ca) {
  const auto subject = name_digest(X509_get_subject_name(Access::x509(ca)));
  std::copy_n(subject.begin(), name_digest_.size(), name_digest_.begin());
  if (EVP_PKEY* key = Access::public_key(ca)) {
    key_ = detail::Handle<evp_pkey_st>(detail::retain(key));
  }
}

bool LeafFacts::issued_by(const Certificate& ca) const {
  return issued_by(Issuer(ca));
}

bool LeafFacts::issued_by(const Issuer& ca) const {
  if (digest_nid_ == 0 || issuer_name_digest_ != ca.name_digest_) return false;
  EVP_PKEY* key = ca.key_.get();
  const EVP_MD* md = digest_of(digest_nid_);
  if (key == nullptr || md == nullptr || EVP_PKEY_get_base_id(key) != key_nid_) {
    ERR_clear_error();
    return false;
  }
  const PkeyCtxPtr context(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  const bool ok =
      context && EVP_PKEY_verify_init(context.get()) == 1 &&
      EVP_PKEY_CTX_set_signature_md(context.get(), md) == 1 &&
      EVP_PKEY_verify(context.get(), reinterpret_cast<const unsigned char*>(signature_.data()),
                      signature_.size(), reinterpret_cast<const unsigned char*>(tbs_digest_.data()),
                      tbs_digest_.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace secprov::crypto
