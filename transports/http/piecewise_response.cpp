// piecewise_response.cpp: MHD's content reader over a ChunkedReply.
#include "transports/http/piecewise_response.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

namespace sb::transports {

namespace {

struct Reader {
  std::shared_ptr<mi::ChunkedReply> pieces;
  std::string buffer;  ///< the piece being sent
  std::size_t offset = 0;
  bool last = false;   ///< the buffer holds the reply's last piece
};

ssize_t read_more(void* cls, std::uint64_t /*pos*/, char* buf, std::size_t max) {
  auto* rd = static_cast<Reader*>(cls);
  while (rd->offset == rd->buffer.size()) {
    if (rd->last) return MHD_CONTENT_READER_END_OF_STREAM;
    rd->buffer.clear();
    rd->offset = 0;
    try {
      rd->last = !rd->pieces->next(rd->buffer);
    } catch (const std::exception& e) {
      spdlog::warn("http: a streamed reply was cut short: {}", e.what());
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
  }
  std::size_t n = std::min(max, rd->buffer.size() - rd->offset);
  std::memcpy(buf, rd->buffer.data() + rd->offset, n);
  rd->offset += n;
  return static_cast<ssize_t>(n);
}

void free_reader(void* cls) { delete static_cast<Reader*>(cls); }

}  // namespace

MHD_Response* piecewise_response(std::shared_ptr<mi::ChunkedReply> pieces) {
  auto* reader = new Reader{std::move(pieces), {}, 0, false};
  MHD_Response* resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, &read_more, reader, &free_reader);
  if (!resp) delete reader;
  return resp;
}

}  // namespace sb::transports
