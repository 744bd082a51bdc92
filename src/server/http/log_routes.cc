// File: src/server/http/log_routes.cc
// GET/PUT /v1/log-level (see log_routes.h).
#include "server/http/log_routes.h"

#include "core/json.h"
#include "core/log.h"
#include "core/strings.h"

namespace rampart::server {

void add_log_level_routes(Router& router) {
  router.add("GET", "/v1/log-level", Right::kRead, [](HttpRequest&, std::string_view, HttpRespond respond) {
    respond(HttpReply{200, JsonObject().str("level", log::level_name()).done()});
  });
  Router* r = &router;
  router.add(
      "PUT", "/v1/log-level", Right::kAdmin, [r](HttpRequest& req, std::string_view, HttpRespond respond) {
        if (req.body.size() > 64) return respond(HttpReply{400, error_json("the body is one level name")});
        const std::string level(trim(req.body));
        if (auto st = log::valid_level(level); !st)
          return respond(HttpReply{400, error_json(st.error().message)});
        std::string who = r->access()->token_name(req);
        if (who.empty()) who = "anonymous";
        const std::string previous = log::level_name();
        // Logged while the more verbose of the two levels is in force, so that
        // the line shows unless both are above warn.
        const auto line = [&] {
          log::get()->warn("log level {} -> {} by token \"{}\" (PUT /v1/log-level)", previous, level, who);
        };
        const bool more_verbose = spdlog::level::from_str(level) < log::get()->level();
        if (!more_verbose) line();
        log::set_level(level);
        if (more_verbose) line();
        respond(
            HttpReply{200, JsonObject().str("level", log::level_name()).str("previous", previous).done()});
      });
}

}  // namespace rampart::server
