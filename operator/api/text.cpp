#include "api/text.h"

#include <algorithm>
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

SharedText::SharedText(std::string text)
    : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}

const std::string& SharedText::str() const noexcept {
  static const std::string kEmpty;  // immutable: no shared mutable state
  return text_ ? *text_ : kEmpty;
}

SharedText TextPool::intern(const SharedText& text) {
  if (text.empty()) return {};
  const std::lock_guard lock(mutex_);
  if (const auto it = texts_.find(std::string_view(text.str())); it != texts_.end()) {
    return SharedText(*it);
  }
  texts_.insert(text.holder());
  if (texts_.size() >= sweep_at_) {
    std::erase_if(texts_, [](const Text& held) { return held.use_count() == 1; });
    sweep_at_ = std::max(kFirstSweep, 2 * texts_.size());
  }
  return text;
}

std::size_t TextPool::size() const {
  const std::lock_guard lock(mutex_);
  return texts_.size();
}

}  // namespace secprov::api
