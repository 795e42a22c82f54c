import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { describe, expect, it } from 'vitest';
import { decode, decodeClusterPacket, encode, isClusterResponse } from '../../src/broker/codec.js';

describe('broker codec', () => {
  it('round-trips a broadcast, binaries included, as Buffers of their own', () => {
    const bytes = Buffer.from([0, 1, 254, 255]);
    const message: ClusterMessage = {
      uid: 'u1',
      nsp: '/',
      type: MessageType.BROADCAST,
      data: {
        opts: { rooms: ['r'], except: [], flags: {} },
        packet: { type: 2, nsp: '/', data: ['evt', bytes, { inner: new Uint8Array([7]) }, new Uint8Array([9, 9]).buffer] },
      },
    };
    const wire = encode(message);
    const payload = (bytes: Uint8Array) => {
      const decoded = decodeClusterPacket(bytes) as Extract<ClusterMessage, { type: MessageType.BROADCAST }>;
      return (decoded.data.packet as { data: unknown[] }).data as [string, Buffer, { inner: Buffer }, Buffer];
    };
    // A plain Uint8Array, as a transport may hand over: binaries still come out as Buffers.
    const [event, buffer, nested, arrayBuffer] = payload(new Uint8Array(wire));
    expect(event).toBe('evt');
    expect(Buffer.isBuffer(buffer) && buffer.equals(bytes)).toBe(true);
    expect(Buffer.isBuffer(nested.inner) && [...nested.inner]).toEqual([7]);
    expect(Buffer.isBuffer(arrayBuffer) && [...arrayBuffer]).toEqual([9, 9]);
    // Copies: changing received bytes leaves the message (and other receivers of it) alone.
    payload(wire)[1][0] = 42;
    expect(payload(wire)[1]).toEqual(bytes);
  });

  it('drops undefined fields as JSON does, instead of sending nulls', () => {
    expect(decode(encode({ requestId: undefined, kept: null }))).toEqual({ kept: null });
  });

  it('refuses what is not a cluster message', () => {
    expect(() => decodeClusterPacket(encode({ hello: 'world' }))).toThrow(/not a cluster message/);
    expect(() => decodeClusterPacket(encode({ uid: 'u', nsp: '/', type: 99 }))).toThrow(/not a cluster message/);
    expect(() => decodeClusterPacket(Buffer.from([0xc1]))).toThrow();
  });

  it('tells responses from requests', () => {
    const response = decodeClusterPacket(
      encode({ uid: 'u', nsp: '/', type: MessageType.SERVER_SIDE_EMIT_RESPONSE, data: { requestId: 'r', packet: 1 } }),
    );
    const heartbeat = decodeClusterPacket(encode({ uid: 'u', nsp: '/', type: MessageType.HEARTBEAT }));
    expect(isClusterResponse(response)).toBe(true);
    expect(isClusterResponse(heartbeat)).toBe(false);
  });
});
