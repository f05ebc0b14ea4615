#include "runtime/packed.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "api/text.h"

namespace secprov::runtime {
namespace {

// The one MessagePack type byte the format leaves unused: here, a reference to a dictionary
// entry (its index follows in one byte).
constexpr std::uint8_t kDictionaryReference = 0xc1;

// A string with lowercase hex folded to its bytes: an ext value of this type (MessagePack
// leaves ext types 0-127 to applications). The cached objects' digests ("sha256:<64 hex>",
// and three of them in a Secret's data-digests annotation), fingerprints and UIDs are
// text of which hex is half the bytes.
constexpr std::uint8_t kFoldedText = 0x01;

// Segments of a folded text, each starting with one byte:
//   1..kMaxLiteral      that many bytes of text follow as they are;
//   kUuidSegment        16 bytes follow: a UUID written 8-4-4-4-12 in lowercase hex;
//   0x80 | n (n >= 8)   n bytes follow: 2n lowercase hex digits.
constexpr std::size_t kMaxLiteral = 0x7e;
constexpr std::uint8_t kUuidSegment = 0x7f;
constexpr std::uint8_t kHexSegment = 0x80;
constexpr std::size_t kMinHexDigits = 16;  // shorter runs stay text: a segment costs a byte
constexpr std::size_t kMaxHexBytes = 0x7f;
constexpr std::size_t kUuidLength = 36;

using api::append_hex_bytes;
using api::is_lower_hex_digit;

std::size_t hex_run(std::string_view text, std::size_t from) {
  std::size_t end = from;
  while (end < text.size() && is_lower_hex_digit(text[end])) ++end;
  return end - from;
}

bool is_uuid_at(std::string_view text, std::size_t from) {
  return api::is_lower_uuid(text.substr(from, kUuidLength));
}

// The segments of `text`, or "" when nothing in it folds.
std::string fold(std::string_view text) {
  std::string out;
  std::size_t literal_from = 0;  // start of the text not yet written
  bool folded = false;
  const auto flush_literal = [&](std::size_t to) {
    while (literal_from < to) {
      const std::size_t n = std::min(kMaxLiteral, to - literal_from);
      out.push_back(static_cast<char>(n));
      out.append(text.substr(literal_from, n));
      literal_from += n;
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_lower_hex_digit(text[i])) {
      ++i;
      continue;
    }
    if (is_uuid_at(text, i)) {
      flush_literal(i);
      out.push_back(static_cast<char>(kUuidSegment));
      for (std::size_t at = i; at < i + kUuidLength; at += 2) {
        if (text[at] == '-') ++at;
        append_hex_bytes(out, text.substr(at, 2));
      }
      i += kUuidLength;
      literal_from = i;
      folded = true;
      continue;
    }
    const std::size_t run = hex_run(text, i);
    if (run < kMinHexDigits) {
      i += run;
      continue;
    }
    flush_literal(i);
    const std::size_t run_end = i + run;
    // Whole bytes, at least 8 to a segment; what is left (an odd digit, a short tail) is text.
    while (run_end - i >= kMinHexDigits) {
      const std::size_t bytes = std::min(kMaxHexBytes, (run_end - i) / 2);
      out.push_back(static_cast<char>(kHexSegment | bytes));
      append_hex_bytes(out, text.substr(i, 2 * bytes));
      i += 2 * bytes;
    }
    literal_from = i;
    i = run_end;
    folded = true;
  }
  if (!folded) return {};
  flush_literal(text.size());
  return out;
}

// The text `segments` (made by fold) stand for.
std::string unfold(std::string_view segments) {
  std::string out;
  std::size_t at = 0;
  const auto take = [&](std::size_t n) {
    if (segments.size() - at < n) throw std::runtime_error("packed JSON: truncated folded text");
    const auto part = segments.substr(at, n);
    at += n;
    return part;
  };
  while (at < segments.size()) {
    const auto head = static_cast<std::uint8_t>(take(1).front());
    if (head == 0) throw std::runtime_error("packed JSON: an empty folded segment");
    if (head <= kMaxLiteral) {
      out.append(take(head));
    } else if (head == kUuidSegment) {
      api::append_uuid(out, take(16));
    } else {
      api::append_hex(out, take(head & 0x7fU));
    }
  }
  return out;
}

// Reads what nlohmann::json::to_msgpack writes. nlohmann's own reader appends strings byte by
// byte (a cached Secret's certificates made it six times slower than a tree copy); this one
// copies them whole, and rejects the MessagePack types the encoder never writes.
class Reader {
 public:
  Reader(std::string_view bytes, const PackDictionary* dictionary)
      : bytes_(bytes), dictionary_(dictionary) {}

