// File: src/server/http/log_routes.h
// The log level at run time over HTTP (beside SIGUSR1/SIGUSR2):
//
//   add_log_level_routes(router);
//   GET /v1/log-level                 (right read)  -> {"level": "info"}
//   PUT /v1/log-level  body "debug"   (right admin) -> {"level": "debug", "previous": "info"}
//
// The body is one level name (trace, debug, info, warn, error, critical,
// off), surrounding white space ignored. Every change is logged at warn,
// while the more verbose of the old and new levels is in force (so it shows
// unless both are error or above), with the token's name:
//   log level info -> debug by token "ops" (PUT /v1/log-level)
// DIAGNOSTICS: an unknown name or a body over 64 bytes is 400 naming the
// levels, and the level does not change; without a token holding the admin
// right: 401/403 from the router (nothing changes).
#pragma once

#include "server/http/router.h"

namespace rampart::server {

void add_log_level_routes(Router& router);

}  // namespace rampart::server
