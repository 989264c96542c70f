// TCP-MD5 signatures (RFC 2385) for Node.js sockets: the Linux TCP_MD5SIG socket option.
//
// The kernel keys MD5 by peer address: a listening socket holds one key per peer and the
// connections it accepts inherit them; an outgoing socket must hold the key for its peer
// BEFORE connect(), otherwise its SYN goes out unsigned and the peer drops it
// (RFC 2385 section 2: every segment, the SYN included, carries the digest).
//
// Errors are returned as plain objects { op, errno, message } instead of thrown, so the
// TypeScript wrapper builds one error class with stable codes. Messages come from
// strerror() and name the operation only: the key never appears in any of them.
//
// Exports:
//   platformSupported: boolean
//   setKey(fd, peerAddress, key: Buffer)            -> undefined | Failure (key length 0 removes)
//   createSocket(peerAddress, key: Buffer, local?)  -> { fd } | Failure
//   probe()                                         -> undefined | Failure
//   closeFd(fd)                                     -> undefined

#include <napi.h>

#include <cstring>
#include <string>

#ifdef __linux__
#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace {

Napi::Object Failure(Napi::Env env, const char* op, int err, const std::string& message) {
  Napi::Object failure = Napi::Object::New(env);
  failure.Set("op", op);
  failure.Set("errno", err);
  failure.Set("message", message);
  return failure;
}

#ifdef __linux__

Napi::Object ErrnoFailure(Napi::Env env, const char* op, int err) {
  return Failure(env, op, err, std::string(op) + ": " + std::strerror(err));
}

// Parses an IPv4 or IPv6 literal (no zone index) into a sockaddr of the matching family.
bool ParseAddress(const std::string& text, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return true;
  }
  return false;
}

// An AF_INET6 socket only accepts AF_INET6 key addresses; an IPv4 peer of a dual-stack
// socket is reached as ::ffff:a.b.c.d, which the kernel turns back into an IPv4 key.
void MapToV6(sockaddr_storage* addr) {
  sockaddr_in v4;
  std::memcpy(&v4, addr, sizeof(v4));
  std::memset(addr, 0, sizeof(*addr));
  auto* v6 = reinterpret_cast<sockaddr_in6*>(addr);
  v6->sin6_family = AF_INET6;
  v6->sin6_addr.s6_addr[10] = 0xff;
  v6->sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
}

// Returns 0 or an errno. EAFNOSUPPORT for an IPv6 peer on an IPv4 socket.
int SetKeyOnFd(int fd, sockaddr_storage peer, const uint8_t* key, size_t keylen) {
  int domain = 0;
  socklen_t domain_len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &domain_len) != 0) return errno;
  if (domain == AF_INET6 && peer.ss_family == AF_INET) MapToV6(&peer);
  if (domain == AF_INET && peer.ss_family == AF_INET6) return EAFNOSUPPORT;

  tcp_md5sig sig;
  std::memset(&sig, 0, sizeof(sig));
  std::memcpy(&sig.tcpm_addr, &peer, sizeof(peer));
  sig.tcpm_keylen = static_cast<uint16_t>(keylen);
  if (keylen > 0) std::memcpy(sig.tcpm_key, key, keylen);
  int rc = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig));
  int err = rc == 0 ? 0 : errno;
  explicit_bzero(&sig, sizeof(sig));  // do not leave the secret on the stack
  return err;
}

struct KeyArg {
  const uint8_t* data = nullptr;
  size_t length = 0;
};

// Validates the common (address, key) arguments; on failure a JS exception is pending.
bool ReadAddressAndKey(const Napi::CallbackInfo& info, size_t first, sockaddr_storage* peer,
                       KeyArg* key, Napi::Object* failure) {
  Napi::Env env = info.Env();
  if (!info[first].IsString() || !info[first + 1].IsBuffer()) {
    Napi::TypeError::New(env, "expected (peerAddress: string, key: Buffer)")
        .ThrowAsJavaScriptException();
    return false;
  }
  std::string address = info[first].As<Napi::String>().Utf8Value();
  if (!ParseAddress(address, peer)) {
    *failure = Failure(env, "parse address", EINVAL, "not an IPv4 or IPv6 address literal");
    return false;
  }
  auto buffer = info[first + 1].As<Napi::Buffer<uint8_t>>();
  if (buffer.Length() > TCP_MD5SIG_MAXKEYLEN) {
    *failure = Failure(env, "check key", EINVAL, "key longer than TCP_MD5SIG_MAXKEYLEN");
    return false;
  }
  key->data = buffer.Data();
  key->length = buffer.Length();
  return true;
}

