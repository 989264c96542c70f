{
  # AF_PACKET addon for the Layer 2 announcer: opens, binds, sends and receives raw link-layer
  # frames; every protocol decision is made in TypeScript. Built by scripts/build-addon.mjs
  # against the Node.js headers installed with the machine.
  "targets": [
    {
      "target_name": "packet_socket",
      "sources": ["src/native/packet_socket.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra"]
    }
  ]
}
