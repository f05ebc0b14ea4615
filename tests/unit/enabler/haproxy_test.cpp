#include "enabler/haproxy.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace secprov::enabler {
namespace {

TEST(Haproxy, MasterWorkerInTheForegroundWithItsCli) {
  EXPECT_EQ(master_argv("/usr/sbin/haproxy", "/etc/secprov/enabler/haproxy.cfg", "/run/m.sock"),
            (std::vector<std::string>{"/usr/sbin/haproxy", "-W", "-db", "-S", "/run/m.sock", "-f",
                                      "/etc/secprov/enabler/haproxy.cfg"}));
}

// `show proc` of HAProxy 2.6 during a reload: the current worker, and an old one still
// finishing its connections.
TEST(Haproxy, CurrentWorkersLeaveOldWorkersOut) {
  const std::string show_proc =
      "#<PID>          <type>          <reloads>       <uptime>        <version>\n"
      "7273            master          1 [failed: 0]   0d00h00m02s     2.6.12-1+deb12u4\n"
      "# workers\n"
      "7285            worker          0               0d00h00m00s     2.6.12-1+deb12u4\n"
      "# old workers\n"
      "7276            worker          1               0d00h00m02s     2.6.12-1+deb12u4\n"
      "# programs\n\n";
  EXPECT_EQ(current_workers(show_proc), std::vector<pid_t>{7285});
  EXPECT_TRUE(current_workers("").empty());
}

TEST(Haproxy, RunCaptureReturnsExitCodeAndOutput) {
  const auto ok = run_capture({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(ok.exit_code, 3);
  EXPECT_NE(ok.output.find("out"), std::string::npos);
  EXPECT_NE(ok.output.find("err"), std::string::npos);
  EXPECT_EQ(run_capture({"/nonexistent/haproxy"}).exit_code, -1);
}

TEST(Haproxy, ExitCodeOfASignalIs128Plus) {
  EXPECT_EQ(exit_code_of(0), 0);
  EXPECT_EQ(exit_code_of(9), 128 + 9);  // WIFSIGNALED with SIGKILL
}

}  // namespace
}  // namespace secprov::enabler