  Json value() {
    const std::uint8_t tag = byte();
    if (tag == kDictionaryReference) return Json(std::string(entry()));
    if (tag <= 0x7f) return Json(static_cast<std::uint64_t>(tag));  // positive fixint
    if (tag >= 0xe0) return Json(static_cast<std::int64_t>(static_cast<std::int8_t>(tag)));
    if ((tag & 0xf0) == 0x80) return object(tag & 0x0f);
    if ((tag & 0xf0) == 0x90) return array(tag & 0x0f);
    if (const auto length = string_length(tag)) return Json(string(*length));
    if (const auto length = folded_length(tag)) return Json(folded_text(*length));
    switch (tag) {
      case 0xc0:
        return Json(nullptr);
      case 0xc2:
        return Json(false);
      case 0xc3:
        return Json(true);
      case 0xc4:  // bin 8/16/32: a binary value without subtype (store-only fields)
        return binary(big_endian<std::uint8_t>());
      case 0xc5:
        return binary(big_endian<std::uint16_t>());
      case 0xc6:
        return binary(big_endian<std::uint32_t>());
      case 0xca:
        return Json(static_cast<double>(std::bit_cast<float>(big_endian<std::uint32_t>())));
      case 0xcb:
        return Json(std::bit_cast<double>(big_endian<std::uint64_t>()));
      case 0xcc:
        return Json(static_cast<std::uint64_t>(big_endian<std::uint8_t>()));
      case 0xcd:
        return Json(static_cast<std::uint64_t>(big_endian<std::uint16_t>()));
      case 0xce:
        return Json(static_cast<std::uint64_t>(big_endian<std::uint32_t>()));
      case 0xcf:
        return Json(big_endian<std::uint64_t>());
      case 0xd0:
        return Json(
            static_cast<std::int64_t>(std::bit_cast<std::int8_t>(big_endian<std::uint8_t>())));
      case 0xd1:
        return Json(
            static_cast<std::int64_t>(std::bit_cast<std::int16_t>(big_endian<std::uint16_t>())));
      case 0xd2:
        return Json(
            static_cast<std::int64_t>(std::bit_cast<std::int32_t>(big_endian<std::uint32_t>())));
      case 0xd3:
        return Json(std::bit_cast<std::int64_t>(big_endian<std::uint64_t>()));
      case 0xdc:
        return array(big_endian<std::uint16_t>());
      case 0xdd:
        return array(big_endian<std::uint32_t>());
      case 0xde:
        return object(big_endian<std::uint16_t>());
      case 0xdf:
        return object(big_endian<std::uint32_t>());
      default:
        throw std::runtime_error("packed JSON: unexpected MessagePack type byte");
    }
  }

  bool at_end() const { return position_ == bytes_.size(); }

 private:
  std::uint8_t byte() {
    need(1);
    return static_cast<std::uint8_t>(bytes_[position_++]);
  }

  template <class Unsigned>
  Unsigned big_endian() {
    need(sizeof(Unsigned));
    Unsigned value = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
      value =
          static_cast<Unsigned>((value << 8U) | static_cast<std::uint8_t>(bytes_[position_ + i]));
    }
    position_ += sizeof(Unsigned);
    return value;
  }

  std::string string(std::size_t length) {
    need(length);
    std::string out(bytes_.substr(position_, length));
    position_ += length;
    return out;
  }

