// config_test.cpp: the configuration schema and loader (gateway/config/config.h): defaults,
// parsing of every key, error messages naming file, line and key, --set overrides, and the
// shipped conf/switchboard.conf.
// Threading: single-threaded tests; each fixture writes its files under its own mkdtemp dir.
#include "gateway/config/config.h"
#include "gateway/config/config_file.h"
#include "gateway/core/core_component.h"
#include "gateway/daemon/components.h"
#include "transports/datagram/datagram_component.h"
#include "transports/fifo/fifo_component.h"
#include "transports/http/http_component.h"
#include "transports/monitor/monitor_component.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sb::gateway {
namespace {

namespace fs = std::filesystem;

/// `hay` contains `needle` (shows both on failure).
::testing::AssertionResult Contains(const std::string& hay, const std::string& needle) {
  if (hay.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << hay << "' does not contain '" << needle << "'";
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sb_config_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  /// Loads `text` as the file `name` (plus overrides); returns the error message, or "" if none.
  std::string load_error(const std::string& name, const std::string& text,
                         const std::vector<std::string>& overrides = {}) {
    std::string path = write(name, text);
    try {
      load_daemon_config(path, overrides);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return {};
  }

  std::string dir_;
};

TEST_F(ConfigTest, DefaultsMatchTheSchema) {
  Config c(daemon_schema());
  EXPECT_EQ(c.get_string("core.log_level"), "info");
  EXPECT_EQ(c.get_string("core.log_file"), "");
  EXPECT_EQ(c.get_string("core.pid_file"), "");
  EXPECT_EQ(c.get_int("core.workers_min"), 2);
  EXPECT_EQ(c.get_int("core.workers_max"), 64);
  EXPECT_EQ(c.get_int("core.call_timeout_ms"), 60000);
  EXPECT_EQ(c.get_int("core.shutdown_timeout_ms"), 5000);
  EXPECT_EQ(c.get_string("fifo.path"), "./var/run/switchboard_fifo");
  EXPECT_EQ(c.get_mode("fifo.mode"), 0660u);
  EXPECT_EQ(c.get_string("fifo.user"), "");
  EXPECT_EQ(c.get_string("fifo.group"), "");
  EXPECT_EQ(c.get_string("fifo.reply_dir"), "/tmp");
  EXPECT_EQ(c.get_int("fifo.max_request"), 65536);
  EXPECT_EQ(c.get_int("fifo.reply_timeout_ms"), 2000);
  EXPECT_EQ(c.origin("fifo.path"), "default");
  EXPECT_NO_THROW(c.validate());

  // An empty file is the defaults too.
  Config empty = load_daemon_config(write("empty.conf", ""), {});
  EXPECT_EQ(empty.get_string("fifo.path"), "./var/run/switchboard_fifo");

  auto f = transports::fifo_config(c);
  EXPECT_EQ(f.path, "./var/run/switchboard_fifo");
  EXPECT_EQ(f.mode, 0660u);
  EXPECT_EQ(f.reply_dir, "/tmp");
  EXPECT_EQ(f.max_request, 65536u);
  EXPECT_EQ(f.reply_timeout, std::chrono::milliseconds(2000));
  auto d = dispatcher_options(c);
  EXPECT_EQ(d.min_workers, 2u);
  EXPECT_EQ(d.max_workers, 64u);
  EXPECT_EQ(d.call_timeout, std::chrono::milliseconds(60000));
}

TEST_F(ConfigTest, EveryKeyParses) {
  std::string path = write("all.conf",
                           "; every key, none at its default\n"
                           "[core]\n"
                           "log_level = debug\n"
                           "log_file = /var/log/sb.log\n"
                           "pid_file = /run/sb.pid\n"
                           "workers_min = 4\n"
                           "workers_max = 128\n"
                           "call_timeout_ms = 1500\n"
                           "shutdown_timeout_ms = 0\n"
                           "\n"
                           "# the FIFO\n"
                           "[fifo]\n"
                           "path = /run/sb/fifo\n"
                           "mode = 600\n"
                           "user = sbuser\n"
                           "group = sbops\n"
                           "reply_dir = /run/sb/replies\n"
                           "max_request = 512\n"
                           "reply_timeout_ms = 10 ; inline comments are stripped\n");
  Config c = load_daemon_config(path, {});
  EXPECT_EQ(c.get_string("core.log_level"), "debug");
  EXPECT_EQ(c.get_string("core.log_file"), "/var/log/sb.log");
  EXPECT_EQ(c.get_string("core.pid_file"), "/run/sb.pid");
  EXPECT_EQ(c.get_int("core.shutdown_timeout_ms"), 0);
  EXPECT_EQ(c.get_mode("fifo.mode"), 0600u);
  EXPECT_EQ(c.origin("fifo.mode"), path + ":14");
  EXPECT_EQ(c.origin("core.log_level"), path + ":3");

  auto f = transports::fifo_config(c);
  EXPECT_EQ(f.path, "/run/sb/fifo");
  EXPECT_EQ(f.mode, 0600u);
  EXPECT_EQ(f.user, "sbuser");
  EXPECT_EQ(f.group, "sbops");
  EXPECT_EQ(f.reply_dir, "/run/sb/replies");
  EXPECT_EQ(f.max_request, 512u);
  EXPECT_EQ(f.reply_timeout, std::chrono::milliseconds(10));
  auto d = dispatcher_options(c);
  EXPECT_EQ(d.min_workers, 4u);
  EXPECT_EQ(d.max_workers, 128u);
  EXPECT_EQ(d.call_timeout, std::chrono::milliseconds(1500));

  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    EXPECT_EQ(load_error("lvl.conf", std::string("[core]\nlog_level = ") + level + "\n"), "")
        << level;
  for (const char* mode : {"0", "0777", "777", "0640", "0000"})
    EXPECT_EQ(load_error("mode.conf", std::string("[fifo]\nmode = ") + mode + "\n"), "") << mode;
}

TEST_F(ConfigTest, ErrorsNameFileLineAndKey) {
  struct Case {
    const char* what;
    std::string text;
    std::string line;                    // ":<n>:" expected right after the file name
    std::vector<std::string> fragments;  // each must appear in the message
  };
  const std::vector<Case> cases = {
      {"unknown key", "[core]\nlog_level = info\n[fifo]\npathh = /tmp/x\n", ":4:",
       {"unknown key 'fifo.pathh'", "did you mean 'fifo.path'"}},
      {"unknown section", "[core]\nlog_level = info\n[fiffo]\npath = /tmp/x\n", ":3:",
       {"unknown section [fiffo]"}},
      {"empty unknown section", "[core]\n\n\n[extra]\n", ":4:", {"unknown section [extra]"}},
      {"unknown section after a BOM", "\xEF\xBB\xBF[nope]\nx = 1\n", ":1:",
       {"unknown section [nope]"}},
      {"bad int", "[core]\nworkers_min = two\n", ":2:",
       {"bad value for 'core.workers_min'", "'two' is not an integer"}},
      {"int with junk", "[fifo]\nmax_request = 1024k\n", ":2:",
       {"'fifo.max_request'", "not an integer"}},
      {"out of range", "[core]\n\nworkers_min = 0\n", ":3:",
       {"bad value for 'core.workers_min'", "'0' is out of range 1..256"}},
      {"out of range high", "[fifo]\nmax_request = 16777217\n", ":2:",
       {"'fifo.max_request'", "out of range 512..16777216"}},
      {"bad mode", "[fifo]\npath = /tmp/x\nreply_dir = /tmp\n\n\n\nmode = 0999\n", ":7:",
       {"bad value for 'fifo.mode': '0999' is not an octal mode <= 0777"}},
      {"mode too large", "[fifo]\nmode = 01777\n", ":2:", {"'fifo.mode'", "<= 0777"}},
      {"empty mode", "[fifo]\nmode =\n", ":2:", {"'fifo.mode'", "not an octal mode"}},
      {"bad log level", "[core]\nlog_level = verbose\n", ":2:",
       {"bad value for 'core.log_level'", "'verbose' is not a log level"}},
      {"relative reply_dir", "[fifo]\nreply_dir = replies\n", ":2:",
       {"bad value for 'fifo.reply_dir'", "not an absolute path"}},
      {"workers_max < workers_min", "[core]\nworkers_min = 8\nworkers_max = 4\n", ":3:",
       {"bad value for 'core.workers_max'", "less than core.workers_min"}},
      {"workers_min raised above the default max", "[core]\nworkers_min = 100\n", ":2:",
       {"bad value for 'core.workers_min'", "greater than core.workers_max"}},
      {"syntax error", "[core]\nlog_level = info\nthis line has no equals sign\n", ":3:",
       {"syntax error", "this line has no equals sign"}},
      {"malformed section", "[core\nlog_level = info\n", ":1:", {"malformed section header"}},
      {"key outside a section", "log_level = info\n", ":1:",
       {"'log_level'", "outside any [section]"}},
      {"indented line", "[core]\nlog_level = info\n  workers_min = 3\n", ":3:",
       {"indentation"}},
      {"line too long", "[core]\nlog_file = /" + std::string(300, 'x') + "\n", ":2:",
       {"longer than"}},
      {"first error wins", "[core]\nworkers_min = x\n[nosuch]\n", ":2:", {"'core.workers_min'"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::string msg = load_error("x.conf", c.text);
    ASSERT_FALSE(msg.empty());
    EXPECT_TRUE(Contains(msg, dir_ + "/x.conf" + c.line)) << msg;
    for (const auto& f : c.fragments) EXPECT_TRUE(Contains(msg, f));
  }
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  std::string path = dir_ + "/nope.conf";
  try {
    load_daemon_config(path, {});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), path + ": cannot open"));
  }
}

TEST_F(ConfigTest, SetOverridesTheFile) {
  std::string path = write("o.conf", "[fifo]\nmode = 0600\npath = /tmp/a\n");
  Config c = load_daemon_config(path, {"fifo.mode=0640", "core.log_level=warn"});
  EXPECT_EQ(c.get_mode("fifo.mode"), 0640u);
  EXPECT_EQ(c.origin("fifo.mode"), "--set fifo.mode=0640");
  EXPECT_EQ(c.get_string("fifo.path"), "/tmp/a");
  EXPECT_EQ(c.get_string("core.log_level"), "warn");
  // Repeated --set: the last one wins; the raw value is taken verbatim after the first '='.
  Config d = load_daemon_config(path, {"fifo.user=a", "fifo.user=b=c"});
  EXPECT_EQ(d.get_string("fifo.user"), "b=c");
  // --set may repair a file value before the cross-key check runs.
  std::string bad = write("w.conf", "[core]\nworkers_min = 8\nworkers_max = 4\n");
  EXPECT_EQ(load_daemon_config(bad, {"core.workers_max=8"}).get_int("core.workers_max"), 8);
}

TEST_F(ConfigTest, SetErrors) {
  std::string path = write("s.conf", "");
  auto error_of = [&](const std::string& set) {
    try {
      load_daemon_config(path, {set});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_TRUE(Contains(error_of("fifo.pathh=/tmp/x"),
                       "--set fifo.pathh=/tmp/x: unknown key 'fifo.pathh'"));
  EXPECT_TRUE(Contains(error_of("fiffo.path=/tmp/x"), "unknown section [fiffo]"));
  EXPECT_EQ(error_of("foo"), "--set foo: expected section.key=value");
  EXPECT_EQ(error_of("fifo.path"), "--set fifo.path: expected section.key=value");
  EXPECT_EQ(error_of(".path=x"), "--set .path=x: expected section.key=value");
  EXPECT_TRUE(Contains(error_of("fifo.mode=abc"),
                       "--set fifo.mode=abc: bad value for 'fifo.mode': 'abc' is not an octal"));
  EXPECT_TRUE(Contains(error_of("fifo.mode=0999"), "'0999' is not an octal mode <= 0777"));
  EXPECT_TRUE(Contains(error_of("core.workers_max=1"),
                       "--set core.workers_max=1: bad value for 'core.workers_max'"));
}

TEST_F(ConfigTest, EmptyFifoPathDisablesTheFifo) {
  Config c = load_daemon_config(write("e.conf", "[fifo]\npath =\n"), {});
  EXPECT_EQ(transports::fifo_config(c).path, "");
  Config d = load_daemon_config(write("f.conf", ""), {"fifo.path="});
  EXPECT_EQ(transports::fifo_config(d).path, "");
}

TEST_F(ConfigTest, DuplicateKeyLastWins) {
  std::string path = write("d.conf", "[core]\nworkers_min = 3\n[fifo]\n[core]\nworkers_min = 5\n");
  Config c = load_daemon_config(path, {});
  EXPECT_EQ(c.get_int("core.workers_min"), 5);
  EXPECT_EQ(c.origin("core.workers_min"), path + ":5");
}

TEST_F(ConfigTest, FailedLoadChangesNothing) {
  Config c(daemon_schema());
  c.load_string("[core]\nworkers_min = 3\n", "a.conf");
  EXPECT_THROW(c.load_string("[core]\nworkers_min = 7\nlog_level = nope\n", "b.conf"),
               ConfigError);
  EXPECT_EQ(c.get_int("core.workers_min"), 3);
  EXPECT_THROW(c.apply_override("core.workers_min=0"), ConfigError);
  EXPECT_EQ(c.get_int("core.workers_min"), 3);
}

TEST_F(ConfigTest, WrongGetterIsAProgrammingError) {
  Config c(daemon_schema());
  EXPECT_THROW(c.get_int("fifo.path"), std::logic_error);
  EXPECT_THROW(c.get_string("fifo.nope"), std::logic_error);
  EXPECT_THROW(c.get_bool("core.workers_min"), std::logic_error);
}

TEST_F(ConfigTest, ModuleSectionsKeepTextAndOriginAndSetOverridesThem) {
  std::string path = write("mod.conf",
                           "[modules]\n"
                           "path = /a:/b\n"
                           "load = example.so, hello\n"
                           "[module.example]\n"
                           "greeting = Hi there\n"
                           "max_delay_ms = abc\n");
  Config c = load_daemon_config(path, {"module.example.greeting=Yo", "module.other.level=3"});
  EXPECT_EQ(c.get_string("modules.load"), "example.so, hello");
  EXPECT_EQ(c.origin("modules.load"), path + ":3");
  const ModuleParams& p = c.module_params();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p.at("example").at("greeting").value, "Yo");
  EXPECT_EQ(p.at("example").at("greeting").origin, "--set module.example.greeting=Yo");
  // values are checked by the module's declarations when it loads, not here
  EXPECT_EQ(p.at("example").at("max_delay_ms").value, "abc");
  EXPECT_EQ(p.at("example").at("max_delay_ms").origin, path + ":6");
  EXPECT_EQ(p.at("other").at("level").value, "3");
}

TEST_F(ConfigTest, ModuleSectionErrors) {
  EXPECT_TRUE(Contains(load_error("a.conf", "[modul]\npath = /x\n"),
                       "a.conf:1: unknown section [modul] (did you mean '[modules]'?)"));
  EXPECT_TRUE(Contains(load_error("b.conf", "[module.]\nx = 1\n"), "b.conf:1: unknown section [module.]"));
  EXPECT_TRUE(Contains(load_error("c.conf", "[module.a-b]\nx = 1\n"), "unknown section [module.a-b]"));
  EXPECT_TRUE(Contains(load_error("d.conf", "[module.ok]\nbad-key = 1\n"),
                       "d.conf:2: bad module parameter name 'bad-key' in [module.ok]"));
  EXPECT_TRUE(Contains(load_error("e.conf", "", {"module.example=1"}),
                       "--set module.example=1: 'module.example' is not module.<name>.<key>"));
  EXPECT_TRUE(Contains(load_error("f.conf", "[modules]\nlaod = x\n"),
                       "unknown key 'modules.laod' (did you mean 'modules.load'?)"));
}

TEST(ConfigSchema, ReferenceListsEveryKey) {
  std::string ref = config_reference(daemon_schema());
  for (const KeySpec* key : daemon_schema().keys()) {
    const KeySpec& spec = *key;
    EXPECT_TRUE(Contains(ref, spec.name())) << spec.name();
    EXPECT_FALSE(spec.help.empty()) << spec.name();
  }
  EXPECT_TRUE(Contains(ref, "core.workers_min = 2  [1..256]"));
  EXPECT_TRUE(Contains(ref, "fifo.mode = 0660"));
}

TEST(ConfigShipped, LoadsCleanlyAndDocumentsEveryKeyAtItsDefault) {
  const std::string path = SB_GOLDEN_DIR "/../../conf/switchboard.conf";
  Config shipped(daemon_schema());
  ASSERT_NO_THROW(shipped = load_daemon_config(path, {}));
  Config defaults(daemon_schema());
  for (const KeySpec* key : daemon_schema().keys()) {
    const KeySpec& spec = *key;
    SCOPED_TRACE(spec.name());
    // Every key is written out (not left to the compiled-in default)…
    EXPECT_NE(shipped.origin(spec.name()), "default");
    // …with the documented default value.
    switch (spec.type) {
      case KeyType::integer:
        EXPECT_EQ(shipped.get_int(spec.name()), defaults.get_int(spec.name()));
        break;
      case KeyType::boolean:
        EXPECT_EQ(shipped.get_bool(spec.name()), defaults.get_bool(spec.name()));
        break;
      case KeyType::file_mode:
        EXPECT_EQ(shipped.get_mode(spec.name()), defaults.get_mode(spec.name()));
        break;
      case KeyType::string:
      case KeyType::log_level:
        if (spec.path && !spec.default_value.empty() && spec.default_value.front() != '/') {
          // A relative path in the file is relative to conf/: it names the same file as the
          // built-in default does from the repository root (where scripts/run.sh starts it).
          namespace fs = std::filesystem;
          const fs::path conf_dir = fs::path(path).parent_path();
          EXPECT_EQ(fs::weakly_canonical(shipped.get_string(spec.name())),
                    fs::weakly_canonical(conf_dir / ".." / std::string(spec.default_value)));
        } else {
          EXPECT_EQ(shipped.get_string(spec.name()), defaults.get_string(spec.name()));
        }
        break;
    }
  }
}

TEST(ConfigPaths, RelativePathsInAFileAreRelativeToItsDirectory) {
  char tmpl[] = "/tmp/sb_config_paths_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string file = dir + "/sb.conf";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[core]\ndb = ./var/sb.db\nlog_file = logs/sb.log\npid_file = /run/sb.pid\n"
               "[fifo]\npath = run/fifo\n", f);
    std::fclose(f);
  }
  Config c = load_daemon_config(file, {"datagram.unix=rel.sock"});
  EXPECT_EQ(c.get_string("core.db"), dir + "/var/sb.db");
  EXPECT_EQ(c.get_string("core.log_file"), dir + "/logs/sb.log");
  EXPECT_EQ(c.get_string("core.pid_file"), "/run/sb.pid");           // absolute: as written
  EXPECT_EQ(c.get_string("fifo.path"), dir + "/run/fifo");
  EXPECT_EQ(c.get_string("datagram.unix"), "rel.sock");             // --set: the shell's cwd
  EXPECT_EQ(c.get_string("fifo.reply_dir"), "/tmp");                 // not a path key here
  std::filesystem::remove_all(dir);
}

TEST(ConfigSecrets, SensitiveValuesAreNeverEchoed) {
  for (const char* set : {"http.basic_auth=alice:S3CRETPW", "http.tokens=S3CRETPW",
                          "http.basic_auth=alice:S3CRETPW:root", "http.basic_auth=alice::admin"}) {
    std::string err;
    try {
      load_daemon_config("", {set});
    } catch (const ConfigError& e) {
      err = e.what();
    }
    ASSERT_FALSE(err.empty()) << set;
    EXPECT_EQ(err.find("S3CRETPW"), std::string::npos) << err;
    EXPECT_NE(err.find(std::string(set).substr(0, std::string(set).find('='))), std::string::npos) << err;
  }
  EXPECT_TRUE(daemon_schema().is_sensitive("http.tokens"));
  EXPECT_TRUE(daemon_schema().is_sensitive("monitor.password"));
  EXPECT_FALSE(daemon_schema().is_sensitive("http.listen"));
  const std::vector<std::string> argv = {"switchboard", "--set", "http.tokens=T0K:admin",
                                         "--set=monitor.password=pw", "--set", "http.threads=2",
                                         "--set", "module.example.api_key=K", "--set",
                                         "module.example.greeting=Hi"};
  auto secret = [](std::string_view m, std::string_view k, const void*) {
    return m == "example" && k == "api_key";
  };
  EXPECT_EQ(mask_command_line(daemon_schema(), argv, secret, nullptr),
            (std::vector<std::string>{"switchboard", "--set", "http.tokens=***",
                                      "--set=monitor.password=***", "--set", "http.threads=2",
                                      "--set", "module.example.api_key=***", "--set",
                                      "module.example.greeting=Hi"}));
}

}  // namespace
}  // namespace sb::gateway

