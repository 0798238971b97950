// sofia.h: the one way our code includes sofia-sip. The *_MAGIC_T context types must be defined
// before the first sofia header (research/deps.md §5.5); every callback context is `void*`
// here and cast back to our own type in the callback. Include this before any other sofia header.
#pragma once

#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void
#define SU_MSG_ARG_T void
#define NTA_AGENT_MAGIC_T void
#define NTA_LEG_MAGIC_T void
#define NTA_OUTGOING_MAGIC_T void
#define NTA_INCOMING_MAGIC_T void

#include <sofia-sip/su.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/url.h>
