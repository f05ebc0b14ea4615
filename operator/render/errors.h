#pragma once

#include <stdexcept>
#include <string>

namespace secprov::render {

// Input the CRD and the API layer accept but that cannot be rendered. Terminal: the
// reconciler reports Stalled/InvalidSpec naming field() and writes nothing.
class RenderError : public std::invalid_argument {
 public:
  RenderError(std::string field, const std::string& message)
      : std::invalid_argument(field + ": " + message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

}  // namespace secprov::render
