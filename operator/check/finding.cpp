#include "check/finding.h"

namespace secprov::check {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::Error:
      return "Error";
    case Severity::Warning:
      return "Warning";
    case Severity::Info:
      return "Info";
  }
  return "";
}

}  // namespace secprov::check
