// monitor_conversation_test.cpp: the monitor's pieces without sockets — the letter table and its
// recogniser, the telnet line decoder (any chunking), and the Conversation's requests, prompts,
// numbering and login handling, fed with the results the real commands return.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mi/render/text.h"
#include "transports/monitor/conversation.h"
#include "transports/monitor/letters.h"
#include "transports/monitor/telnet_input.h"

namespace sb::transports::monitor {
namespace {

using Kind = TelnetInput::Event::Kind;

// ---- letters ---------------------------------------------------------------------------------

TEST(MonitorLetters, RecognisesEachKindOfRow) {
  struct Case {
    const char* line;
    const char* letters;
    std::optional<std::string> number;
  };
  const Case cases[] = {
      {"u", "u", {}},         {"bl3", "bl", "3"},     {"bl 3", "bl", "3"},   {"bl", "bl", {}},
      {"cc5", "cc", "5"},     {"cc 17", "cc", "17"},  {"ccd", "ccd", {}},    {"fin2", "fin", "2"},
      {"finp2", "finp", "2"}, {"Rr12", "Rr", "12"},   {"R", "R", {}},        {"r", "r", {}},
      {"V", "V", {}},         {"v", "v", {}},         {"bert9", "bert", {}}, {"sbert", "sbert", {}},
      {"at+cops?", "at", {}}, {"ev_mcid:3", "ev_mcid:", {}}, {"rgp4", "rgp", "4"},
      {"lih7", "lih", "7"},   {"itp1", "itp", "1"},   {"sl35", "sl", "35"},  {"ts", "ts", {}},
      {"t", "t", {}},         {"torture_gsm", "torture_gsm", {}},        {"verbose", "verbose", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    auto t = recognise(c.line);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->letter->letters, c.letters);
    EXPECT_EQ(t->number, c.number);
  }
  auto words = recognise("dts 0301234  555");
  ASSERT_TRUE(words);
  EXPECT_EQ(words->letter->letters, "dts");
  EXPECT_EQ(words->words, (std::vector<std::string>{"0301234", "555"}));
  for (const char* unknown : {"", "zzz", "bl3x", "uu", "U", "dtsx", "loginx", "Rrx", "x1"})
    EXPECT_FALSE(recognise(unknown)) << unknown;
}

TEST(MonitorLetters, TheTableIsComplete) {
  std::set<std::string_view> seen;
  for (const Letter& l : letters()) {
    SCOPED_TRACE(std::string(l.letters) + "|" + std::string(l.shown));
    if (l.match != Match::never) {
      EXPECT_TRUE(seen.insert(l.letters).second) << "duplicate";
    }
    EXPECT_TRUE(l.action != Action::mi || !l.command.empty());
    EXPECT_TRUE(l.action != Action::unsupported || !l.detail.empty());
    EXPECT_TRUE(l.shown.empty() || !l.description.empty());
    // Every row that matches input can be typed and comes back as itself.
    if (l.match == Match::exact || l.match == Match::words || l.match == Match::prefix) {
      auto t = recognise(l.letters);
      ASSERT_TRUE(t);
      EXPECT_EQ(t->letter, &l);
    }
  }
  // Every berofix letter of the spec is there.
  for (const char* letters : {"h", "i", "r", "l", "k", "R", "Rr", "c", "v", "m", "V", "ld0", "ld1",
                              "lm0", "lm1", "pr", "x", "n", "t", "ts", "d", "cc", "dc", "ndc",
                              "verbose", "u", "bl", "rd", "rs", "bc", "ss", "sr", "ssp", "ccd",
                              "itp", "pcm", "ltdm", "fc", "ll", "lla", "lld", "lcpt", "rcpt", "sns",
                              "rns", "lih", "dti", "dts", "dta", "dtg", "lpg", "g", "gi", "rgc",
                              "rgp", "sl", "fin", "finp", "dbg", "q"})
    EXPECT_TRUE(seen.count(letters)) << letters;
  std::string overview = overview_text();
  EXPECT_TRUE(overview.starts_with("ISGW Status Monitor\n"));
  EXPECT_NE(overview.find("\nsns\t:numplan statistics [get_statistics dialplan:]\n"), std::string::npos);
  EXPECT_NE(overview.find("\nbc\t:list bchannel objects (not supported: no ISDN hardware)\n"),
            std::string::npos);
}

// ---- telnet input ----------------------------------------------------------------------------

std::vector<TelnetInput::Event> feed_in_chunks(std::string_view bytes, std::size_t chunk,
                                               std::size_t max_line, std::string* replies) {
  TelnetInput in(max_line);
  std::vector<TelnetInput::Event> events;
  std::string r;
  for (std::size_t off = 0; off < bytes.size(); off += chunk) in.feed(bytes.substr(off, chunk), events, r);
  if (replies) *replies = r;
  return events;
}

TEST(MonitorTelnetInput, LinesAndTelnetCommandsWhateverTheChunking) {
  const char raw[] =
      "u\r\n"                      // CR LF
      "V\n"                        // LF
      "R\r"                        // lone CR ...
      "h\r\0"                      // ... and CR NUL
      "\xff\xfd\x01"               // IAC DO ECHO → WONT ECHO
      "a\xff\xff" "b\n"            // IAC IAC: a data byte 255
      "\xff\xfa\x18\x01\xff\xf0"   // subnegotiation: dropped
      "\xff\xfb\x1f"               // IAC WILL NAWS → DONT NAWS
      "\xff\xfc\x01"               // IAC WONT ECHO: no answer
      "q\xff\xf1\r\n"              // IAC NOP inside a line
      "partial";
  std::string_view bytes(raw, sizeof raw - 1);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    SCOPED_TRACE(chunk);
    std::string replies;
    auto events = feed_in_chunks(bytes, chunk, 64, &replies);
    std::vector<std::string> lines;
    for (const auto& e : events) {
      EXPECT_EQ(e.kind, Kind::line);
      lines.push_back(e.text);
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"u", "V", "R", "h", "a\xff" "b", "q"}));
    EXPECT_EQ(replies, std::string("\xff\xfc\x01\xff\xfe\x1f"));
  }
}

