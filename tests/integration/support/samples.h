#pragma once
// Files and shipped samples (deploy/samples) as the integration tests use them.

#include <filesystem>
#include <string>

namespace secprov::testing {

std::string read_text(const std::filesystem::path& file);
// Creates the parent directories; replaces the file.
void write_text(const std::filesystem::path& file, const std::string& text);

// The value of the first "  name: " line after "metadata:" of a sample's YAML.
std::string metadata_name(const std::string& yaml);

// A sample made to run in the test's namespace under the test's own trust domain: the
// `namespace:` line goes, and every "name: <sample_domain>" line (the TrustDomain's name,
// each profile's trustDomainRef) names `domain` instead.
std::string localized(const std::string& yaml, const std::string& sample_domain,
                      const std::string& domain);

}  // namespace secprov::testing
