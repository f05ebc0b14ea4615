#include "api/text.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace secprov::api {

std::string join(std::span<const std::string> items, std::string_view separator) {
  std::string out;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += separator;
    out += items[k];
  }
  return out;
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4U];
    out += kDigits[byte & 0x0fU];
  }
}

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  append_hex(out, bytes);
  return out;
}

void append_hex_bytes(std::string& out, std::string_view digits) {
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(lower_hex_byte(digits[i], digits[i + 1])));
  }
}

void append_uuid(std::string& out, std::string_view bytes) {
  append_hex(out, bytes.substr(0, 4));
  for (const auto& [at, size] : {std::pair{4, 2}, {6, 2}, {8, 2}, {10, 6}}) {
    out += '-';
    append_hex(out, bytes.substr(at, size));
  }
}

bool is_lower_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_lower_hex_digit(text[i])) return false;
  }
  return true;
}

HexText::HexText(std::string_view text) {
  Folded folded{};
  std::string_view digits = text;
  if (digits.starts_with(kSha256Prefix)) {
    folded.sha256_prefix = true;
    digits.remove_prefix(kSha256Prefix.size());
  }
  const bool foldable = digits.size() % 2 == 0 && digits.size() <= 2 * folded.bytes.size() &&
                        std::ranges::all_of(digits, is_lower_hex_digit);
  if (!foldable) {
    value_ = std::string(text);
    return;
  }
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    folded.bytes[i / 2] = lower_hex_byte(digits[i], digits[i + 1]);
  }
  folded.size = static_cast<std::uint8_t>(digits.size() / 2);
  value_ = folded;
}

std::string HexText::str() const {
  if (const auto* text = std::get_if<std::string>(&value_)) return *text;
  const auto& folded = std::get<Folded>(value_);
  std::string out;
  out.reserve(kSha256Prefix.size() + 2 * folded.size);
  if (folded.sha256_prefix) out += kSha256Prefix;
  append_hex(out,
             std::string_view(reinterpret_cast<const char*>(folded.bytes.data()), folded.size));
  return out;
}

bool HexText::empty() const noexcept {
  if (const auto* text = std::get_if<std::string>(&value_)) return text->empty();
  const auto& folded = std::get<Folded>(value_);
  return folded.size == 0 && !folded.sha256_prefix;
}

SharedText::SharedText(std::string text) {
  // Owned by the handles from here on: the last one's release() takes it back.
  if (!text.empty()) block_ = std::make_unique<const Block>(std::move(text)).release();
}

void SharedText::retain() const noexcept {
  if (block_ != nullptr) block_->holders.fetch_add(1, std::memory_order_relaxed);
}

void SharedText::release() noexcept {
  const Block* block = std::exchange(block_, nullptr);
  if (block != nullptr && block->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    const std::unique_ptr<const Block> last(block);
  }
}

std::size_t SharedText::holders() const noexcept {
  return block_ == nullptr ? 0 : block_->holders.load(std::memory_order_acquire);
}

const std::string& SharedText::str() const noexcept {
  static const std::string kEmpty;  // immutable: no shared mutable state
  return block_ != nullptr ? block_->text : kEmpty;
}

SharedText TextPool::intern(const SharedText& text) {
  if (text.empty()) return {};
  const std::lock_guard lock(mutex_);
  if (const auto it = texts_.find(std::string_view(text.str())); it != texts_.end()) return *it;
  texts_.insert(text);
  if (texts_.size() >= sweep_at_) {
    std::erase_if(texts_, [](const SharedText& held) { return held.holders() == 1; });
    sweep_at_ = std::max(kFirstSweep, 2 * texts_.size());
  }
  return text;
}

std::size_t TextPool::size() const {
  const std::lock_guard lock(mutex_);
  return texts_.size();
}

}  // namespace secprov::api