TEST(MonitorTelnetInput, OverlongLinesAreDroppedAndReportedOnce) {
  std::string bytes = std::string(100, 'x') + "\r\n" + std::string(8, 'y') + "\n";
  for (std::size_t chunk : {1u, 5u, 1000u}) {
    TelnetInput in(8);
    std::vector<TelnetInput::Event> events;
    std::string replies;
    for (std::size_t off = 0; off < bytes.size(); off += chunk) {
      in.feed(std::string_view(bytes).substr(off, chunk), events, replies);
      EXPECT_LE(in.pending(), 8u);
    }
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, Kind::overlong);
    EXPECT_EQ(events[1].kind, Kind::line);
    EXPECT_EQ(events[1].text, std::string(8, 'y'));  // exactly max_line is allowed
  }
}

// ---- conversation ----------------------------------------------------------------------------

Conversation admin() { return Conversation({"127.0.0.1:4000", mi::Role::admin, "", {}, 3, nullptr}); }

/// The request a Step makes, as "method p1 p2".
std::string request_text(const Conversation::Step& s) {
  if (!s.call) return "(no call)";
  std::string out = s.call->method;
  for (const auto& p : s.call->params) out += " " + p.get<std::string>();
  return out;
}

TEST(MonitorConversation, LettersBecomeRequestsWithTheCallersRole) {
  Conversation c = admin();
  EXPECT_EQ(request_text(c.on_line("  bl3 ")), "port_block 3");
  auto s = c.on_line("k");
  EXPECT_EQ(request_text(s), "call_list compact");
  EXPECT_EQ(s.call->caller.transport, "monitor");
  EXPECT_EQ(s.call->caller.peer, "127.0.0.1:4000");
  EXPECT_EQ(s.call->caller.role, mi::Role::admin);
  EXPECT_EQ(c.on_result(mi::Value("OK")).output, "OK\n> ");
  EXPECT_EQ(request_text(c.on_line("sns")), "get_statistics dialplan:");
  EXPECT_EQ(c.on_result(mi::Error::unknown_command("x")).output, "500 command 'x' not available\n> ");
  EXPECT_EQ(request_text(c.on_line("ssp")), "call_stats per_port");
  auto err = c.on_result(mi::Error::failure(404, "Port not found", "no port 9"));
  EXPECT_EQ(err.output, "404 Port not found\nno port 9\n> ");
  EXPECT_EQ(request_text(c.on_line("dts 123")), "dp_translate any 123");
}

TEST(MonitorConversation, DialplanPromptsAskNumberCallerAndSource) {
  Conversation c = admin();
  auto s = c.on_line("dta");
  EXPECT_FALSE(s.call);
  EXPECT_EQ(s.output, "dta: called number (empty line: cancel): ");
  EXPECT_EQ(c.on_line("0301234").output, "dta: caller number (empty: none): ");
  EXPECT_EQ(c.on_line("555").output,
            "dta: source [group:analog] (any, account:NAME, subscriber:USER, group:NAME, port:N): ");
  EXPECT_EQ(request_text(c.on_line("")), "dp_translate group:analog 0301234 555");
  c.on_result(mi::Value("OK"));
  c.on_line("dti");
  c.on_line("0301234");
  c.on_line("");
  EXPECT_EQ(request_text(c.on_line("port:3")), "dp_translate port:3 0301234");
}

