// faulty.cpp: module `faulty`, written in C++ against the C header: every way a handler can
// misbehave without crashing (throw, no reply, bad status, invalid trees, bad error codes, a
// second completion), plus well-behaved commands returning every value type, and an init hook
// that fails on request (`fail_init = 1`). Each misbehaviour must become a 500 for that call.
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "module_abi.h"

namespace {

std::int64_t fail_init = 0;

int throws(const sb_args*, sb_reply*) { throw std::runtime_error("faulty handler exploded"); }
int no_reply(const sb_args*, sb_reply*) { return SB_OK; }
int bad_status(const sb_args*, sb_reply* r) {
  sb_reply_string(r, "fine");
  return 7;
}
int member_in_array(const sb_args*, sb_reply* r) {
  sb_add_int(sb_reply_array(r), "key", 1);
  return SB_OK;
}
int item_in_object(const sb_args*, sb_reply* r) {
  sb_add_int(sb_reply_object(r), nullptr, 1);
  return SB_OK;
}
int bad_utf8(const sb_args*, sb_reply* r) { return sb_reply_string(r, "caf\xc3 \xff"); }
int bad_code(const sb_args*, sb_reply* r) { return sb_reply_error(r, 200, "not an error"); }
int root_twice(const sb_args*, sb_reply* r) {
  sb_reply_int(r, 1);
  sb_reply_int(r, 2);
  return SB_OK;
}
int dup_key(const sb_args*, sb_reply* r) {
  sb_node* o = sb_reply_object(r);
  sb_add_int(o, "a", 1);
  sb_add_int(o, "a", 2);
  return SB_OK;
}
int error_after_partial(const sb_args*, sb_reply* r) {
  sb_add_string(sb_reply_object(r), "half", "built");
  return sb_reply_error(r, 404, "AOR not found");
}
int all_types(const sb_args* a, sb_reply* r) {
  std::int64_t n = 0;
  double d = 0;
  int b = 0;
  sb_node* o = sb_reply_object(r);
  sb_add_string(o, "text", sb_arg_string(a, "text"));
  sb_add_int(o, "int", sb_arg_int(a, "n", &n) == SB_OK ? n : -1);
  sb_add_double(o, "double", sb_arg_double(a, "d", &d) == SB_OK ? d : -1);
  sb_add_bool(o, "bool", sb_arg_bool(a, "b", &b) == SB_OK ? b : 0);
  sb_add_null(o, "null");
  sb_node* items = sb_add_array(o, "items");
  for (std::size_t i = 0; i < sb_arg_array_size(a, "items"); ++i)
    sb_add_string(items, nullptr, sb_arg_array_item(a, "items", i));
  sb_add_int(sb_add_object(o, "nested"), "wrong_type", sb_arg_int(a, "text", &n));
  return SB_OK;
}
void complete_twice(const sb_args*, sb_async* call) {
  sb_reply_string(sb_async_reply(call), "first");
  sb_async_complete(call);
  sb_async_complete(call);  // refused and logged, not a crash
}
void async_no_reply(const sb_args*, sb_async* call) {
  std::thread([call] { sb_async_complete(call); }).detach();
}

int init(char* err, std::size_t size) {
  if (!fail_init) return 0;
  std::snprintf(err, size, "asked to fail by fail_init");
  return 1;
}

const sb_arg_export kAllTypesArgs[] = {{"text", SB_ARG_STRING, 0, nullptr, "a string"},
                                       {"n", SB_ARG_INT, 1, "7", "an int (default 7)"},
                                       {"d", SB_ARG_DOUBLE, 1, "0.5", "a double"},
                                       {"b", SB_ARG_BOOL, 1, "yes", "a bool"},
                                       {"items", SB_ARG_ARRAY, 1, nullptr, "the rest"},
                                       {nullptr, 0, 0, nullptr, nullptr}};

#define SYNC(name, summary) \
  { #name, summary, name, nullptr, nullptr, SB_CMD_READ_ONLY, nullptr }
#define ASYNC(name, summary) \
  { #name, summary, nullptr, name, nullptr, SB_CMD_READ_ONLY, nullptr }
const sb_command_export kCommands[] = {
    SYNC(throws, "Throw a C++ exception"),
    SYNC(no_reply, "Return SB_OK without a reply"),
    SYNC(bad_status, "Return 7"),
    SYNC(member_in_array, "Add a keyed member to an array"),
    SYNC(item_in_object, "Add an item without key to an object"),
    SYNC(bad_utf8, "Reply with invalid UTF-8"),
    SYNC(bad_code, "Fail with code 200"),
    SYNC(root_twice, "Set the reply twice"),
    SYNC(dup_key, "Add a member twice"),
    SYNC(error_after_partial, "Build half a reply, then fail with 404"),
    {"all_types", "Echo every argument type", all_types, nullptr, kAllTypesArgs, SB_CMD_READ_ONLY,
     nullptr},
    ASYNC(complete_twice, "Complete an async call twice"),
    ASYNC(async_no_reply, "Complete an async call from a thread without a reply"),
    {nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr}};

const sb_param_export kParams[] = {
    {"fail_init", SB_PARAM_INT, "0", "1 = init fails", &fail_init, nullptr},
    {nullptr, 0, nullptr, nullptr, nullptr, nullptr}};

}  // namespace

// Built as an ABI 1.0 module (no secret_params, no reply_schemas): an old module still loads, and
// its commands get a reply schema that accepts anything (their replies are of every type).
SB_MODULE_EXPORTS = {.abi_major = SB_MODULE_ABI_MAJOR, .abi_minor = 0,
                     .struct_size = offsetof(sb_module, destroy) + sizeof(sb_module::destroy),
                     .name = "faulty", .version = "0.1", .summary = "Misbehaving handlers",
                     .params = kParams, .commands = kCommands, .init = init, .destroy = nullptr,
                     .secret_params = nullptr, .reply_schemas = nullptr};  // past struct_size: unread
