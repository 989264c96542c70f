/**
 * One TCP connection carrying BGP: the socket, the framer and the codec, and nothing else. The
 * session decides what to do with messages; this only turns bytes into messages and back, and
 * makes backpressure explicit (`send` says whether the socket wants a pause).
 *
 * After websockets/ws: socket listeners are module-level functions that find their connection
 * through a symbol, not closures made per connection.
 */
import type { Socket } from 'node:net';
import { MessageFramer } from '../wire/framing.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { fitNotification } from '../wire/notification.js';
import { AttributeCache } from '../wire/update.js';
import { BgpWireError } from '../wire/errors.js';
import { MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../wire/constants.js';
import { DEFAULT_CODEC_OPTIONS } from '../wire/types.js';
import type { BgpMessage, CodecOptions } from '../wire/types.js';
import { countEncodedMessages, countFramedMessage, emptyMessageCounts } from './message-counts.js';
import type { MessageCounts } from './message-counts.js';

export type ConnectionDirection = 'outgoing' | 'incoming';

export interface ConnectionHandlers {
  message(connection: BgpConnection, message: BgpMessage): void;
  /** A message that could not be framed or decoded; the session answers with its NOTIFICATION. */
  wireError(connection: BgpConnection, error: BgpWireError): void;
  /** The socket is gone (closed by either side, or failed). */
  closed(connection: BgpConnection, reason: string): void;
  /** The socket took all queued bytes after `send` returned false. */
  drained?(connection: BgpConnection): void;
}

const kConnection = Symbol('bgp-connection');
type TaggedSocket = Socket & { [kConnection]?: BgpConnection };

let nextConnectionId = 1;

export class BgpConnection {
  readonly id = nextConnectionId++;
  readonly socket: Socket;
  readonly direction: ConnectionDirection;
  private readonly handlers: ConnectionHandlers;
  private readonly framer = new MessageFramer(MAX_MESSAGE_LENGTH);
  /** Interns attribute sets across this connection's UPDATEs: a full table decodes each set once. */
  private readonly attributeCache = new AttributeCache();
  private codecOptions: CodecOptions = DEFAULT_CODEC_OPTIONS;
  private closedReason: string | undefined;
  /** Messages written to and framed from this connection, by type; the session sums them per peer. */
  readonly sent: MessageCounts = emptyMessageCounts();
  readonly received: MessageCounts = emptyMessageCounts();

  constructor(socket: Socket, direction: ConnectionDirection, handlers: ConnectionHandlers) {
    this.socket = socket;
    this.direction = direction;
    this.handlers = handlers;
    (socket as TaggedSocket)[kConnection] = this;
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get options(): CodecOptions {
    return this.codecOptions;
  }

  /** Called once the OPENs are exchanged: from then on the negotiated AS size and message size apply. */
  setCodecOptions(options: CodecOptions): void {
    this.codecOptions = options;
    this.framer.setMaxLength(options.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH);
  }

  /** Encodes and writes; returns false when the socket's buffer is full and the caller should wait for `drained`. */
  send(message: BgpMessage): boolean {
    const fitted = message.type === 'notification' ? fitNotification(message) : message;
    return this.sendBytes(encodeMessage(fitted, this.codecOptions));
  }

  /** Writes an already-encoded message (the UPDATE packer builds whole messages). */
  sendBytes(bytes: Uint8Array): boolean {
    if (this.closedReason !== undefined || this.socket.destroyed) return false;
    countEncodedMessages(this.sent, bytes);
    return this.socket.write(bytes);
  }

  /**
   * Runs `write` with the socket corked, so the messages it writes leave in one writev() instead
   * of one write() each (a table sent in 4,096-prefix batches is thousands of UPDATEs).
   */
  batch<T>(write: () => T): T {
    this.socket.cork();
    try {
      return write();
    } finally {
      this.socket.uncork();
    }
  }

  /** Half-closes after flushing what was written (so a NOTIFICATION reaches the peer), then destroys. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(reason: string): void {
    if (this.closedReason === undefined) this.closedReason = reason;
    this.socket.destroy();
  }

  /** Feeds received bytes through the framer; stops at the first error (the session ends it). */
  private receive(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    try {
      this.framer.push(chunk);
      for (let frame = this.framer.next(); frame !== undefined; frame = this.framer.next()) {
        // Counted once framed, before decoding: a malformed message was still received.
        countFramedMessage(this.received, frame);
        this.handlers.message(this, decodeMessage(frame, this.codecOptions, this.attributeCache));
        if (this.closedReason !== undefined) return;
      }
    } catch (error) {
      if (error instanceof BgpWireError) {
        this.handlers.wireError(this, error);
      } else {
        // A bug of ours, not the peer's: end this connection rather than the process, and say so.
        this.handlers.wireError(
          this,
          new BgpWireError('ERR_BGP_INTERNAL', `internal error while decoding: ${(error as Error).message}`, { code: 6, subcode: 8 }),
        );
      }
    }
  }

  private socketClosed(reason: string): void {
    const first = this.closedReason === undefined;
    if (first) this.closedReason = reason;
    this.handlers.closed(this, this.closedReason ?? reason);
  }
}

function connectionOf(socket: Socket): BgpConnection | undefined {
  return (socket as TaggedSocket)[kConnection];
}

function onSocketData(this: Socket, chunk: Buffer): void {
  connectionOf(this)?.['receive'](chunk);
}

function onSocketDrain(this: Socket): void {
  const connection = connectionOf(this);
  if (connection !== undefined) connection['handlers'].drained?.(connection);
}

function onSocketError(this: Socket, error: NodeJS.ErrnoException): void {
  // 'close' follows every 'error'; remember why so the close handler reports it.
  const connection = connectionOf(this);
  if (connection !== undefined && !connection.isClosed) connection['closedReason'] = `socket error: ${error.code ?? error.message}`;
}

function onSocketClose(this: Socket): void {
  connectionOf(this)?.['socketClosed']('connection closed by peer');
}
