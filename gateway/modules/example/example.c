/* example.c: the example loadable module (plain C99 against mi/module_abi.h only).
 *
 * Purpose: shows every part of the module ABI in a small, tested module:
 *   - parameter `greeting` (string, default "Hello") with a setter that refuses an empty or
 *     over-long value (OpenSIPS USE_FUNC_PARAM style);
 *   - parameter `max_delay_ms` (int, default 5000) written straight into a variable;
 *   - command `hello [name]` (sync): "<greeting>, <name>!";
 *   - command `hello_async delay_ms [name]` (async): answers {"message", "delay_ms"} from another
 *     thread after `delay_ms` milliseconds (refused above max_delay_ms);
 *   - event `E_EXAMPLE_GREETED` {name, greeting} (ABI 1.3), raised by `hello` with
 *     sb_raise_event(): `event_subscribe E_EXAMPLE_GREETED udp:127.0.0.1:9999` shows it.
 * Configure it with `[modules] load = example.so` and `[module.example] greeting = Hi`.
 * Threading: the parameters are written at start-up, before any command runs, and only read
 * afterwards. Each hello_async call runs on its own detached thread; destroy() waits until no
 * such thread is left, so the module is never unmapped under a running thread.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "module_abi.h"

static char greeting[128] = "Hello";
static int64_t max_delay_ms = 5000;

static pthread_mutex_t pending_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pending_cv = PTHREAD_COND_INITIALIZER;
static int pending; /* hello_async threads still running */

static int set_greeting(const char *name, const char *text, int64_t number, char *err,
                        size_t err_size) {
  (void)name;
  (void)number;
  if (text[0] == '\0') {
    snprintf(err, err_size, "the greeting must not be empty");
    return -1;
  }
  if (strlen(text) >= sizeof greeting) {
    snprintf(err, err_size, "the greeting is longer than %u bytes", (unsigned)sizeof greeting - 1);
    return -1;
  }
  strcpy(greeting, text);
  return 0;
}

static const char *name_arg(const sb_args *args) {
  const char *name = sb_arg_string(args, "name");
  return name ? name : "world";
}

/* `text` as a JSON string (quotes, backslashes and control characters escaped) into `out`. */
static void json_string(char *out, size_t size, const char *text) {
  size_t n = 0;
  if (size < 3) return;
  out[n++] = '"';
  for (; *text && n + 8 < size; ++text) {
    unsigned char c = (unsigned char)*text;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
}

static int hello(const sb_args *args, sb_reply *reply) {
  char text[512], name[600], greet[300], params[1024];
  snprintf(text, sizeof text, "%s, %s!", greeting, name_arg(args));
  json_string(name, sizeof name, name_arg(args));
  json_string(greet, sizeof greet, greeting);
  snprintf(params, sizeof params, "{\"name\":%s,\"greeting\":%s}", name, greet);
  sb_raise_event("E_EXAMPLE_GREETED", params); /* never blocks; SB_ENOENT without a bus */
  return sb_reply_string(reply, text);
}

struct job {
  sb_async *call;
  int64_t delay_ms;
  char message[512];
};

static void finish_job(struct job *j) {
  sb_reply *reply = sb_async_reply(j->call);
  sb_node *out = sb_reply_object(reply);
  sb_add_string(out, "message", j->message);
  sb_add_int(out, "delay_ms", j->delay_ms);
  sb_async_complete(j->call);
  free(j);
  pthread_mutex_lock(&pending_mu);
  if (--pending == 0) pthread_cond_broadcast(&pending_cv);
  pthread_mutex_unlock(&pending_mu);
}

static void *run_job(void *arg) {
  struct job *j = arg;
  struct timespec ts;
  ts.tv_sec = (time_t)(j->delay_ms / 1000);
  ts.tv_nsec = (long)(j->delay_ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
  finish_job(j);
  return NULL;
}

static void hello_async(const sb_args *args, sb_async *call) {
  int64_t delay = 0;
  struct job *j;
  pthread_t thread;
  pthread_attr_t attr;
  sb_arg_int(args, "delay_ms", &delay);
  if (delay < 0 || delay > max_delay_ms) {
    char why[128];
    snprintf(why, sizeof why, "delay_ms must be 0..%lld", (long long)max_delay_ms);
    sb_reply_error(sb_async_reply(call), 400, why);
    sb_async_complete(call);
    return;
  }
  j = malloc(sizeof *j);
  if (!j) {
    sb_reply_error(sb_async_reply(call), 503, "out of memory");
    sb_async_complete(call);
    return;
  }
  j->call = call; /* args are valid only during this call: copy what the job needs */
  j->delay_ms = delay;
  snprintf(j->message, sizeof j->message, "%s, %s!", greeting, name_arg(args));
  pthread_mutex_lock(&pending_mu);
  ++pending;
  pthread_mutex_unlock(&pending_mu);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&thread, &attr, run_job, j) != 0) finish_job(j); /* answer at once */
  pthread_attr_destroy(&attr);
}

