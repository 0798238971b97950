// datagram_component.cpp: the [datagram] configuration keys, documented as conf/switchboard.conf shows
// them (that file is generated from these declarations), and the DatagramComponent.
#include "transports/datagram/datagram_component.h"

#include <fmt/format.h>

#include "transports/net/config_checks.h"

namespace sb::transports {

namespace {

using gateway::ConfigSection;
using gateway::KeyType;

// clang-format off
const ConfigSection kDatagramSection = {
    .name = "datagram",
    .keys = {
     {.section = "datagram", .key = "unix", .type = KeyType::string, .default_value = "./var/run/switchboard.sock",
      .help = "Path of the unix datagram socket (its directory is created 0750); empty = none.",
      .path = true, .shipped = "../var/run/switchboard.sock",
      .doc = "Path of the unix datagram (SOCK_DGRAM) socket. One datagram is one request, in the SER text\n"
             "dialect (`:cmd:` line + params) or bare JSON-RPC; the reply goes back to the sender's address,\n"
             "so a client binds its own socket path. In the private run directory, like the FIFO (created\n"
             "0750 when missing; relative to this file). Empty: no unix socket.\n"
             "Default: ./var/run/switchboard.sock."},
     {.section = "datagram", .key = "unix_mode", .type = KeyType::file_mode, .default_value = "0660",
      .help = "Octal permissions of the unix socket (anyone who can write it can run every "
              "command).",
      .max = 0777,
      .doc = "Octal permissions of the unix socket. Security: anyone who can write to it can run every\n"
             "management command (it is trusted by its permissions, like the FIFO). Default: 0660."},
     {.section = "datagram", .key = "udp", .type = KeyType::string, .default_value = "",
      .help = "UDP host:port for datagram requests (e.g. 127.0.0.1:8094); empty = none (the "
              "default: any local process can send UDP).",
      .check = check_host_port,
      .doc = "UDP address for datagram requests, host:port (IPv4, or [IPv6]:port), e.g. 127.0.0.1:8094.\n"
             "Security: UDP has no authentication and any local process can send to a loopback port, so it\n"
             "is off by default, its requests get udp_role, and a non-loopback address is refused unless\n"
             "udp_allow_remote is on (a 12-byte `which` gets a reply of kilobytes: a reflection amplifier).\n"
             "Empty: no UDP. Default: empty."},
     {.section = "datagram", .key = "udp_role", .type = KeyType::string, .default_value = "read_only",
      .help = "Role of every UDP request (no authentication on datagrams): "
              "read_only|operator|admin.",
      .check = check_role,
      .doc = "Role of every UDP request: read_only, operator or admin. Default: read_only."},
     {.section = "datagram", .key = "udp_allow_remote", .type = KeyType::boolean, .default_value = "off",
      .help = "Allow datagram.udp on a non-loopback address (refused otherwise: no authentication, "
              "and a small request can get a large reply).",
      .doc = "Allow a non-loopback datagram.udp address (only on a trusted network). Default: off."},
     {.section = "datagram", .key = "workers", .type = KeyType::integer, .default_value = "4",
      .help = "Receiving threads per datagram socket.",
      .min = 1, .max = 64,
      .doc = "Receiving threads per datagram socket (1..64); requests do not wait on each other.\n"
             "Default: 4."},
     {.section = "datagram", .key = "max_size", .type = KeyType::integer, .default_value = "65457",
      .help = "Largest request and reply datagram in bytes; larger replies get a 413 answer.",
      .min = 1024, .max = 65507,
      .doc = "Largest request and reply datagram in bytes (1024..65507). A reply that does not fit is\n"
             "answered with `413 Reply too large` (JSON: error code 413), never with silence. Default: 65457."},
    },
};
// clang-format on

}  // namespace

DatagramConfig datagram_config(const gateway::Config& cfg) {
  DatagramConfig d;
  d.unix_path = cfg.get_string("datagram.unix");
  d.unix_mode = cfg.get_mode("datagram.unix_mode");
  d.udp = cfg.get_string("datagram.udp");
  d.udp_role = role_of(cfg.get_string("datagram.udp_role"));
  d.udp_allow_remote = cfg.get_bool("datagram.udp_allow_remote");
  d.workers = static_cast<std::size_t>(cfg.get_int("datagram.workers"));
  d.max_size = static_cast<std::size_t>(cfg.get_int("datagram.max_size"));
  return d;
}

void DatagramComponent::declare(gateway::ConfigSchema& schema) const { schema.add(kDatagramSection); }

std::string DatagramComponent::describe() const { return std::string("datagram: ") + (server_ ? "on" : "disabled"); }

}  // namespace sb::transports