  Json binary(std::size_t length) {
    need(length);
    const auto* first = reinterpret_cast<const std::uint8_t*>(bytes_.data() + position_);
    position_ += length;
    return Json::binary(Json::binary_t::container_type(first, first + length));
  }

  // The length of the string that `tag` starts; nullopt when it starts something else.
  std::optional<std::size_t> string_length(std::uint8_t tag) {
    if ((tag & 0xe0) == 0xa0) return tag & 0x1f;  // fixstr
    switch (tag) {
      case 0xd9:
        return big_endian<std::uint8_t>();
      case 0xda:
        return big_endian<std::uint16_t>();
      case 0xdb:
        return big_endian<std::uint32_t>();
      default:
        return std::nullopt;
    }
  }

  std::string key_string() {
    const std::uint8_t tag = byte();
    if (tag == kDictionaryReference) return std::string(entry());
    if (const auto length = folded_length(tag)) return folded_text(*length);
    const auto length = string_length(tag);
    if (!length) throw std::runtime_error("packed JSON: a map key is not a string");
    return string(*length);
  }

  // The payload length of the folded text that `tag` starts (its ext type checked); nullopt
  // when it starts something else.
  std::optional<std::size_t> folded_length(std::uint8_t tag) {
    std::size_t length = 0;
    switch (tag) {
      case 0xc7:
        length = big_endian<std::uint8_t>();
        break;
      case 0xc8:
        length = big_endian<std::uint16_t>();
        break;
      case 0xc9:
        length = big_endian<std::uint32_t>();
        break;
      default:
        return std::nullopt;
    }
    if (byte() != kFoldedText) throw std::runtime_error("packed JSON: an unknown ext type");
    return length;
  }

  std::string folded_text(std::size_t length) {
    need(length);
    auto text = unfold(bytes_.substr(position_, length));
    position_ += length;
    return text;
  }

  Json array(std::size_t length) {
    Json out = Json::array();
    auto& elements = out.get_ref<Json::array_t&>();
    elements.reserve(length);
    for (std::size_t i = 0; i < length; ++i) elements.push_back(value());
    return out;
  }

  Json object(std::size_t length) {
    Json out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    for (std::size_t i = 0; i < length; ++i) {
      std::string key = key_string();
      // Keys arrive sorted (the encoder walks a std::map): the hint makes each insert O(1).
      members.emplace_hint(members.end(), std::move(key), value());
    }
    return out;
  }

  std::string_view entry() {
    const std::uint8_t index = byte();
    const auto text = dictionary_ != nullptr ? dictionary_->at(index) : std::nullopt;
    if (!text) throw std::runtime_error("packed JSON: a reference to no dictionary entry");
    return *text;
  }

  void need(std::size_t count) const {
    if (bytes_.size() - position_ < count) throw std::runtime_error("packed JSON: truncated");
  }

  std::string_view bytes_;
  const PackDictionary* dictionary_;
  std::size_t position_ = 0;
};

// Writes what nlohmann::json::to_msgpack writes (the same widths, so Reader types numbers as a
// text parse does), except that a string of the dictionary is a reference to it.
class Writer {
 public:
  Writer(std::string& out, const PackDictionary* dictionary) : out_(out), dictionary_(dictionary) {}

  void value(const Json& value) {
    switch (value.type()) {
      case Json::value_t::null:
      case Json::value_t::discarded:
        byte(0xc0);
        return;
      case Json::value_t::boolean:
        byte(value.get<bool>() ? 0xc3 : 0xc2);
        return;
      case Json::value_t::number_unsigned:
        unsigned_integer(value.get<std::uint64_t>());
        return;
      case Json::value_t::number_integer:
        integer(value.get<std::int64_t>());
        return;
      case Json::value_t::number_float:
        floating(value.get<double>());
        return;
      case Json::value_t::string:
        string(value.get_ref<const std::string&>());
        return;
      case Json::value_t::binary:
        binary(value.get_binary());
        return;
      case Json::value_t::array: {
        const auto& elements = value.get_ref<const Json::array_t&>();
        header(elements.size(), 0x90, 0xdc, 0xdd);
        for (const auto& element : elements) this->value(element);
        return;
      }
      case Json::value_t::object: {
        const auto& members = value.get_ref<const Json::object_t&>();
        header(members.size(), 0x80, 0xde, 0xdf);
        for (const auto& [key, member] : members) {
          string(key);
          this->value(member);
        }
        return;
      }
    }
  }

