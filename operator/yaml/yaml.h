#pragma once
// YAML <-> JSON, one module for the operator (native NF configs), secprovctl and the tests.
//
// Reading types plain scalars as kubectl does: quoted -> string; plain true/false, null/~/empty,
// integers and floats typed; everything else a string.
// Writing emits block YAML, keys in the JSON value's order. One quoting rule serves both the
// Open5GS/free5GC parsers (YAML 1.1 and 1.2) and kubectl: a string any of them could take for
// a number, boolean, null or timestamp ("1.2", "yes", "010", "~", "") is double-quoted.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace secprov::yaml {

// One document of a multi-document YAML text.
struct Document {
  std::size_t index = 0;  // 1-based position among the documents of the text
  int line = 1;           // 1-based line of its first content
  nlohmann::json value;   // null for a document holding only null
};

// A document that does not parse: where, and the parser's message.
struct Error {
  std::size_t index = 0;
  int line = 1;
  std::string message;
};

struct Documents {
  std::vector<Document> documents;
  std::vector<Error> errors;
};

// Thrown by parse and load_file; says which document and line.
class ParseError : public std::runtime_error {
 public:
  explicit ParseError(Error error);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Splits at "---" lines and parses each document on its own, so one bad document does not
// hide the others and every error has its document index and line. Blank and comment-only
// documents are not documents.
Documents parse_documents(std::string_view text);

// The first document (null when there is none); ParseError when any document is invalid.
nlohmann::json parse(std::string_view text);

// The values of all non-null documents of a file; ParseError (line 0 when the file cannot be
// read) otherwise.
std::vector<nlohmann::json> load_file(const std::string& path);

// Block YAML of `value`, preceded by one "# " comment line per entry of `comments`, ending
// with a newline. Empty containers are written as [] / {}; multi-line strings as literal
// blocks where a literal block reads back exactly, double-quoted otherwise.
std::string to_yaml(const nlohmann::json& value, const std::vector<std::string>& comments = {});
std::string to_yaml(const nlohmann::ordered_json& value,
                    const std::vector<std::string>& comments = {});

}  // namespace secprov::yaml
