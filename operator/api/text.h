#pragma once
// Text helpers every layer's messages share, hex (the one encoder and decoder), and two compact
// text types for cached objects: SharedText (a condition's texts) and HexText (digests).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>

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
// The value of a lowercase hex digit (is_lower_hex_digit(c) must hold).
constexpr std::uint8_t lower_hex_value(char c) {
  return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
}
// The byte two lowercase hex digits spell.
constexpr std::uint8_t lower_hex_byte(char high, char low) {
  return static_cast<std::uint8_t>((lower_hex_value(high) << 4U) | lower_hex_value(low));
}
// The bytes that `digits`, an even number of lowercase hex digits, spell: append_hex's inverse.
void append_hex_bytes(std::string& out, std::string_view digits);
// A UUID's text, 8-4-4-4-12 lowercase hex digits: `bytes` must be 16 bytes.
void append_uuid(std::string& out, std::string_view bytes);
// Whether `text` is exactly a UUID as append_uuid writes it.
bool is_lower_uuid(std::string_view text);

// A text that is nearly always lowercase hex, bare or after "sha256:" (a status's digests,
// fingerprints and serial numbers), held as the bytes it spells: 48 bytes and no allocation
// for up to 32 bytes, where a std::string takes 32 and a heap block of 48 to 80. Any other text
// is held as it is. A value type: it reads back as the text it was given, and two are equal
// exactly when their texts are.
class HexText {
 public:
  HexText() = default;
  HexText(std::string_view text);                                        // NOLINT: as a string
  HexText(const std::string& text) : HexText(std::string_view(text)) {}  // NOLINT: as a string
  HexText(const char* text) : HexText(std::string_view(text)) {}         // NOLINT: as a string

  std::string str() const;
  bool empty() const noexcept;
  // Whether the text is held as its bytes (else as it is).
  bool folded() const noexcept { return std::holds_alternative<Folded>(value_); }

  // The text decides the form, so equal texts have equal representations.
  friend bool operator==(const HexText&, const HexText&) = default;
  friend bool operator==(const HexText& a, std::string_view b) { return a == HexText(b); }
  friend bool operator==(const HexText& a, const std::string& b) { return a == HexText(b); }
  friend bool operator==(const HexText& a, const char* b) { return a == HexText(b); }
  friend std::ostream& operator<<(std::ostream& out, const HexText& text) {
    return out << text.str();
  }

 private:
  static constexpr std::string_view kSha256Prefix = "sha256:";
  struct Folded {  // value-initialized: "" (no member initializers, or variant has no default)
    std::array<std::uint8_t, 32> bytes;
    std::uint8_t size;
    bool sha256_prefix;
    friend bool operator==(const Folded&, const Folded&) = default;
  };
  std::variant<Folded, std::string> value_;  // Folded{}: ""
};

// An immutable string that copies share. Conditions carry the same long messages in every
// profile (the Enforced one runs to hundreds of bytes); a cache that interns them
// (api::TextPool) then holds each text once. A value type: it reads and compares as its
// text, and converts to `const std::string&`. One pointer wide (a shared_ptr is two): a cached
// profile holds three in each of its conditions.
class SharedText {
 public:
  SharedText() noexcept = default;
  SharedText(std::string text);                                    // NOLINT: as a string
  SharedText(const char* text) : SharedText(std::string(text)) {}  // NOLINT: as a string
  SharedText(const SharedText& other) noexcept : block_(other.block_) { retain(); }
  SharedText(SharedText&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedText& operator=(SharedText other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~SharedText() { release(); }

  const std::string& str() const noexcept;
  operator const std::string&() const noexcept { return str(); }  // NOLINT: reads as a string
  bool empty() const noexcept { return str().empty(); }
  std::size_t size() const noexcept { return str().size(); }
  // Whether the two hold the very same text object (interned alike).
  bool shares_with(const SharedText& other) const noexcept { return block_ == other.block_; }
  // Whether it holds a text object at all (the empty text allocates nothing).
  bool allocated() const noexcept { return block_ != nullptr; }

  friend bool operator==(const SharedText& a, const SharedText& b) noexcept {
    return a.block_ == b.block_ || a.str() == b.str();
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
  friend class TextPool;
  struct Block {
    explicit Block(std::string t) : text(std::move(t)) {}
    mutable std::atomic<std::size_t> holders{1};
    const std::string text;
  };
  void retain() const noexcept;
  void release() noexcept;
  // The holders of this text object (0 for the empty text).
  std::size_t holders() const noexcept;

  const Block* block_ = nullptr;  // null: ""
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
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
    std::size_t operator()(const SharedText& text) const noexcept {
      return (*this)(std::string_view(text.str()));
    }
  };
  struct Equal {
    using is_transparent = void;
    static std::string_view view(std::string_view text) noexcept { return text; }
    static std::string_view view(const SharedText& text) noexcept { return text.str(); }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return view(a) == view(b);
    }
  };
  static constexpr std::size_t kFirstSweep = 64;

  mutable std::mutex mutex_;
  std::unordered_set<SharedText, Hash, Equal> texts_;
  std::size_t sweep_at_ = kFirstSweep;
};

}  // namespace secprov::api
