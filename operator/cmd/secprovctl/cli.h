#pragma once
// The secprovctl command line (CLI11): verbs check, render, explain, diff, completion.
// run() is main() without the process: the unit tests call it with streams.

#include <ostream>
#include <string>
#include <vector>

namespace secprov::ctl {

// The version printed by --version and written into SARIF.
std::string version();

// Parses `args` (without the program name) and runs the verb. Returns the exit code.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// A completion script for "bash" or "zsh"; empty for another shell.
std::string completion_script(const std::string& shell);

}  // namespace secprov::ctl
