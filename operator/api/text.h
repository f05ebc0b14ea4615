#pragma once
// Text helpers every layer's messages share, and the text type of a condition's message.

#include <cstddef>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace secprov::api {

// The items with `separator` between them ("" for none).
std::string join(std::span<const std::string> items, std::string_view separator);

// Lowercase hex, two digits a byte: the one hex every layer writes (digests, fingerprints,
// UUIDs, serial numbers).
void append_hex(std::string& out, std::string_view bytes);
std::string hex(std::string_view bytes);
constexpr bool is_lower_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
// A UUID's text, 8-4-4-4-12 lowercase hex digits: `bytes` must be 16 bytes.
void append_uuid(std::string& out, std::string_view bytes);
// Whether `text` is exactly a UUID as append_uuid writes it.
bool is_lower_uuid(std::string_view text);

// An immutable string that copies share. Conditions carry the same long messages in every
// profile (the Enforced one runs to hundreds of bytes); a cache that interns them
// (api::TextPool) then holds each text once. A value type: it reads and compares as its
// text, and converts to `const std::string&`.
class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text);                                    // NOLINT: as a string
  SharedText(const char* text) : SharedText(std::string(text)) {}  // NOLINT: as a string
  // Adopts an interned text (nullptr: empty).
  explicit SharedText(std::shared_ptr<const std::string> text) noexcept : text_(std::move(text)) {}

  const std::string& str() const noexcept;
  operator const std::string&() const noexcept { return str(); }  // NOLINT: reads as a string
  bool empty() const noexcept { return str().empty(); }
  std::size_t size() const noexcept { return str().size(); }
  // Whether the two hold the very same text object (interned alike).
  bool shares_with(const SharedText& other) const noexcept { return text_ == other.text_; }
  const std::shared_ptr<const std::string>& holder() const noexcept { return text_; }

  friend bool operator==(const SharedText& a, const SharedText& b) noexcept {
    return a.text_ == b.text_ || a.str() == b.str();
  }
  friend bool operator==(const SharedText& a, std::string_view b) noexcept { return a.str() == b; }
  friend bool operator==(const SharedText& a, const std::string& b) noexcept {
    return a.str() == b;
  }
  friend bool operator==(const SharedText& a, const char* b) noexcept { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const SharedText& text) {
    return out << text.str();
  }

 private:
  std::shared_ptr<const std::string> text_;  // null: ""
};

// Interns texts, so that equal ones share one copy. Thread-safe; a cache owns one. It keeps a
// text while anything else holds it: whenever it has doubled since its last sweep, it drops
// the texts only it holds, so it stays within twice the texts in use.
class TextPool {
 public:
  // `text`, or the equal one already interned.
  SharedText intern(const SharedText& text);
  std::size_t size() const;

 private:
  using Text = std::shared_ptr<const std::string>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
    std::size_t operator()(const Text& text) const noexcept { return (*this)(*text); }
  };
  struct Equal {
    using is_transparent = void;
    static std::string_view view(std::string_view text) noexcept { return text; }
    static std::string_view view(const Text& text) noexcept { return *text; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return view(a) == view(b);
    }
  };
  static constexpr std::size_t kFirstSweep = 64;

  mutable std::mutex mutex_;
  std::unordered_set<Text, Hash, Equal> texts_;
  std::size_t sweep_at_ = kFirstSweep;
};

}  // namespace secprov::api
