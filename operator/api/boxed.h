#pragma once
// An optional value held out of line. A profile's spec sections that most profiles leave out
// (the enabler alone is 400 bytes) then cost one pointer each in every cached profile instead
// of their whole size. A value type: copies copy the value, comparisons compare it. It offers
// the part of std::optional's interface the code uses.

#include <memory>
#include <optional>
#include <utility>

namespace secprov::api {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) noexcept {}                                  // NOLINT: as optional
  Boxed(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT: as optional
  Boxed(std::optional<T> value) {                                    // NOLINT: as optional
    if (value) value_ = std::make_unique<T>(std::move(*value));
  }
  Boxed(const Boxed& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;

  bool has_value() const noexcept { return value_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }
  T& value() {
    if (!value_) throw std::bad_optional_access();
    return *value_;
  }
  const T& value() const {
    if (!value_) throw std::bad_optional_access();
    return *value_;
  }
  template <class... Args>
  T& emplace(Args&&... args) {
    value_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *value_;
  }
  void reset() noexcept { value_.reset(); }

  friend bool operator==(const Boxed& a, const Boxed& b) {
    return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
  }
  friend bool operator==(const Boxed& a, std::nullopt_t) { return !a.has_value(); }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace secprov::api
