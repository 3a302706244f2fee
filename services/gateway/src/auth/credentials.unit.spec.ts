import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { asksIceOnRequest, extractToken, selectProtocol } from './credentials.js';

const req = (headers: Record<string, string>, url = '/ws') => ({ headers, url }) as unknown as IncomingMessage;

describe('extractToken', () => {
  it('prefers the Authorization header, then the bearer subprotocol, then the query', () => {
    expect(extractToken(req({ authorization: 'Bearer h', 'sec-websocket-protocol': 'switchboard.v1, bearer.p' }, '/ws?access_token=q'))).toBe('h');
    expect(extractToken(req({ 'sec-websocket-protocol': 'switchboard.v1, bearer.p' }, '/ws?access_token=q'))).toBe('p');
    expect(extractToken(req({}, '/ws?access_token=q'))).toBe('q');
    expect(extractToken(req({ authorization: 'Basic x' }))).toBeUndefined();
  });
});

describe('selectProtocol', () => {
  it('echoes an encoding protocol, never the token', () => {
    expect(selectProtocol(new Set(['bearer.abc', 'switchboard.v1']))).toBe('switchboard.v1');
    expect(selectProtocol(new Set(['switchboard.v1', 'switchboard.v1.msgpack']))).toBe('switchboard.v1.msgpack');
    expect(selectProtocol(new Set(['bearer.abc']))).toBe(false);
    expect(selectProtocol(new Set(['ice.on-request', 'switchboard.v1']))).toBe('switchboard.v1');
  });
});

describe('asksIceOnRequest', () => {
  it('is true only when the client offered the ice.on-request entry', () => {
    expect(asksIceOnRequest(req({ 'sec-websocket-protocol': 'switchboard.v1, bearer.p, ice.on-request' }))).toBe(true);
    expect(asksIceOnRequest(req({ 'sec-websocket-protocol': 'switchboard.v1, bearer.p' }))).toBe(false);
    expect(asksIceOnRequest(req({}, '/ws?ice.on-request'))).toBe(false);
  });
});
