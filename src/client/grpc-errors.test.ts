// Error mapping of failed calls: the immudbts-error-code trailer wins; without one (immudb, grpc-js
// transport errors) the status decides; an unknown trailer value falls back to the status.
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, ImmuError } from '../common/errors.js';
import { errorCodeOf, toImmuError } from './grpc-errors.js';

function trailer(code: string): Metadata {
  const md = new Metadata();
  md.set('immudbts-error-code', code);
  return md;
}

describe('grpc error mapping', () => {
  it('takes the code from the trailer', () => {
    expect(errorCodeOf({ code: GrpcStatus.NOT_FOUND, metadata: trailer('TX_NOT_FOUND') })).toBe('TX_NOT_FOUND');
    expect(errorCodeOf({ code: GrpcStatus.FAILED_PRECONDITION, metadata: trailer('REPLICA_READ_ONLY') })).toBe('REPLICA_READ_ONLY');
  });

  it('falls back to the status without a trailer or with an unknown one', () => {
    expect(errorCodeOf({ code: GrpcStatus.UNAUTHENTICATED })).toBe('UNAUTHENTICATED');
    expect(errorCodeOf({ code: GrpcStatus.PERMISSION_DENIED, metadata: trailer('SOMETHING_NEW') })).toBe('PERMISSION_DENIED');
    expect(errorCodeOf({ code: GrpcStatus.DEADLINE_EXCEEDED, metadata: new Metadata() })).toBe('TIMEOUT');
    expect(errorCodeOf({ code: GrpcStatus.UNAVAILABLE })).toBe('NODE_UNAVAILABLE');
    expect(errorCodeOf({ code: GrpcStatus.UNKNOWN })).toBe('INTERNAL');
    expect(errorCodeOf({})).toBe('INTERNAL');
  });

  it('keeps the message and records rpc, endpoint and status', () => {
    const err = toImmuError({ code: GrpcStatus.NOT_FOUND, details: 'key not found', metadata: trailer('KEY_NOT_FOUND') }, 'Get', '127.0.0.1:3322');
    expect(err).toBeInstanceOf(ImmuError);
    expect(err.code).toBe('KEY_NOT_FOUND');
    expect(err.message).toBe('key not found');
    expect(err.details).toEqual({ rpc: 'Get', endpoint: '127.0.0.1:3322', grpcStatus: GrpcStatus.NOT_FOUND, fromTrailer: true });
    const same = new ImmuError('PROOF_FAILED', 'x');
    expect(toImmuError(same, 'Get', 'e')).toBe(same);
  });
});
