/* module_abi.h: the stable C ABI of Switchboard loadable modules (plain C99, also valid C++).
 *
 * Purpose: a module is a shared library (gcc -shared -fPIC) that includes only this header and
 * exports ONE symbol, `sb_module_exports` (declare it with SB_MODULE_EXPORTS), describing the
 * module: ABI version, name, version, init/destroy hooks, configuration parameters (the
 * OpenSIPS modparam equivalent, set from `[module.<name>]`) and MI commands. The daemon loads
 * it with dlopen(RTLD_NOW | RTLD_LOCAL) at start-up (`[modules] load = ...`), registers its
 * commands in the one Registry, and every transport serves them unchanged.
 * Handlers read their arguments and build their reply through the functions below, which the
 * daemon exports; they see only opaque handles (sb_args, sb_reply, sb_node, sb_async), never
 * C++ types. A reply is the same JSON-like tree and the same status codes as built-in commands.
 *
 * Versioning rule:
 *  - SB_MODULE_ABI_MAJOR changes on any incompatible change; the daemon refuses a module built
 *    for another major.
 *  - A minor version only ADDS: new functions, and new fields appended at the END of sb_module
 *    (never in the element structs sb_param_export / sb_command_export / sb_arg_export, which
 *    are frozen for a major). The daemon refuses a module built for a newer minor than its own,
 *    reads a descriptor field only when the module's `struct_size` covers it, and accepts older
 *    minors. `abi_major` and `abi_minor` stay the first two fields in every version.
 *
 * Threading: init, destroy and parameter setters run on the daemon's main thread before
 * (init, setters) or after (destroy) any command runs. Handlers run on MI worker threads,
 * possibly several at once: protect shared module state. An async call (sb_async) may be
 * completed from any thread; one sb_reply must be built by one thread at a time.
 * Lifetimes: an sb_args is valid only during the handler call (copy what an async job needs);
 * an sb_reply/sb_node of a sync call only during the call; an sb_async and its reply until
 * sb_async_complete() returns. Strings passed in are copied; strings handed out by the daemon
 * (argument values) live as long as their handle.
 */
#ifndef SB_MODULE_ABI_H
#define SB_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_MODULE_ABI_MAJOR 1
#define SB_MODULE_ABI_MINOR 3
/** The one symbol the daemon looks up in a module. */
#define SB_MODULE_EXPORTS_SYMBOL "sb_module_exports"

/* ---- status codes returned by the API functions (handlers return SB_OK) ------------------- */
enum {
  SB_OK = 0,         /* success */
  SB_EINVAL = -1,    /* misuse: NULL handle, key given for an array, invalid UTF-8, ... */
  SB_ENOENT = -2,    /* no such argument, or it was not given and has no default */
  SB_ETYPE = -3      /* the argument has another type */
};

/* ---- opaque handles ----------------------------------------------------------------------- */
typedef struct sb_args sb_args;    /* a call's validated, typed arguments */
typedef struct sb_reply sb_reply;  /* the reply being built: a value tree or an error */
typedef struct sb_node sb_node;    /* an object or array inside a reply */
typedef struct sb_async sb_async;  /* an async call, to complete later (exactly once) */

/* ---- module parameters ([module.<name>] key = value, or --set module.<name>.<key>=value) --- */
enum { SB_PARAM_STRING = 1, SB_PARAM_INT = 2 };

/** Optional setter (OpenSIPS USE_FUNC_PARAM): called once at start-up with the parameter's
 * effective value (configured, else the default): `text` as written, `number` its value for
 * SB_PARAM_INT (0 for strings). Return 0 to accept; non-zero refuses the value, and the daemon
 * stops with the message written into `err` (at most err_size bytes, NUL-terminated). */
typedef int (*sb_param_setter)(const char *name, const char *text, int64_t number, char *err,
                               size_t err_size);

typedef struct sb_param_export {
  const char *name;           /* [A-Za-z_][A-Za-z0-9_]*; NULL ends the array */
  int type;                   /* SB_PARAM_STRING or SB_PARAM_INT */
  const char *default_value;  /* as written in the config; NULL = "" (string) or "0" (int) */
  const char *help;           /* one line, required */
  void *var;                  /* optional: `const char **` (string) or `int64_t *` (int), written
                                 with the effective value before init; the string stays valid
                                 for the life of the process */
  sb_param_setter set;        /* optional, see above */
} sb_param_export;

/* ---- commands ----------------------------------------------------------------------------- */
/** Argument types: the dispatcher binds positional or named arguments to these declarations
 * and coerces text ("5" -> 5) before the handler runs; a bad value never reaches the handler. */
enum { SB_ARG_STRING = 1, SB_ARG_INT = 2, SB_ARG_BOOL = 3, SB_ARG_DOUBLE = 4, SB_ARG_ARRAY = 5 };