TEST(MonitorConversation, RegistrationListingIsNumberedAndKeptForRr) {
  Conversation c = admin();
  EXPECT_EQ(request_text(c.on_line("R")), "ul_dump");
  // ul_dump's shape (gateway/usrloc/usrloc_commands.cpp).
  mi::Value dump = mi::Value::parse(R"({"Domains":[{"name":"location","hash_size":1,"AORs":[
      {"AOR":"a@x","Contacts":[{"Contact":"sip:a1@h","Expires":30,"Q":"0.5"},
                               {"Contact":"sip:a2@h","Expires":"permanent","Q":""}]},
      {"AOR":"b@x","Contacts":[{"Contact":"sip:b@h","Expires":60,"User-agent":"baresip"}]}]}]})");
  EXPECT_EQ(c.on_result(dump).output,
            "incoming registrations: 3 (RrX releases entry X)\n"
            "1\ta@x\tsip:a1@h\texpires 30\tq 0.5\n"
            "2\ta@x\tsip:a2@h\texpires permanent\n"
            "3\tb@x\tsip:b@h\texpires 60\tbaresip\n> ");
  EXPECT_EQ(request_text(c.on_line("Rr3")), "ul_rm_contact location b@x sip:b@h");
  EXPECT_EQ(c.on_result(mi::Value("OK")).output, "released entry 3: b@x sip:b@h\n> ");
  EXPECT_EQ(request_text(c.on_line("Rr2")), "ul_rm_contact location a@x sip:a2@h");
  EXPECT_EQ(c.on_result(mi::Error::failure(404, "Contact not found")).output,
            "404 Contact not found\n> ");
  EXPECT_EQ(c.on_line("Rr99999999999999999999999").output,
            "Rr99999999999999999999999: no entry 99999999999999999999999 in the last R listing (1..3)\n> ");
}

TEST(MonitorConversation, RrSendsTheContactAsRegisteredNotAsPrinted) {
  // A contact with a backslash and a control byte is printed escaped, once, and released with
  // its real bytes (ul_rm_contact compares them exactly).
  Conversation c = admin();
  c.on_line("R");
  mi::Value dump = {{"Domains", mi::Value::array({{{"name", "location"}, {"hash_size", 1},
      {"AORs", mi::Value::array({{{"AOR", "a@x"},
          {"Contacts", mi::Value::array({{{"Contact", "sip:a\\b\x01@h"}, {"Expires", 30}, {"Q", ""}}})}}})}}})}};
  std::string listing = c.on_result(dump).output;
  EXPECT_NE(listing.find("1\ta@x\t" + mi::escape_text_value("sip:a\\b\x01@h") + "\texpires 30\n"),
            std::string::npos) << listing;
  auto step = c.on_line("Rr1");
  ASSERT_TRUE(step.call);
  EXPECT_EQ(step.call->params[2], "sip:a\\b\x01@h");
  EXPECT_EQ(c.on_result(mi::Value("OK")).output,
            "released entry 1: a@x " + mi::escape_text_value("sip:a\\b\x01@h") + "\n> ");
}

TEST(MonitorConversation, DbgReadsTheLevelThenFlipsIt) {
  Conversation c = admin();
  EXPECT_EQ(request_text(c.on_line("dbg")), "log_level");
  EXPECT_EQ(request_text(c.on_result(mi::Value{{"Log level", "debug"}})), "log_level info");
  EXPECT_EQ(c.on_result(mi::Value{{"New global log level", "info"}}).output,
            "New global log level:: info\n> ");
  c.on_line("dbg");
  EXPECT_EQ(request_text(c.on_result(mi::Value{{"Log level", "warn"}})), "log_level debug");
}

TEST(MonitorConversation, LoginGrantsAdminAndWrongPasswordsAreDelayedThenClose) {
  mi::Statistics stats;
  mi::Stat& failures = stats.counter("monitor", "auth_failures");
  Conversation c({"10.0.0.1:5000", mi::Role::read_only, "pw", std::chrono::milliseconds(1000), 2,
                  &failures});
  EXPECT_EQ(c.on_line("v").call->caller.role, mi::Role::read_only);
  EXPECT_EQ(c.on_result(mi::Error::forbidden("'log_level' changes state; this caller is read-only")).output,
            "403 Forbidden\n'log_level' changes state; this caller is read-only\n"
            "this connection is read-only: `login <password>` gives the admin role\n> ");
  auto wrong = c.on_line("login pW");
  EXPECT_EQ(wrong.delay, std::chrono::milliseconds(1000));
  EXPECT_FALSE(wrong.close);
  EXPECT_EQ(wrong.output, "login failed: wrong password\n> ");
  EXPECT_EQ(c.on_line("login pw").output, "logged in: admin role\n> ");
  EXPECT_EQ(c.role(), mi::Role::admin);
  EXPECT_EQ(c.on_line("v").call->caller.role, mi::Role::admin);
  c.on_result(mi::Value("OK"));
  c.on_line("login x");
  auto last = c.on_line("login y");
  EXPECT_TRUE(last.close);
  EXPECT_EQ(last.output, "login failed: wrong password; 2 failures, closing\n");
  EXPECT_EQ(failures.get(), 3);
}

}  // namespace
}  // namespace sb::transports::monitor
