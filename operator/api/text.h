#pragma once
// Text helpers every layer's messages share.

#include <span>
#include <string>
#include <string_view>

namespace secprov::api {

// The items with `separator` between them ("" for none).
std::string join(std::span<const std::string> items, std::string_view separator);

}  // namespace secprov::api
