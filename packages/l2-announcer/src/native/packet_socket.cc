// Raw link-layer sockets (Linux AF_PACKET, SOCK_RAW) for the Layer 2 announcer.
//
// This file only opens, binds, sends and receives: which frames to answer and how to build them
// is decided in TypeScript (src/arp.ts, src/ndp.ts). Receiving runs on the Node.js event loop:
// a uv_poll handle watches the non-blocking socket and calls a JS callback once per frame.
//
// Errors are returned as plain objects { op, errno, message } instead of thrown, so the
// TypeScript wrapper builds one error class (EPERM/EACCES -> "needs CAP_NET_RAW").
//
// Exports:
//   platformSupported: boolean
//   open(ifindex, ethertype, filter?: Buffer) -> PacketSocket | Failure
//                             bound to that interface and ethertype; `filter` is a classic BPF
//                             program (struct sock_filter[], built in src/socket-filter.ts),
//                             attached before bind() so no unfiltered frame is ever queued
//   PacketSocket#send(frame: Buffer)            -> undefined | Failure
//   PacketSocket#addMembership(mac: Buffer)     -> undefined | Failure   (PACKET_MR_MULTICAST)
//   PacketSocket#dropMembership(mac: Buffer)    -> undefined | Failure
//   PacketSocket#setFilter(filter: Buffer)      -> undefined | Failure   (replaces the BPF program)
//   PacketSocket#startReceiving(cb(frame, pkttype))  cb is called per frame on the event loop
//   PacketSocket#close()                        idempotent; stops receiving and closes the fd

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#ifdef __linux__
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>
#endif

namespace {

Napi::Object Failure(Napi::Env env, const char* op, int err) {
  Napi::Object failure = Napi::Object::New(env);
  failure.Set("op", op);
  failure.Set("errno", err);
  failure.Set("message", std::string(op) + ": " + std::strerror(err));
  return failure;
}

#ifdef __linux__

bool IsFilterProgram(const Napi::Value& value) {
  if (!value.IsBuffer()) return false;
  size_t length = value.As<Napi::Buffer<uint8_t>>().Length();
  return length > 0 && length % sizeof(sock_filter) == 0 && length / sizeof(sock_filter) <= BPF_MAXINSNS;
}

// The kernel copies the program: the Buffer need not outlive the call.
bool AttachFilter(int fd, Napi::Buffer<uint8_t> program) {
  sock_fprog fprog;
  fprog.len = static_cast<unsigned short>(program.Length() / sizeof(sock_filter));
  fprog.filter = reinterpret_cast<sock_filter*>(program.Data());
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) == 0;
}