typedef struct sb_arg_export {
  const char *name;           /* NULL ends the array */
  int type;                   /* SB_ARG_* */
  int optional;               /* 0 = required; optional ones come last */
  const char *default_value;  /* optional args: text coerced to `type`; NULL = no default */
  const char *help;           /* one line, required */
} sb_arg_export;

/** Command flags, each enforced by the dispatcher. */
enum {
  SB_CMD_READ_ONLY = 1u << 0,  /* changes nothing: read-only callers may run it */
  SB_CMD_ADMIN = 1u << 3,      /* dangerous: needs the admin role */
  SB_CMD_HIDDEN = 1u << 4      /* not listed by `which` (still callable) */
};

/** A sync handler: read `args`, build the result in `reply` (sb_reply_* / sb_add_*) or call
 * sb_reply_error(), and return SB_OK. Returning anything else, returning without a result or
 * an error, or misusing the reply API answers the caller `500` (logged with the module name). */
typedef int (*sb_command_fn)(const sb_args *args, sb_reply *reply);
/** An async handler: keep `call`, return at once, and later (from any thread) build
 * sb_async_reply(call) and call sb_async_complete(call) exactly once. A call still not complete
 * after core.call_timeout_ms is answered 408; completing it later is then harmless. */
typedef void (*sb_async_command_fn)(const sb_args *args, sb_async *call);

typedef struct sb_command_export {
  const char *name;                   /* flat name (`hello`); also answers as `<module>:<name>`;
                                         NULL ends the array */
  const char *summary;                /* one line, imperative; required */
  sb_command_fn handler;              /* exactly one of handler / async_handler */
  sb_async_command_fn async_handler;
  const sb_arg_export *args;          /* NULL = no arguments */
  unsigned flags;                     /* SB_CMD_* */
  const char *description;            /* optional longer help (`help <cmd>`), may be NULL */
} sb_command_export;

/** A command's reply schema (ABI 1.2): what a successful call returns, as JSON Schema text in
 * the subset mi/reply_schema.h documents (type, properties, required, additionalProperties,
 * items, enum, const, anyOf, minimum, maximum, description). `help <cmd>`, XML-RPC
 * system.methodSignature and the API document show it; core.validate_replies checks replies
 * against it. Examples: "{\"type\":\"string\"}", "{\"const\":\"OK\"}". */
typedef struct sb_reply_schema_export {
  const char *command;  /* a name from `commands`; NULL ends the array */
  const char *schema;   /* JSON Schema text */
} sb_reply_schema_export;

/** An event the module raises (ABI 1.3), declared like the daemon's own: events_list shows it,
 * event_subscribe and the event stream deliver it, the OpenAPI document describes it.
 * `params_schema` is the JSON Schema text of its params object (the subset above), every
 * property with a "description". Example:
 *   {"E_EXAMPLE_GREETED", "Someone was greeted",
 *    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"description\":\"who\"}},"
 *    "\"required\":[\"name\"],\"additionalProperties\":false}"} */
typedef struct sb_event_export {
  const char *name;           /* E_[A-Z0-9_]+, at most 64; NULL ends the array */
  const char *summary;        /* one line: when it is raised; required */
  const char *params_schema;  /* JSON Schema text of the params object; required */
} sb_event_export;

/* ---- the module descriptor ---------------------------------------------------------------- */
typedef struct sb_module {
  uint32_t abi_major;    /* SB_MODULE_ABI_MAJOR (first field in every version) */
  uint32_t abi_minor;    /* SB_MODULE_ABI_MINOR (second field in every version) */
  uint32_t struct_size;  /* sizeof(sb_module) as the module was compiled */
  const char *name;      /* [A-Za-z_][A-Za-z0-9_]*: names [module.<name>] and `<name>:<cmd>` */
  const char *version;   /* the module's own version, free text (shown by module_list) */
  const char *summary;   /* one line (module_list), may be NULL */
  const sb_param_export *params;      /* NULL-name terminated, or NULL */
  const sb_command_export *commands;  /* NULL-name terminated, or NULL */
  /** After the parameters are set, before any command runs; return 0, or non-zero with a
   * message in `err` to stop the start-up. May be NULL. */
  int (*init)(char *err, size_t err_size);
  /** At shutdown, after the last call: stop module threads, free resources. May be NULL. */
  void (*destroy)(void);
  /* ---- since ABI 1.1 (read only when struct_size covers it) ---- */
  /** Names of the parameters whose values are secrets (passwords, API keys), NULL-terminated,
   * or NULL. Their values are never shown: `module_list` and `arg` print "***", error messages
   * leave them out. */
  const char *const *secret_params;
  /* ---- since ABI 1.2 ---- */
  /** One reply schema per command, NULL-terminated. Required from ABI 1.2 on: a command without
   * one is refused at load, naming it. (A module built for 1.0/1.1 has none: its commands get a
   * schema that accepts any reply.) */
  const sb_reply_schema_export *reply_schemas;
  /* ---- since ABI 1.3 ---- */
  /** The events the module raises with sb_raise_event(), NULL-name terminated, or NULL. */
  const sb_event_export *events;
} sb_module;

