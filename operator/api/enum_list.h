#pragma once
// An ordered list of at most kMax enum values held in place. A profile's TLS suites and groups
// are such lists (preferences, in order, bounded by the CRD's maxItems): three std::vectors took
// 72 bytes and three heap blocks in every cached profile, these take 19 bytes and none.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>

namespace secprov::api {

template <class E, std::size_t kMax>
class EnumList {
  static_assert(kMax > 0 && kMax <= 255);

 public:
  using value_type = E;
  using size_type = std::size_t;
  using const_iterator = const E*;
  using iterator = const E*;
  static constexpr std::size_t max_size() noexcept { return kMax; }

  constexpr EnumList() noexcept = default;
  // Throws std::length_error past kMax: a parser checks the count first (api::read_enum_list).
  constexpr EnumList(std::initializer_list<E> values) { assign(values.begin(), values.end()); }
  template <class It>
  constexpr EnumList(It first, It last) {
    assign(first, last);
  }

  constexpr void push_back(E value) {
    if (size_ == kMax) throw std::length_error("EnumList: more than its bound");
    items_[size_++] = value;
  }
  constexpr void clear() noexcept { size_ = 0; }

  constexpr const E* begin() const noexcept { return items_.data(); }
  constexpr const E* end() const noexcept { return items_.data() + size_; }
  constexpr const E* data() const noexcept { return items_.data(); }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const E& operator[](std::size_t i) const noexcept { return items_[i]; }
  constexpr operator std::span<const E>() const noexcept { return {data(), size()}; }  // NOLINT

  friend constexpr bool operator==(const EnumList& a, const EnumList& b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  template <class It>
  constexpr void assign(It first, It last) {
    size_ = 0;
    for (; first != last; ++first) push_back(*first);
  }

  std::array<E, kMax> items_{};
  std::uint8_t size_ = 0;
};

}  // namespace secprov::api