Napi::Value SetKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) {
    Napi::TypeError::New(env, "expected (fd: number, peerAddress: string, key: Buffer)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  sockaddr_storage peer;
  KeyArg key;
  Napi::Object failure;
  if (!ReadAddressAndKey(info, 1, &peer, &key, &failure)) {
    return failure.IsEmpty() ? env.Undefined() : failure;
  }
  int err = SetKeyOnFd(fd, peer, key.data, key.length);
  if (err == EAFNOSUPPORT) {
    return Failure(env, "setsockopt TCP_MD5SIG", err,
                   "setsockopt TCP_MD5SIG: IPv6 peer address on an IPv4 socket");
  }
  if (err != 0) return ErrnoFailure(env, "setsockopt TCP_MD5SIG", err);
  return env.Undefined();
}

// socket() of the peer's family, the key set, optionally bound to a local address (port 0).
// The caller hands the fd to libuv (new net.Socket({ fd })) and connects through it, so the
// SYN is signed.
Napi::Value CreateSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_storage peer;
  KeyArg key;
  Napi::Object failure;
  if (!ReadAddressAndKey(info, 0, &peer, &key, &failure)) {
    return failure.IsEmpty() ? env.Undefined() : failure;
  }
  if (key.length == 0) {
    return Failure(env, "check key", EINVAL, "an outgoing TCP-MD5 socket needs a non-empty key");
  }
  sockaddr_storage local;
  bool bind_local = info.Length() > 2 && info[2].IsString();
  if (bind_local) {
    if (!ParseAddress(info[2].As<Napi::String>().Utf8Value(), &local)) {
      return Failure(env, "parse address", EINVAL, "local address is not an IP address literal");
    }
    if (local.ss_family != peer.ss_family) {
      return Failure(env, "parse address", EINVAL,
                     "local address and peer address are of different families");
    }
  }

  int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return ErrnoFailure(env, "socket", errno);
  int err = SetKeyOnFd(fd, peer, key.data, key.length);
  if (err != 0) {
    close(fd);
    return ErrnoFailure(env, "setsockopt TCP_MD5SIG", err);
  }
  if (bind_local) {
    socklen_t len = local.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0) {
      err = errno;
      close(fd);
      return ErrnoFailure(env, "bind", err);
    }
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", fd);
  return result;
}

// socket() of the local address's family with SO_REUSEADDR, bound to (address, port) but not yet
// listening. The caller sets every peer's key on it and only then hands it to libuv
// (server.listen({ fd })), so no connection is ever accepted before its key is in place.
Napi::Value CreateBoundSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    return Failure(env, "check arguments", EINVAL, "createBoundSocket(localAddress, port)");
  }
  sockaddr_storage local;
  if (!ParseAddress(info[0].As<Napi::String>().Utf8Value(), &local)) {
    return Failure(env, "parse address", EINVAL, "local address is not an IP address literal");
  }
  int port = info[1].As<Napi::Number>().Int32Value();
  if (port < 0 || port > 65535) return Failure(env, "check arguments", EINVAL, "port out of range");
  if (local.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&local)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = htons(static_cast<uint16_t>(port));
  }
  int fd = socket(local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return ErrnoFailure(env, "socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    int err = errno;
    close(fd);
    return ErrnoFailure(env, "setsockopt SO_REUSEADDR", err);
  }
  socklen_t len = local.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0) {
    int err = errno;
    close(fd);
    return ErrnoFailure(env, "bind", err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", fd);
  return result;
}

// Sets a throwaway key on a throwaway socket: ENOPROTOOPT means a kernel built without
// CONFIG_TCP_MD5SIG, EOPNOTSUPP a kernel in FIPS mode.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return ErrnoFailure(env, "socket", errno);
  sockaddr_storage peer;
  ParseAddress("127.0.0.1", &peer);
  static const uint8_t kProbeKey[] = {'p', 'r', 'o', 'b', 'e'};
  int err = SetKeyOnFd(fd, peer, kProbeKey, sizeof(kProbeKey));
  close(fd);
  if (err != 0) return ErrnoFailure(env, "setsockopt TCP_MD5SIG", err);
  return env.Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

#else  // not Linux: everything reports "not supported"

Napi::Value NotSupported(const Napi::CallbackInfo& info) {
  return Failure(info.Env(), "platform", 0, "TCP_MD5SIG is only implemented for Linux");
}

Napi::Value SetKey(const Napi::CallbackInfo& info) { return NotSupported(info); }
Napi::Value CreateSocket(const Napi::CallbackInfo& info) { return NotSupported(info); }
Napi::Value CreateBoundSocket(const Napi::CallbackInfo& info) { return NotSupported(info); }
Napi::Value Probe(const Napi::CallbackInfo& info) { return NotSupported(info); }
Napi::Value CloseFd(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef __linux__
  exports.Set("platformSupported", Napi::Boolean::New(env, true));
  exports.Set("maxKeyLength", Napi::Number::New(env, TCP_MD5SIG_MAXKEYLEN));
#else
  exports.Set("platformSupported", Napi::Boolean::New(env, false));
  exports.Set("maxKeyLength", Napi::Number::New(env, 80));
#endif
  exports.Set("setKey", Napi::Function::New(env, SetKey, "setKey"));
  exports.Set("createSocket", Napi::Function::New(env, CreateSocket, "createSocket"));
  exports.Set("createBoundSocket", Napi::Function::New(env, CreateBoundSocket, "createBoundSocket"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tcp_md5, Init)
