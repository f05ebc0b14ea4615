#pragma once

// Reference-holding handle for the OpenSSL objects behind the crypto value types.
// The OpenSSL structs are only forward-declared here so that no other layer includes OpenSSL.

#include <memory>
#include <utility>

struct evp_pkey_st;  // EVP_PKEY
struct x509_st;      // X509
struct X509_req_st;  // X509_REQ

namespace secprov::crypto::detail {

// Defined in detail/ossl.cpp. retain() returns a new reference (up_ref, or a deep copy where
// OpenSSL has no reference count) and throws std::bad_alloc on failure.
void release(evp_pkey_st* p) noexcept;
evp_pkey_st* retain(evp_pkey_st* p);
void release(x509_st* p) noexcept;
x509_st* retain(x509_st* p);
void release(X509_req_st* p) noexcept;
X509_req_st* retain(X509_req_st* p);

// Owns one reference; copying takes another. A moved-from Handle is empty: the owning
// value types may then only be assigned to or destroyed.
template <typename T>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T* owned) noexcept : p_(owned) {}
  Handle(const Handle& other) : p_(other.p_ ? retain(other.p_.get()) : nullptr) {}
  Handle& operator=(const Handle& other) {
    if (this != &other) {
      Handle copy(other);
      p_ = std::move(copy.p_);
    }
    return *this;
  }
  Handle(Handle&&) noexcept = default;
  Handle& operator=(Handle&&) noexcept = default;
  ~Handle() = default;

  T* get() const noexcept { return p_.get(); }

 private:
  struct Release {
    void operator()(T* p) const noexcept { release(p); }
  };
  std::unique_ptr<T, Release> p_;
};

struct Access;  // internal accessor to the handles, defined in detail/ossl.h

}  // namespace secprov::crypto::detail
