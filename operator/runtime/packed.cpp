#include "runtime/packed.h"

#include <bit>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace secprov::runtime {
namespace {

// Reads what nlohmann::json::to_msgpack writes. nlohmann's own reader appends strings byte by
// byte (a cached Secret's certificates made it six times slower than a tree copy); this one
// copies them whole, and rejects the MessagePack types the encoder never writes.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  Json value() {
    const std::uint8_t tag = byte();
    if (tag <= 0x7f) return Json(static_cast<std::uint64_t>(tag));  // positive fixint
    if (tag >= 0xe0) return Json(static_cast<std::int64_t>(static_cast<std::int8_t>(tag)));
    if ((tag & 0xf0) == 0x80) return object(tag & 0x0f);
    if ((tag & 0xf0) == 0x90) return array(tag & 0x0f);
    if (const auto length = string_length(tag)) return Json(string(*length));
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
    const auto length = string_length(byte());
    if (!length) throw std::runtime_error("packed JSON: a map key is not a string");
    return string(*length);
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

  void need(std::size_t count) const {
    if (bytes_.size() - position_ < count) throw std::runtime_error("packed JSON: truncated");
  }

  std::string_view bytes_;
  std::size_t position_ = 0;
};

}  // namespace

PackedJson::PackedJson(const Json& value) {
  Json::to_msgpack(value, nlohmann::detail::output_adapter<char>(bytes_));
  // The encoder appends; what it grew beyond the size is a third of the bytes on average.
  bytes_.shrink_to_fit();
}

Json PackedJson::unpack() const {
  if (bytes_.empty()) return Json(nullptr);
  Reader reader(bytes_);
  Json value = reader.value();
  if (!reader.at_end()) throw std::runtime_error("packed JSON: trailing bytes");
  return value;
}

}  // namespace secprov::runtime
