#pragma once
// YAML <-> JSON for secprovctl. Reading types plain scalars as kubectl does (quoted ->
// string; plain true/false, null, integers, floats typed). Writing emits block YAML, with
// multi-line strings as literal blocks so rendered configuration files stay readable.
// (tests/unit/api/yaml_json.* is a test helper without line numbers or per-document
// errors; this is the tool's own.)

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace secprov::ctl {

// One document of a multi-document YAML text.
struct YamlDocument {
  std::size_t index = 0;  // 1-based position among the documents of the text
  int line = 1;           // 1-based line of its first content
  nlohmann::json value;   // null for an empty document
};

// A document that does not parse: where, and the parser's message.
struct YamlError {
  std::size_t index = 0;
  int line = 1;
  std::string message;
};

struct YamlDocuments {
  std::vector<YamlDocument> documents;
  std::vector<YamlError> errors;
};

// Splits at "---" lines and parses each document on its own, so one bad document does not
// hide the others and every error has its document index and line.
YamlDocuments parse_yaml_documents(const std::string& text);

// Block YAML of a JSON value (an object or array at the top).
std::string to_yaml(const nlohmann::json& value);

}  // namespace secprov::ctl