 private:
  void byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }

  template <class Unsigned>
  void big_endian(Unsigned v) {
    for (std::size_t i = sizeof(Unsigned); i > 0; --i) {
      byte(static_cast<std::uint8_t>(v >> (8U * (i - 1))));
    }
  }

  void unsigned_integer(std::uint64_t v) {
    if (v < 0x80) {
      byte(static_cast<std::uint8_t>(v));  // positive fixint
    } else if (v <= std::numeric_limits<std::uint8_t>::max()) {
      byte(0xcc);
      big_endian(static_cast<std::uint8_t>(v));
    } else if (v <= std::numeric_limits<std::uint16_t>::max()) {
      byte(0xcd);
      big_endian(static_cast<std::uint16_t>(v));
    } else if (v <= std::numeric_limits<std::uint32_t>::max()) {
      byte(0xce);
      big_endian(static_cast<std::uint32_t>(v));
    } else {
      byte(0xcf);
      big_endian(v);
    }
  }

  void integer(std::int64_t v) {
    if (v >= 0) return unsigned_integer(static_cast<std::uint64_t>(v));
    if (v >= -32) {
      byte(static_cast<std::uint8_t>(static_cast<std::int8_t>(v)));  // negative fixint
    } else if (v >= std::numeric_limits<std::int8_t>::min()) {
      byte(0xd0);
      big_endian(std::bit_cast<std::uint8_t>(static_cast<std::int8_t>(v)));
    } else if (v >= std::numeric_limits<std::int16_t>::min()) {
      byte(0xd1);
      big_endian(std::bit_cast<std::uint16_t>(static_cast<std::int16_t>(v)));
    } else if (v >= std::numeric_limits<std::int32_t>::min()) {
      byte(0xd2);
      big_endian(std::bit_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
    } else {
      byte(0xd3);
      big_endian(std::bit_cast<std::uint64_t>(v));
    }
  }

  void floating(double v) {
    // A float when it holds the value exactly, as nlohmann does.
    if (v >= static_cast<double>(std::numeric_limits<float>::lowest()) &&
        v <= static_cast<double>(std::numeric_limits<float>::max()) &&
        static_cast<double>(static_cast<float>(v)) == v) {
      byte(0xca);
      big_endian(std::bit_cast<std::uint32_t>(static_cast<float>(v)));
    } else {
      byte(0xcb);
      big_endian(std::bit_cast<std::uint64_t>(v));
    }
  }

  void string(const std::string& text) {
    if (dictionary_ != nullptr) {
      if (const auto index = dictionary_->find(text)) {
        byte(kDictionaryReference);
        byte(*index);
        return;
      }
    }
    if (text.size() >= kMinHexDigits && folded(text)) return;
    if (text.size() < 32) {
      byte(static_cast<std::uint8_t>(0xa0 | text.size()));  // fixstr
    } else {
      length(text.size(), 0xd9, 0xda, 0xdb);
    }
    out_.append(text);
  }

  // Writes `text` folded when that is shorter than as a string.
  bool folded(const std::string& text) {
    const std::string segments = fold(text);
    if (segments.empty()) return false;
    const std::size_t as_text = text.size() + (text.size() < 32 ? 1 : length_size(text.size()));
    const std::size_t as_folded = segments.size() + 1 + length_size(segments.size());
    if (as_folded >= as_text) return false;
    length(segments.size(), 0xc7, 0xc8, 0xc9);
    byte(kFoldedText);
    out_.append(segments);
    return true;
  }

  // Bytes of a tag and an 8/16/32-bit length.
  static std::size_t length_size(std::size_t n) {
    if (n <= std::numeric_limits<std::uint8_t>::max()) return 2;
    return n <= std::numeric_limits<std::uint16_t>::max() ? 3 : 5;
  }

  void binary(const Json::binary_t& bytes) {
    // Store-only fields carry no subtype; the reader rejects the ext types a subtype needs.
    if (bytes.has_subtype()) throw std::invalid_argument("packed JSON: binary with a subtype");
    length(bytes.size(), 0xc4, 0xc5, 0xc6);
    out_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  void header(std::size_t n, std::uint8_t fix, std::uint8_t wide16, std::uint8_t wide32) {
    if (n < 16) {
      byte(static_cast<std::uint8_t>(fix | n));
    } else {
      length(n, 0, wide16, wide32);
    }
  }

  // `n` after the tag of the narrowest width that holds it; a zero tag is a width the type
  // does not have.
  void length(std::size_t n, std::uint8_t tag8, std::uint8_t tag16, std::uint8_t tag32) {
    if (tag8 != 0 && n <= std::numeric_limits<std::uint8_t>::max()) {
      byte(tag8);
      big_endian(static_cast<std::uint8_t>(n));
    } else if (n <= std::numeric_limits<std::uint16_t>::max()) {
      byte(tag16);
      big_endian(static_cast<std::uint16_t>(n));
    } else {
      byte(tag32);
      big_endian(static_cast<std::uint32_t>(n));
    }
  }

  std::string& out_;
  const PackDictionary* dictionary_;
};

}  // namespace

PackDictionary::PackDictionary(std::vector<std::string> entries) : entries_(std::move(entries)) {
  if (entries_.size() > kMaxEntries) {
    throw std::invalid_argument("pack dictionary: more than 256 entries");
  }
  index_.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].empty()) throw std::invalid_argument("pack dictionary: an empty entry");
    if (!index_.emplace(entries_[i], static_cast<std::uint8_t>(i)).second) {
      throw std::invalid_argument("pack dictionary: \"" + entries_[i] + "\" twice");
    }
  }
}

