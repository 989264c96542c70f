{
  # TCP-MD5 (RFC 2385) addon: setsockopt(TCP_MD5SIG) for Node.js sockets. Built by
  # scripts/build-addon.mjs against the Node.js headers installed with the machine.
  "targets": [
    {
      "target_name": "tcp_md5",
      "sources": ["src/md5/tcp_md5.cc"],
      # node_addon_api: header-only, with NAPI_DISABLE_CPP_EXCEPTIONS (errors are
      # returned as values; argument errors are thrown as pending JS exceptions).
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra"]
    }
  ]
}
