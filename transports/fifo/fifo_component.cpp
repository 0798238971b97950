// fifo_component.cpp: the [fifo] configuration keys, documented as conf/switchboard.conf shows
// them (that file is generated from these declarations), and the FifoComponent.
#include "transports/fifo/fifo_component.h"

#include <fmt/format.h>

#include "transports/net/config_checks.h"

namespace sb::transports {

namespace {

using gateway::ConfigSection;
using gateway::KeyType;

std::string absolute_path(std::string_view v) {
  if (v.empty() || v.front() != '/') return fmt::format("'{}' is not an absolute path", v);
  return {};
}

// clang-format off
const ConfigSection kFifoSection = {
    .name = "fifo",
    .keys = {
     {.section = "fifo", .key = "path", .type = KeyType::string, .default_value = "./var/run/switchboard_fifo",
      .help = "Path of the management FIFO (its directory is created 0750); empty = no FIFO.",
      .path = true, .shipped = "../var/run/switchboard_fifo",
      .doc = "Path of the management FIFO (SER/OpenSIPS text dialect and OpenSIPS-3 JSON dialect). It is\n"
             "created at start-up (a stale FIFO is replaced; any other kind of file at this path is an\n"
             "error), re-created if deleted, and removed at shutdown. Empty: no FIFO.\n"
             "Security: the default lives in a private run directory (created 0750 when missing), not in\n"
             "/tmp, where another user could create the path first. Under systemd use\n"
             "/run/switchboard/switchboard_fifo. Relative: to this file's directory, so the default below is\n"
             "<repository>/var/run/switchboard_fifo (scripts/sbctl looks there).\n"
             "Default: ./var/run/switchboard_fifo."},
     {.section = "fifo", .key = "mode", .type = KeyType::file_mode, .default_value = "0660",
      .help = "Octal permissions of the FIFO (anyone who can write it can run every command).",
      .max = 0777,
      .doc = "Octal permissions of the FIFO (at most 0777; the umask does not apply). Security: anyone who\n"
             "can write to the FIFO can run every management command, including `kill`, so do not grant\n"
             "write access to \"other\". Default: 0660 (owner and group only)."},
     {.section = "fifo", .key = "user", .type = KeyType::string, .default_value = "",
      .help = "Owner (user name) of the FIFO; empty = the daemon's user.",
      .doc = "Owner of the FIFO (a user name). Empty: the user the daemon runs as. Changing it requires the\n"
             "daemon to run as root. Default: empty."},
     {.section = "fifo", .key = "group", .type = KeyType::string, .default_value = "",
      .help = "Group (name) of the FIFO; empty = the daemon's group.",
      .doc = "Group of the FIFO (a group name); combine with mode 0660 to let one group of operators use it.\n"
             "Empty: the daemon's group. Default: empty."},
     {.section = "fifo", .key = "reply_dir", .type = KeyType::string, .default_value = "/tmp",
      .help = "Absolute directory where clients create their reply FIFOs.",
      .check = absolute_path,
      .doc = "Absolute directory where clients create their reply FIFOs; a request names only a plain file\n"
             "inside it (no `/`, no `..`). Security: a reply is written only to an existing FIFO that is not\n"
             "a symbolic link and is owned by the daemon's user or by a member of the FIFO's group (the\n"
             "users whose writes the FIFO's mode lets in); a root-owned FIFO is refused unless the daemon\n"
             "runs as root (its reader would be some root process, not a client). Prefer a directory writable only by the\n"
             "operators' group over the shared /tmp. Default: /tmp."},
     {.section = "fifo", .key = "max_request", .type = KeyType::integer, .default_value = "65536",
      .help = "Largest request in bytes; larger ones are answered with 400.",
      .min = 512, .max = 16'777'216,
      .doc = "Largest request accepted, in bytes (512..16777216). A larger request is discarded and, if its\n"
             "reply name could be read, answered with 400. Default: 65536 (64 KiB)."},
     {.section = "fifo", .key = "reply_timeout_ms", .type = KeyType::integer, .default_value = "2000",
      .help = "Milliseconds allowed for writing one reply to a client's FIFO.",
      .min = 10, .max = 600'000,
      .doc = "Milliseconds allowed to write one reply into a client's reply FIFO (10..600000), so that a\n"
             "client that never reads cannot hold a writer thread. Default: 2000."},
     {.section = "fifo", .key = "request_timeout_ms", .type = KeyType::integer, .default_value = "5000",
      .help = "Milliseconds an incomplete request may wait for its end before it is dropped (400).",
      .min = 100, .max = 600'000,
      .doc = "Milliseconds a request may take from its first byte to its end (100..600000): the FIFO is one\n"
             "stream shared by every writer, so a request that never gets its terminating empty line (or a\n"
             "t_uac_dlg body without its closing `.`) would hold up every later one. The deadline is\n"
             "ABSOLUTE: a writer trickling one byte at a time does not extend it. After it the request is\n"
             "dropped and, if its reply name could be read, answered with 400. A JSON request whose bytes\n"
             "stop being JSON (another writer's request appended to a truncated one) is answered at once\n"
             "(-32700) and reading goes on at the next request header, without waiting. Default: 5000."},
    },
};
// clang-format on

}  // namespace

FifoConfig fifo_config(const gateway::Config& cfg) {
  FifoConfig f;
  f.path = cfg.get_string("fifo.path");
  f.mode = cfg.get_mode("fifo.mode");
  f.user = cfg.get_string("fifo.user");
  f.group = cfg.get_string("fifo.group");
  f.reply_dir = cfg.get_string("fifo.reply_dir");
  f.max_request = static_cast<std::size_t>(cfg.get_int("fifo.max_request"));
  f.reply_timeout = std::chrono::milliseconds(cfg.get_int("fifo.reply_timeout_ms"));
  f.request_timeout = std::chrono::milliseconds(cfg.get_int("fifo.request_timeout_ms"));
  return f;
}

void FifoComponent::declare(gateway::ConfigSchema& schema) const { schema.add(kFifoSection); }

std::string FifoComponent::describe() const { return "FIFO: " + (server_ ? server_->config().path : std::string("disabled")); }

}  // namespace sb::transports