std::optional<std::uint8_t> PackDictionary::find(std::string_view text) const {
  const auto it = index_.find(text);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> PackDictionary::at(std::uint8_t index) const {
  if (index >= entries_.size()) return std::nullopt;
  return entries_[index];
}

namespace {
constexpr std::size_t kCountBytes = 4;
}  // namespace

PackedJson::PackedJson(const Json& value, const PackDictionary* dictionary) {
  std::string encoded;
  Writer(encoded, dictionary).value(value);
  if (encoded.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("packed JSON: over 4 GiB");
  }
  // Copied out at its exact size: what the writer grew beyond it is a third on average.
  bytes_ = std::make_unique<char[]>(kCountBytes + encoded.size());
  auto count = static_cast<std::uint32_t>(encoded.size());
  for (std::size_t i = 0; i < kCountBytes; ++i, count >>= 8U) {
    bytes_[i] = static_cast<char>(count & 0xffU);
  }
  std::memcpy(bytes_.get() + kCountBytes, encoded.data(), encoded.size());
}

std::size_t PackedJson::size() const {
  if (!bytes_) return 0;
  std::uint32_t count = 0;
  for (std::size_t i = kCountBytes; i-- > 0;) {
    count = (count << 8U) | static_cast<std::uint8_t>(bytes_[i]);
  }
  return count;
}

std::string_view PackedJson::bytes() const {
  return bytes_ ? std::string_view(bytes_.get() + kCountBytes, size()) : std::string_view{};
}

Json PackedJson::unpack(const PackDictionary* dictionary) const {
  const auto bytes = this->bytes();
  if (bytes.empty()) return Json(nullptr);
  Reader reader(bytes, dictionary);
  Json value = reader.value();
  if (!reader.at_end()) throw std::runtime_error("packed JSON: trailing bytes");
  return value;
}

}  // namespace secprov::runtime