// Largest frame we read: Ethernet header + 1500 octets of payload (+ a VLAN tag to spare).
// ARP and NDP frames are far smaller; larger frames are truncated, which is harmless.
constexpr size_t kFrameBufferSize = 1536;

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod("send", &PacketSocket::Send),
                        InstanceMethod("addMembership", &PacketSocket::AddMembership),
                        InstanceMethod("dropMembership", &PacketSocket::DropMembership),
                        InstanceMethod("setFilter", &PacketSocket::SetFilter),
                        InstanceMethod("startReceiving", &PacketSocket::StartReceiving),
                        InstanceMethod("close", &PacketSocket::Close)});
  }

  // Constructed only by open() with (fd, ifindex).
  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    ifindex_ = info[1].As<Napi::Number>().Int32Value();
  }

  ~PacketSocket() override { CloseFd(); }

 private:
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer()) {
      Napi::TypeError::New(env, "expected (frame: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Failure(env, "send", EBADF);
    auto frame = info[0].As<Napi::Buffer<uint8_t>>();
    // Bound sockets send on their interface; the frame carries its own Ethernet header.
    ssize_t sent = send(fd_, frame.Data(), frame.Length(), MSG_DONTWAIT);
    if (sent < 0) return Failure(env, "send", errno);
    return env.Undefined();
  }

  Napi::Value AddMembership(const Napi::CallbackInfo& info) {
    return Membership(info, PACKET_ADD_MEMBERSHIP, "setsockopt PACKET_ADD_MEMBERSHIP");
  }

  Napi::Value DropMembership(const Napi::CallbackInfo& info) {
    return Membership(info, PACKET_DROP_MEMBERSHIP, "setsockopt PACKET_DROP_MEMBERSHIP");
  }

  // Replaces the socket's classic BPF program (SO_ATTACH_FILTER swaps it atomically).
  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!IsFilterProgram(info[0])) {
      Napi::TypeError::New(env, "expected (filter: Buffer of struct sock_filter, 8 octets each)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Failure(env, "setsockopt SO_ATTACH_FILTER", EBADF);
    if (!AttachFilter(fd_, info[0].As<Napi::Buffer<uint8_t>>())) return Failure(env, "setsockopt SO_ATTACH_FILTER", errno);
    return env.Undefined();
  }

  // Lets the interface receive one link-layer multicast group (for NDP: 33:33:ff:xx:xx:xx).
  Napi::Value Membership(const Napi::CallbackInfo& info, int option, const char* op) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() != 6) {
      Napi::TypeError::New(env, "expected (mac: Buffer of 6 octets)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Failure(env, op, EBADF);
    packet_mreq mreq;
    std::memset(&mreq, 0, sizeof(mreq));
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_MULTICAST;
    mreq.mr_alen = 6;
    std::memcpy(mreq.mr_address, info[0].As<Napi::Buffer<uint8_t>>().Data(), 6);
    // The kernel drops the socket's memberships when it closes.
    if (setsockopt(fd_, SOL_PACKET, option, &mreq, sizeof(mreq)) != 0) return Failure(env, op, errno);
    return env.Undefined();
  }

  Napi::Value StartReceiving(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "expected (onFrame: Function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0 || poll_ != nullptr) {
      Napi::Error::New(env, "socket is closed or already receiving").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc == 0) {
      poll_->data = this;
      rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
    }
    if (rc != 0) {
      Napi::Error::New(env, std::string("uv_poll: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      ClosePoll();
      return env.Undefined();
    }
    env_ = env;
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "PacketSocket");
    Ref();  // the JS object must outlive the poll handle that points at it
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    bool was_receiving = poll_ != nullptr;
    ClosePoll();
    CloseFd();
    if (was_receiving) {
      callback_.Reset();
      async_context_.reset();
      Unref();
    }
    return info.Env().Undefined();
  }

  // Reads every queued frame (the socket is non-blocking) and hands each to JS.
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<PacketSocket*>(handle->data);
    if (status < 0 || self->fd_ < 0) return;
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    uint8_t buffer[kFrameBufferSize];
    // Bounded: a flood must not starve the event loop; what is left wakes us again.
    for (int i = 0; i < 64 && self->fd_ >= 0; i++) {
      sockaddr_ll from;
      socklen_t from_len = sizeof(from);
      ssize_t n = recvfrom(self->fd_, buffer, sizeof(buffer), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) return;  // EAGAIN: drained (other errors: nothing useful to do here)
      size_t length = static_cast<size_t>(n) < sizeof(buffer) ? static_cast<size_t>(n) : sizeof(buffer);
      Napi::Buffer<uint8_t> frame = Napi::Buffer<uint8_t>::Copy(env, buffer, length);
      self->callback_.MakeCallback(env.Global(), {frame, Napi::Number::New(env, from.sll_pkttype)},
                                   *self->async_context_);
      if (env.IsExceptionPending()) {
        Napi::Error error = env.GetAndClearPendingException();
        napi_fatal_exception(env, error.Value());
        return;
      }
    }
  }

  void ClosePoll() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }

  void CloseFd() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
  int ifindex_ = 0;
  uv_poll_t* poll_ = nullptr;
  Napi::Env env_ = Napi::Env(nullptr);
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
};

Napi::FunctionReference* PacketSocket::constructor = nullptr;

// open(ifindex, ethertype, filter?): socket(AF_PACKET, SOCK_RAW) bound to one interface and ethertype.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool has_filter = info.Length() > 2 && !info[2].IsUndefined();
  if (!info[0].IsNumber() || !info[1].IsNumber() || (has_filter && !IsFilterProgram(info[2]))) {
    Napi::TypeError::New(env, "expected (ifindex: number, ethertype: number, filter?: Buffer of struct sock_filter)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  uint16_t ethertype = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  // Protocol 0 first: no frame is queued before bind() narrows the socket to one interface.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failure(env, "socket AF_PACKET", errno);
  if (has_filter && !AttachFilter(fd, info[2].As<Napi::Buffer<uint8_t>>())) {
    int err = errno;
    close(fd);
    return Failure(env, "setsockopt SO_ATTACH_FILTER", err);
  }
  sockaddr_ll addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ethertype);
  addr.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return Failure(env, "bind AF_PACKET", err);
  }
  return PacketSocket::constructor->New({Napi::Number::New(env, fd), Napi::Number::New(env, ifindex)});
}

#endif  // __linux__

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef __linux__
  exports.Set("platformSupported", Napi::Boolean::New(env, true));
  Napi::Function cls = PacketSocket::Define(env);
  PacketSocket::constructor = new Napi::FunctionReference(Napi::Persistent(cls));
  exports.Set("PacketSocket", cls);
  exports.Set("open", Napi::Function::New(env, Open, "open"));
#else
  exports.Set("platformSupported", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(packet_socket, Init)
