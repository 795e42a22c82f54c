/**
 * The wire format between replicas: MessagePack, because Socket.IO packets carry binary (Buffers,
 * typed arrays) that JSON would mangle into objects of numbers.
 */
import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { MessageType, type ClusterMessage, type ClusterResponse } from 'socket.io-adapter';

/** Anything one adapter sends another. */
export type ClusterPacket = ClusterMessage | ClusterResponse;

// MessagePack's bin type covers every ArrayBuffer view, but a bare ArrayBuffer would be encoded as an
// empty map: this extension carries its bytes, which then arrive as a Buffer like every other binary.
const ARRAY_BUFFER_EXT = 0;
const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: ARRAY_BUFFER_EXT,
  encode: (value: unknown) => (value instanceof ArrayBuffer ? new Uint8Array(value) : null),
  decode: (data: Uint8Array) => data,
});

// `ignoreUndefined` drops undefined fields, as JSON (socket.io's own encoding) does, instead of turning
// them into null, which handlers would see as a value.
const encoder = new Encoder({ ignoreUndefined: true, extensionCodec });
const decoder = new Decoder({ extensionCodec });

/** Encodes a value as MessagePack, as a Buffer (what amqplib wants; NATS takes any Uint8Array). */
export function encode(value: unknown): Buffer {
  const bytes = encoder.encode(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes MessagePack. Binary values come back as Buffers of their own: the decoder returns views into
 * `bytes`, which belong to the transport (and on the memory bus are shared by every receiver), and
 * plain Uint8Arrays when `bytes` is not a Buffer, where handlers expect Buffers as socket.io-parser
 * produces them.
 */
export function decode(bytes: Uint8Array): unknown {
  return ownBinaries(decoder.decode(bytes));
}

/** Decodes what another adapter sent; throws when it does not look like a cluster message. */
export function decodeClusterPacket(bytes: Uint8Array): ClusterPacket {
  const value = decode(bytes);
  if (!isRecord(value) || typeof value.uid !== 'string' || typeof value.nsp !== 'string' || !isMessageType(value.type)) {
    throw new TypeError('not a cluster message: expected { uid, nsp, type }');
  }
  return value as ClusterPacket;
}

const RESPONSE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
  MessageType.BROADCAST_CLIENT_COUNT,
  MessageType.BROADCAST_ACK,
]);

/** Whether a packet answers a request (and goes to `onResponse`) rather than being one. */
export function isClusterResponse(packet: ClusterPacket): packet is ClusterResponse {
  return RESPONSE_TYPES.has(packet.type);
}

function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'number' && MessageType[value] !== undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Replaces every Uint8Array in a decoded tree (which holds only arrays, maps and scalars) by a Buffer copy. */
function ownBinaries(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = ownBinaries(value[i]);
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) value[key] = ownBinaries(value[key]);
  }
  return value;
}
