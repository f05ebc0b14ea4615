// secprovctl's command line: help on every verb, version, usage errors, completion.
#include "cmd/secprovctl/cli.h"

#include <gtest/gtest.h>

#include "cli_runner.h"

namespace secprov::ctl {
namespace {

TEST(Cli, HelpOnEveryVerbSaysWhatInputsOutputsExitCodesAndAnExample) {
  for (const auto* verb : {"check", "render", "explain", "diff", "completion"}) {
    const auto r = cli({verb, "--help"});
    EXPECT_EQ(r.code, 0) << verb;
    for (const auto* section : {"DESCRIPTION", "EXAMPLE", "Usage:"}) {
      EXPECT_NE(r.out.find(section), std::string::npos) << verb << " lacks " << section << "\n"
                                                        << r.out;
    }
    if (std::string(verb) != "completion") {
      EXPECT_NE(r.out.find("EXIT CODES"), std::string::npos) << verb;
    }
  }
  const auto top = cli({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("EXIT CODES"), std::string::npos);
}

TEST(Cli, DiffHelpNamesKubectl) {
  const auto r = cli({"diff", "--help"});
  EXPECT_NE(r.out.find("$KUBECTL"), std::string::npos) << r.out;
}

TEST(Cli, Version) {
  const auto r = cli({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, version() + "\n");
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(cli({}).code, 2);
  EXPECT_EQ(cli({"frobnicate"}).code, 2);
  EXPECT_EQ(cli({"check"}).code, 2);  // -f is required
  EXPECT_EQ(cli({"check", "-f", "x", "-o", "xml"}).code, 2);
  EXPECT_EQ(cli({"completion", "fish"}).code, 2);
  const auto unknown = cli({"explain", "N7"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("AMF-AUSF"), std::string::npos) << unknown.err;
}

TEST(Cli, Explain) {
  const auto r = cli({"explain", "N4"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("SMF <-> UPF"), std::string::npos);
}

TEST(Cli, Completion) {
  for (const auto* shell : {"bash", "zsh"}) {
    const auto r = cli({"completion", shell});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("complete -o default -F _secprovctl secprovctl"), std::string::npos);
    EXPECT_NE(r.out.find("check render explain diff completion"), std::string::npos);
    EXPECT_NE(r.out.find("AMF-AUSF"), std::string::npos);
  }
  EXPECT_NE(completion_script("zsh").find("bashcompinit"), std::string::npos);
  EXPECT_TRUE(completion_script("fish").empty());
}

}  // namespace
}  // namespace secprov::ctl
