// modules_daemon_test.cpp: loadable modules in the real daemon — configured by two lines of a
// config file, statistics, an async call outliving core.call_timeout_ms (408, then a clean
// shutdown whose destroy hook waits for the module thread), and every start-up error (exit
// status 1, stderr naming the module and the problem), also through --check-config.
// (Every transport serving module commands is in tests/conformance/conformance_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "support/daemon.h"

namespace sb::test {
namespace {

using namespace std::chrono_literals;

const std::string kConf = std::string(SB_SOURCE_DIR) + "/conf/switchboard.conf";
const std::string kPath = std::string("modules.path=") + SB_MODULE_DIR + ":" + SB_TEST_MODULE_DIR;

::testing::AssertionResult Contains(const std::string& hay, const std::string& needle) {
  if (hay.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << hay << "' does not contain '" << needle << "'";
}

TEST(ModulesDaemon, TwoConfigLinesLoadAModule) {
  TestDaemon d({}, std::string("[modules]\npath = ") + SB_MODULE_DIR + "\nload = example.so\n");
  EXPECT_EQ(d.text("hello"), "200 OK\nHello, world!\n\n");
  EXPECT_EQ(d.text("example:hello", {"Eve"}), "200 OK\nHello, Eve!\n\n");
  EXPECT_EQ(d.stat("mi:hello_calls"), 2);
  std::string which = d.text("which");
  EXPECT_TRUE(Contains(which, "\nexample:hello\nexample:hello_async\n")) << which;
  EXPECT_TRUE(Contains(d.text("help", {"hello"}), "\nExported by:: example\n"));
  EXPECT_TRUE(Contains(d.text("module_list"), "\tname:: example\n\tversion:: 1.0.0\n"));
  EXPECT_TRUE(Contains(d.log(), "module 'example' 1.0.0 loaded from"));
}

TEST(ModulesDaemon, AsyncCallPastTheTimeoutIs408AndShutdownWaitsForTheModuleThread) {
  TestDaemon d({kPath, "modules.load=example", "core.call_timeout_ms=200"});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.text("hello_async", {"1500"}), "408 Request Timeout\n\n");
  EXPECT_EQ(d.text("uptime").substr(0, 7), "200 OK\n");  // the daemon is fine meanwhile
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();              // example's destroy() waits for its thread
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1400ms);
  EXPECT_TRUE(Contains(d.log(), "] stopped")) << d.log();
}

struct StartupCase {
  const char* name;
  std::vector<std::string> sets;
  std::vector<std::string> expect;  ///< substrings of stderr
};

class ModuleStartupError : public ::testing::TestWithParam<StartupCase> {};

TEST_P(ModuleStartupError, ExitsWithStatus1NamingModuleAndProblem) {
  const StartupCase& c = GetParam();
  char tmpl[] = "/tmp/sbtest_mod_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::vector<std::string> args = {"-c",
                                   kConf,
                                   "--foreground",
                                   "--set",
                                   "fifo.path=" + dir + "/fifo",
                                   "--set",
                                   "datagram.unix=",
                                   "--set",
                                   "datagram.udp=",
                                   "--set",
                                   "http.listen=",
                                   "--set",
                                   "monitor.listen=",
                                   "--set",
                                   kPath};
  for (const auto& s : c.sets) args.insert(args.end(), {"--set", s});
  auto [rc, err] = run_switchboard(args);
  std::remove((dir + "/fifo").c_str());
  ::rmdir(dir.c_str());
  EXPECT_EQ(rc, 1) << err;
  // The error line (the log before it goes to stderr too in the foreground).
  std::size_t at = err.rfind("switchboard: ", 0) == 0 ? 0 : err.find("\nswitchboard: ");
  ASSERT_NE(at, std::string::npos) << err;
  std::string line = err.substr(at == 0 ? 0 : at + 1);
  line = line.substr(0, line.find('\n'));
  for (const auto& e : c.expect) EXPECT_TRUE(Contains(line, e));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ModuleStartupError,
    ::testing::Values(
        StartupCase{"UnknownParam",
                    {"modules.load=example.so", "module.example.greting=Hi"},
                    {"--set module.example.greting=***: module 'example': unknown parameter "
                     "'greting' (did you mean 'greeting'?)"}},
        StartupCase{
            "WrongType",
            {"modules.load=example.so", "module.example.max_delay_ms=abc"},
            {"module 'example': bad value for parameter 'max_delay_ms': 'abc' is not an integer"}},
        StartupCase{"SetterRefuses",
                    {"modules.load=example.so", "module.example.greeting="},
                    {"module 'example': parameter 'greeting' = '' refused: the greeting must not "
                     "be empty"}},
        StartupCase{"MissingSymbol",
                    {"modules.load=no_exports.so"},
                    {"module 'no_exports.so'", "missing symbol 'sb_module_exports'"}},
        StartupCase{"UndefinedSymbol",
                    {"modules.load=undefined_symbol"},
                    {"module 'undefined_symbol'", "cannot load", "sb_function_from_the_future"}},
        StartupCase{"AbiMismatch",
                    {"modules.load=abi_major.so"},
                    {"module 'abi_major.so'",
                     "module ABI version mismatch: built for 2.0, this "
                     "switchboard provides 1.3"}},
        StartupCase{"DuplicateCommand",
                    {"modules.load=duplicate.so"},
                    {"module 'dupmod'",
                     "command 'uptime' of module 'dupmod' is already registered "
                     "by module 'core'"}},
        StartupCase{"FileNotFound",
                    {"modules.load=example.so, nosuch.so"},
                    {"--set modules.load=example.so, nosuch.so: module 'nosuch.so': file not found "
                     "in modules.path"}},
        StartupCase{"SectionOfAModuleNotLoaded",
                    {"modules.load=example.so", "module.exampel.greeting=x"},
                    {"[module.exampel] configures module 'exampel', which is not loaded",
                     "(did you mean 'example'?)"}},
        StartupCase{"InitFails",
                    {"modules.load=faulty.so", "module.faulty.fail_init=1"},
                    {"module 'faulty'", "init failed: asked to fail by fail_init"}}),
    [](const ::testing::TestParamInfo<StartupCase>& info) { return std::string(info.param.name); });

TEST(ModulesDaemon, ConfigFileErrorsNameFileAndLineAndCheckConfigFindsThem) {
  char tmpl[] = "/tmp/sbtest_modconf_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string conf = std::string(tmpl) + "/bad.conf";
  write_config(conf, std::string("[modules]\npath = ") + SB_MODULE_DIR +
                         "\nload = example.so\n[module.example]\ngreeting = Hi\ngreting = Hi\n");
  auto [rc, err] = run_switchboard({"-c", conf, "--check-config"});
  EXPECT_EQ(rc, 1) << err;
  EXPECT_TRUE(Contains(err, conf + ":")) << err;
  EXPECT_TRUE(Contains(err,
                       ": module 'example': unknown parameter 'greting' (did you mean "
                       "'greeting'?)"))
      << err;
  write_config(conf, std::string("[modules]\npath = ") + SB_MODULE_DIR +
                         "\nload = example.so\n[module.example]\ngreeting = Hi\n");
  auto [ok_rc, out] = run_switchboard({"-c", conf, "--check-config"});
  EXPECT_EQ(ok_rc, 0) << out;
  std::remove(conf.c_str());
  ::rmdir(tmpl);
}

}  // namespace
}  // namespace sb::test
