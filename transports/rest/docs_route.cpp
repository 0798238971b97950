// docs_route.cpp: GET /api/v1/docs — the REST API reference (Redoc, from the npm package that
// scripts/setup.sh installs into http.web_dir), rendering /api/v1/openapi.json in the browser.
// The bundle (~1 MB) is read at its first request and served from memory afterwards; the page
// loads nothing from elsewhere (its Content-Security-Policy allows this origin only).
#include "transports/rest/docs_route.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transports/http/loaded_on_first_use.h"
#include "transports/rest/rest_reply.h"

namespace sb::transports::rest {

namespace {

constexpr const char* kBundle = "node_modules/redoc/bundles/redoc.standalone.js";

constexpr const char* kPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard REST API</title>
</head>
<body>
<redoc spec-url="/api/v1/openapi.json"></redoc>
<script src="/api/v1/docs/redoc.standalone.js"></script>
</body>
</html>
)";

/// This origin only: no CDN, no third-party script, style or font (Redoc inlines its styles
/// and runs its search index in a worker made from a blob).
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'";

struct Bundle {
  std::string body;
  std::string etag;
};

/// The bundle, or nullopt while it is not installed (or empty, or unreadable).
std::optional<Bundle> read_bundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (text.fail() || in.bad()) return std::nullopt;
  Bundle b{text.str(), {}};
  b.etag = etag_of(b.body);
  return b;
}

HttpReply not_installed() {
  return problem(503, "the API reference is not installed: scripts/setup.sh installs it (npm ci in web/, "
                      "http.web_dir); the document itself is at /api/v1/openapi.json");
}

}  // namespace

std::vector<HttpRoute> docs_routes(const HttpConfig& cfg) {
  std::string path = fmt::format("{}/{}", cfg.web_dir, kBundle);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    spdlog::warn("http: /api/v1/docs: {} not found (scripts/setup.sh installs it: npm ci in web/)", path);
  auto bundle = std::make_shared<LoadedOnFirstUse<Bundle>>("the Redoc bundle " + path,
                                                          [path] { return read_bundle(path); });
  HttpRoute page;
  page.methods = {"GET"};
  page.pattern = std::string(kBase) + "/docs";
  page.summary = "GET /api/v1/docs (the API reference)";
  page.handle = [bundle](HttpRequest&, HttpRespond respond) {
    if (!bundle->get()) return respond(not_installed());
    respond(HttpReply{200, "text/html; charset=utf-8", kPage, {{"Content-Security-Policy", kPolicy}}});
  };
  HttpRoute script;
  script.methods = {"GET"};
  script.pattern = fmt::format("{}/docs/redoc.standalone.js", kBase);
  script.handle = [bundle](HttpRequest& req, HttpRespond respond) {
    std::shared_ptr<const Bundle> b = bundle->get();
    if (!b) return respond(not_installed());
    const char* inm = req.header("If-None-Match");
    if (inm && etag_listed(inm, b->etag, true)) return respond(HttpReply{304, {}, {}, {{"ETag", b->etag}}});
    respond(HttpReply{200, "text/javascript; charset=utf-8", b->body,
                      {{"ETag", b->etag}, {"Cache-Control", "no-cache"}}});
  };
  return {std::move(page), std::move(script)};
}

}  // namespace sb::transports::rest