static void destroy(void) {
  pthread_mutex_lock(&pending_mu);
  while (pending > 0) pthread_cond_wait(&pending_cv, &pending_mu);
  pthread_mutex_unlock(&pending_mu);
}

static const sb_param_export params[] = {
    {"greeting", SB_PARAM_STRING, "Hello", "Word(s) the hello commands greet with", NULL,
     set_greeting},
    {"max_delay_ms", SB_PARAM_INT, "5000", "Largest delay_ms hello_async accepts", &max_delay_ms,
     NULL},
    {"api_key", SB_PARAM_STRING, "", "Key for a (pretend) upstream service: a secret, never shown",
     NULL, NULL},
    {NULL, 0, NULL, NULL, NULL, NULL}};

/* Parameters whose values module_list and arg show as "***" (ABI 1.1). */
static const char *const secret_params[] = {"api_key", NULL};

static const sb_arg_export hello_args[] = {
    {"name", SB_ARG_STRING, 1, NULL, "Who to greet (default: world)"},
    {NULL, 0, 0, NULL, NULL}};

static const sb_arg_export hello_async_args[] = {
    {"delay_ms", SB_ARG_INT, 0, NULL, "Milliseconds to wait before answering"},
    {"name", SB_ARG_STRING, 1, NULL, "Who to greet (default: world)"},
    {NULL, 0, 0, NULL, NULL}};

static const sb_command_export commands[] = {
    {"hello", "Greet someone", hello, NULL, hello_args, SB_CMD_READ_ONLY, NULL},
    {"hello_async", "Greet someone after a delay, answering from another thread", NULL,
     hello_async, hello_async_args, SB_CMD_READ_ONLY,
     "An async command: the handler returns at once and a module thread completes the call."},
    {NULL, NULL, NULL, NULL, NULL, 0, NULL}};

/* What each command returns (ABI 1.2): checked when core.validate_replies is on, shown by help. */
static const sb_reply_schema_export reply_schemas[] = {
    {"hello", "{\"type\":\"string\",\"description\":\"the greeting\"}"},
    {"hello_async",
     "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"},"
     "\"delay_ms\":{\"type\":\"integer\",\"minimum\":0}},"
     "\"required\":[\"message\",\"delay_ms\"],\"additionalProperties\":false}"},
    {NULL, NULL}};

/* The events this module raises (ABI 1.3): declared once, listed by events_list. */
static const sb_event_export events[] = {
    {"E_EXAMPLE_GREETED", "The hello command greeted someone",
     "{\"type\":\"object\",\"properties\":{"
     "\"name\":{\"type\":\"string\",\"description\":\"who was greeted\"},"
     "\"greeting\":{\"type\":\"string\",\"description\":\"the greeting word(s)\"}},"
     "\"required\":[\"name\",\"greeting\"],\"additionalProperties\":false}"},
    {NULL, NULL, NULL}};

SB_MODULE_EXPORTS = {
    SB_MODULE_ABI_INIT,
    .name = "example",
    .version = "1.0.0",
    .summary = "Example module: a sync and an async greeting",
    .params = params,
    .commands = commands,
    .init = NULL,
    .destroy = destroy,
    .secret_params = secret_params,
    .reply_schemas = reply_schemas,
    .events = events,
};
