// mhd.h: libmicrohttpd for the host's files, with its callback result type under one name
// (enum MHD_Result since 0.9.71, int before).
#pragma once

#include <microhttpd.h>

#if MHD_VERSION >= 0x00097002
using MhdResult = enum MHD_Result;
#else
using MhdResult = int;
#endif
