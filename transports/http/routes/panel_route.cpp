// panel_route.cpp: GET / — the web panel (issue #15): the static files that `npm run build`
// writes into <http.web_dir>/dist (index.html, assets/panel.js, assets/panel.css), read at the
// first request and served from memory afterwards (a daemon nobody browses holds none of them). They carry no data: everything the panel shows comes from
// /api/v1 and /api/v1/events with the user's credentials, so they are served without any
// (the log-in page must load). Strict headers: a Content-Security-Policy allowing this origin
// only and no inline script or style, no framing, no sniffing, no referrer.
// Threading: the handlers only read the immutable file table (any MHD thread).
#include "transports/http/routes/routes.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <sstream>

#include <spdlog/spdlog.h>

#include "transports/http/loaded_on_first_use.h"
#include "transports/rest/rest_reply.h"

namespace sb::transports {

namespace {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string etag;
};
using FileTable = std::map<std::string, StaticFile, std::less<>>;

constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const char* type_of(const std::filesystem::path& p) {
  static const std::map<std::string, const char*> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".ico", "image/x-icon"},
      {".map", "application/json"},          {".woff2", "font/woff2"}};
  auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? nullptr : it->second;
}

/// Every regular file directly in dist/ and dist/assets/ with a known type (no links followed);
/// nullopt while dist/index.html is not among them (the panel is not built yet).
std::optional<FileTable> read_dist(const std::string& web_dir) {
  FileTable table;
  namespace fs = std::filesystem;
  for (const char* sub : {"dist", "dist/assets"}) {
    fs::path dir = fs::path(web_dir) / sub;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& e = *it;
      std::error_code type_ec;
      if (e.is_symlink(type_ec) || !e.is_regular_file(type_ec)) continue;
      const char* type = type_of(e.path());
      if (!type) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      std::string url = std::string(sub == std::string_view("dist") ? "/" : "/assets/") + e.path().filename().string();
      std::string body = text.str();
      std::string tag = rest::etag_of(body);
      table[url] = StaticFile{type, std::move(body), std::move(tag)};
    }
  }
  if (!table.count("/index.html")) return std::nullopt;
  return table;
}

HttpReply with_headers(HttpReply r) {
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  return r;
}

void serve(const FileTable* files, std::string_view url, HttpRequest& req, HttpRespond& respond) {
  if (!files)
    return respond(with_headers(HttpReply{503, "text/plain; charset=utf-8",
                                          "the web panel is not built: scripts/setup.sh builds it "
                                          "(npm ci && npm run build in web/)\n", {}}));
  auto it = files->find(url);
  if (it == files->end())
    return respond(with_headers(HttpReply{404, "text/plain; charset=utf-8", "no such file\n", {}}));
  const StaticFile& f = it->second;
  const char* inm = req.header("If-None-Match");
  if (inm && rest::etag_listed(inm, f.etag, true))
    return respond(with_headers(HttpReply{304, {}, {}, {{"ETag", f.etag}}}));
  respond(with_headers(HttpReply{200, f.content_type, f.body, {{"ETag", f.etag}, {"Cache-Control", "no-cache"}}}));
}

}  // namespace

std::vector<HttpRoute> panel_routes(const HttpConfig& cfg) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(cfg.web_dir) / "dist/index.html", ec))
    spdlog::warn("http: the web panel is not built ({}/dist/index.html missing): scripts/setup.sh builds it "
                 "(npm ci && npm run build in web/)", cfg.web_dir);
  using Files = LoadedOnFirstUse<FileTable>;
  auto files = std::make_shared<Files>("the web panel (" + cfg.web_dir + "/dist)",
                                       [dir = cfg.web_dir] { return read_dist(dir); });
  HttpRoute page;
  page.methods = {"GET"};
  page.pattern = "/";
  page.summary = "GET / (the web panel)";
  page.open = true;
  page.handle = [files](HttpRequest& req, HttpRespond respond) {
    serve(files->get().get(), "/index.html", req, respond);
  };
  HttpRoute asset;
  asset.methods = {"GET"};
  asset.pattern = "/assets/{file}";
  asset.open = true;
  asset.handle = [files](HttpRequest& req, HttpRespond respond) {
    serve(files->get().get(), "/assets/" + req.params.at("file"), req, respond);
  };
  return {std::move(page), std::move(asset)};
}

}  // namespace sb::transports
