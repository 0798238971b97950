// jsonrpc_dispatch.cpp: decode, dispatch every item, gather a batch's replies.
#include "mi/codec/jsonrpc_dispatch.h"

#include <mutex>

#include "mi/codec/jsonrpc.h"

namespace sb::mi {

namespace {

// Collects the item replies of a batch; the last item to finish sends the whole reply. Replies
// beyond `max_reply` bytes in all are not kept: the batch is answered with one error instead.
struct Batch {
  std::mutex mu;
  std::vector<std::string> replies;
  std::size_t remaining = 0;
  std::size_t bytes = 0;
  std::size_t max_reply = SIZE_MAX;
  std::string max_reply_key;
  bool over = false;
  JsonRpcDone done;
  void add(std::optional<std::string> reply) {
    std::vector<std::string> all;
    std::size_t total = 0;
    bool too_large = false;
    {
      std::lock_guard lk(mu);
      if (reply) {
        bytes += reply->size() + 1;
        if (bytes > max_reply && !over) {
          over = true;
          std::vector<std::string>().swap(replies);
        }
        if (!over) replies.push_back(std::move(*reply));
      }
      if (--remaining > 0) return;
      all = std::move(replies);
      total = bytes;
      too_large = over;
    }
    if (too_large) {
      done(render_jsonrpc(Error::reply_too_large(total, max_reply, limit_hint(max_reply_key)), nullptr));
      return;
    }
    std::string out = render_jsonrpc_batch(all);
    done(out.empty() ? std::nullopt : std::optional<std::string>(std::move(out)));
  }
  static std::string limit_hint(const std::string& key) {
    return key.empty() ? std::string("reply limit") : "over " + key;
  }
};

}  // namespace

void dispatch_jsonrpc(Dispatcher& dispatcher, std::string_view text, const Caller& caller,
                      JsonRpcDone done, std::size_t max_reply, std::string_view max_reply_key,
                      JsonRpcStream stream) {
  JsonRpcMessage msg = decode_jsonrpc(text);
  if (msg.error) {
    done(render_jsonrpc(*msg.error, nullptr));
    return;
  }
  std::shared_ptr<Batch> batch;
  if (msg.batch) {
    batch = std::make_shared<Batch>();
    batch->remaining = msg.items.size();
    batch->max_reply = max_reply;
    batch->max_reply_key = std::string(max_reply_key);
    batch->done = std::move(done);
  }
  for (JsonRpcItem& item : msg.items) {
    auto deliver = [batch, single = batch ? JsonRpcDone() : done, max_reply,
                    key = std::string(max_reply_key)](std::optional<std::string> r) {
      if (batch) return batch->add(std::move(r));
      if (r && r->size() > max_reply)
        r = render_jsonrpc(Error::reply_too_large(r->size(), max_reply, Batch::limit_hint(key)), nullptr);
      single(std::move(r));
    };
    if (item.error) {
      deliver(render_jsonrpc(*item.error, item.id));
      continue;
    }
    item.request.caller = caller;
    // A single call may stream its reply (a notification's reply is never written).
    const bool streams = stream && !batch && !item.notification;
    item.request.caller.accepts_stream = streams;
    dispatcher.call(std::move(item.request),
                    [deliver, id = item.id, notification = item.notification,
                     stream = streams ? stream : JsonRpcStream()](Result res) {
                      if (stream && res.is_stream()) return stream(chunked_jsonrpc(res.take_stream(), id));
                      deliver(notification ? std::nullopt
                                           : std::optional<std::string>(render_jsonrpc(res, id)));
                    });
  }
}

}  // namespace sb::mi
