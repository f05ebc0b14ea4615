#include "support/samples.h"

#include <fstream>
#include <sstream>

namespace secprov::testing {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::trunc);
  out << text;
}

std::string metadata_name(const std::string& yaml) {
  std::istringstream lines(yaml);
  bool in_metadata = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("metadata:", 0) == 0) {
      in_metadata = true;
    } else if (in_metadata && line.rfind("  name: ", 0) == 0) {
      return line.substr(8);
    }
  }
  return {};
}

std::string localized(const std::string& yaml, const std::string& sample_domain,
                      const std::string& domain) {
  std::istringstream lines(yaml);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  namespace:", 0) == 0) continue;
    const auto at = line.find("name: " + sample_domain);
    if (at != std::string::npos && line.size() == at + 6 + sample_domain.size() &&
        line.find_first_not_of(' ') == at) {
      line = line.substr(0, at) + "name: " + domain;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace secprov::testing