/** Fills the version fields: `SB_MODULE_EXPORTS = { SB_MODULE_ABI_INIT, .name = "x", ... };` */
#define SB_MODULE_ABI_INIT                                                          \
  .abi_major = SB_MODULE_ABI_MAJOR, .abi_minor = SB_MODULE_ABI_MINOR,               \
  .struct_size = (uint32_t)sizeof(sb_module)

#if defined(__GNUC__)
#define SB_MODULE_VISIBLE __attribute__((visibility("default")))
#else
#define SB_MODULE_VISIBLE
#endif
/** Defines the exported descriptor: `SB_MODULE_EXPORTS = { ... };` */
#ifdef __cplusplus
#define SB_MODULE_EXPORTS extern "C" SB_MODULE_VISIBLE const sb_module sb_module_exports
#else
#define SB_MODULE_EXPORTS SB_MODULE_VISIBLE const sb_module sb_module_exports
#endif

/* ---- arguments (valid during the handler call) -------------------------------------------- */
/** 1 when the argument was given or has a default, else 0. */
int sb_arg_given(const sb_args *args, const char *name);
/** A string argument's value, NULL when absent or not a string. */
const char *sb_arg_string(const sb_args *args, const char *name);
int sb_arg_int(const sb_args *args, const char *name, int64_t *out);   /* SB_OK/ENOENT/ETYPE */
int sb_arg_bool(const sb_args *args, const char *name, int *out);      /* *out = 0 or 1 */
int sb_arg_double(const sb_args *args, const char *name, double *out); /* ints convert */
/** Number of items of an array argument (0 when absent). */
size_t sb_arg_array_size(const sb_args *args, const char *name);
/** Item i of an array argument as text (strings as is, other values as JSON); NULL past the end. */
const char *sb_arg_array_item(const sb_args *args, const char *name, size_t i);

/* ---- the reply: set the root once (a scalar, an object or an array), or an error ----------- */
int sb_reply_string(sb_reply *reply, const char *value);  /* value: valid UTF-8 */
int sb_reply_int(sb_reply *reply, int64_t value);
int sb_reply_double(sb_reply *reply, double value);
int sb_reply_bool(sb_reply *reply, int value);
int sb_reply_null(sb_reply *reply);
sb_node *sb_reply_object(sb_reply *reply);  /* NULL on misuse (root already set) */
sb_node *sb_reply_array(sb_reply *reply);
/** The call fails with `code` (400..599) and `reason` (one line); anything built so far is
 * discarded. Returns SB_OK, so `return sb_reply_error(reply, 404, "AOR not found");` works. */
int sb_reply_error(sb_reply *reply, int code, const char *reason);

/* ---- members: `key` names an object member (required, unique, UTF-8); NULL for array items -- */
int sb_add_string(sb_node *parent, const char *key, const char *value);
int sb_add_int(sb_node *parent, const char *key, int64_t value);
int sb_add_double(sb_node *parent, const char *key, double value);
int sb_add_bool(sb_node *parent, const char *key, int value);
int sb_add_null(sb_node *parent, const char *key);
sb_node *sb_add_object(sb_node *parent, const char *key);
sb_node *sb_add_array(sb_node *parent, const char *key);

/* ---- async completion (any thread) -------------------------------------------------------- */
/** The reply of an async call, to build before completing it; NULL for an unknown handle. */
sb_reply *sb_async_reply(sb_async *call);
/** Delivers the reply (or error) built in sb_async_reply(call) and frees `call`. Exactly once. */
void sb_async_complete(sb_async *call);

/* ---- events (ABI 1.3; any thread, never blocks) ------------------------------------------- */
/** Raises a declared event (one of the module's sb_module.events, or any event events_list
 * shows) with its params as JSON object text (NULL = {}). The params are checked against the
 * declaration. Returns SB_OK, SB_ENOENT (no such event, or no event bus: --check-config),
 * or SB_EINVAL (NULL name, params not a JSON object or not matching the declaration; logged). */
int sb_raise_event(const char *event, const char *params_json);

/* ---- logging into the daemon's log -------------------------------------------------------- */
enum { SB_LOG_DEBUG = 1, SB_LOG_INFO = 2, SB_LOG_WARN = 3, SB_LOG_ERROR = 4 };
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sb_log(int level, const char *format, ...);

#ifdef __cplusplus
}
#endif

#endif /* SB_MODULE_ABI_H */