namespace sb::gateway {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// conf/switchboard.conf is generated from the components' key declarations: regenerate it
// with `build/bin/switchboard --print-config > conf/switchboard.conf` (scripts/gen-conf.sh).
TEST(ConfigGenerated, TheCommittedConfFileIsTheGeneratedOne) {
  const std::string committed = read_file(SB_GOLDEN_DIR "/../../conf/switchboard.conf");
  const std::string generated = render_config_file(daemon_schema());
  ASSERT_FALSE(committed.empty());
  if (committed == generated) return;
  std::istringstream a(committed), b(generated);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    ASSERT_EQ(la, lb) << "conf/switchboard.conf differs from the declarations at line " << line
                      << "; run scripts/gen-conf.sh";
  }
  FAIL() << "conf/switchboard.conf differs from the declarations (line ends); run scripts/gen-conf.sh";
}

// The installed configuration (the .deb's): other values written in place of the shipped
// ones, every other line as in conf/switchboard.conf; an undeclared key is refused.
TEST(ConfigGenerated, GivenValuesReplaceTheShippedOnes) {
  const std::string shipped = render_config_file(daemon_schema());
  const std::string installed = render_config_file(
      daemon_schema(), {{"core.db", "/var/lib/switchboard/switchboard.db"}, {"fifo.reply_dir", "/run/switchboard"}});
  EXPECT_NE(installed.find("\ndb = /var/lib/switchboard/switchboard.db\n"), std::string::npos);
  EXPECT_NE(installed.find("\nreply_dir = /run/switchboard\n"), std::string::npos);
  EXPECT_NE(shipped.find("\ndb = ../var/switchboard.db\n"), std::string::npos);
  EXPECT_EQ(installed.find("\ndb = ../var/switchboard.db\n"), std::string::npos);
  // Only those two lines differ.
  std::istringstream a(shipped), b(installed);
  std::string la, lb;
  int differing = 0;
  while (std::getline(a, la) && std::getline(b, lb)) differing += la != lb;
  EXPECT_EQ(differing, 2);
  EXPECT_THROW(render_config_file(daemon_schema(), {{"core.nosuchkey", "1"}}), std::invalid_argument);
  EXPECT_THROW(render_config_file(daemon_schema(), {{"nodot", "1"}}), std::invalid_argument);
}

// Every key is documented: a one-line help for --help, and (unless it shares the previous
// key's comment) a paragraph in the conf file whose "Default:" matches the declared default.
TEST(ConfigGenerated, EveryKeyIsDocumentedWithItsRealDefault) {
  const KeySpec* previous = nullptr;
  for (const KeySpec* k : daemon_schema().keys()) {
    SCOPED_TRACE(k->name());
    EXPECT_FALSE(k->help.empty());
    EXPECT_TRUE(!k->doc.empty() || (previous && previous->section == k->section));
    previous = k;
    std::string_view doc = k->doc;
    auto at = doc.rfind("Default: ");
    if (at == std::string_view::npos) continue;
    std::string_view stated = doc.substr(at + 9);
    std::string expected = k->default_value.empty() ? "empty" : std::string(k->default_value);
    if (k->type == KeyType::boolean && stated.substr(0, 3) == "off") expected = "off";
    EXPECT_EQ(stated.substr(0, expected.size()), expected) << "doc says Default: " << stated;
  }
}

}  // namespace
}  // namespace sb::gateway
